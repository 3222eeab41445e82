/**
 * Colours of the per-pixel degradation map (pure: shared by the Node --explain sheet and the
 * browser restorer, so both draw a class in the same colour).
 */

export type Colour = readonly [number, number, number];

/** Colour of "clean" (the segmentation head's channel 0). */
export const CLEAN_COLOUR: Colour = [0.16, 0.16, 0.16];

/** Well-separated hues (Tableau-10 minus grey); classes beyond ten reuse them. */
const PALETTE: readonly Colour[] = [
  [0.12, 0.47, 0.71], [1.0, 0.5, 0.05], [0.17, 0.63, 0.17], [0.84, 0.15, 0.16], [0.58, 0.4, 0.74],
  [0.55, 0.34, 0.29], [0.89, 0.47, 0.76], [0.74, 0.74, 0.13], [0.09, 0.75, 0.81], [0.68, 0.78, 0.91],
];

/** Colour of class `index` (0-based, in the order of the classes the map is over). */
export function classColour(index: number): Colour {
  return PALETTE[index % PALETTE.length]!;
}

/** [1+K, 3] row-major: clean, then one colour per class — the matrix a softmax row is mixed with. */
export function mapPalette(numClasses: number): Float32Array {
  return Float32Array.from([...CLEAN_COLOUR, ...Array.from({ length: numClasses }, (_, k) => classColour(k)).flat()]);
}

/** Colour of the uniform map: class colours mixed by the probabilities normalised to sum 1. */
export function uniformMapColour(probabilities: ArrayLike<number>): Colour {
  let sum = 0;
  for (let k = 0; k < probabilities.length; k++) sum += Math.max(0, probabilities[k]!);
  if (!(sum > 0)) return CLEAN_COLOUR;
  const mix = [0, 0, 0];
  for (let k = 0; k < probabilities.length; k++) {
    const p = Math.max(0, probabilities[k]!) / sum;
    const colour = classColour(k);
    for (let c = 0; c < 3; c++) mix[c]! += p * colour[c]!;
  }
  return [mix[0]!, mix[1]!, mix[2]!];
}
