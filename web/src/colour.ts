/** A model palette colour (RGB in [0,1]) as CSS, for legend swatches. */
export function cssColour(colour: readonly [number, number, number]): string {
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  return `rgb(${byte(colour[0])} ${byte(colour[1])} ${byte(colour[2])})`;
}
