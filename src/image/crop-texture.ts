/**
 * Two statistics of the estimator's crops that the clean gate (src/model/clean-gate.ts) may read
 * beside the estimator's outputs. They measure the photo, not the estimator's opinion of it: the
 * photos the gate gets wrong are clean ones the estimator takes for haze or snow and faint snow it
 * takes for clean (docs/decisions.md).
 *
 * - bright specks: snowflakes and rain streaks are small, near-white and brighter than what
 *   surrounds them; the fraction of such pixels is near 0 on most clean photos;
 * - contrast: haze flattens a photo, so the luma's standard deviation per crop falls.
 */

/** A speck pixel's whiteness (min over RGB) is at least this… */
const SPECK_WHITE = 0.6;
/** …and this much above the mean whiteness of the window around it. */
const SPECK_LIFT = 0.1;
/** Half-width of that window (7×7). */
const SPECK_RADIUS = 3;

function checkCrops(name: string, crops: Float32Array, count: number, size: number): void {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(size) || size < 1 || crops.length !== count * size * size * 3) {
    throw new Error(`${name}: ${crops.length} values are not ${count} crops of ${size}²×3`);
  }
}

/** The fraction, over `count` crops of size² ([count, size, size, 3], values in [0, 1]), of bright-speck pixels. */
export function speckFraction(crops: Float32Array, count: number, size: number): number {
  checkCrops('speckFraction', crops, count, size);
  const w = size + 1;
  // the whiteness's integral image, so each window's mean costs four reads
  const integral = new Float64Array(w * w);
  const white = new Float32Array(size * size);
  let specks = 0;
  for (let c = 0; c < count; c++) {
    const base = c * size * size * 3;
    for (let i = 0; i < size * size; i++) white[i] = Math.min(crops[base + 3 * i]!, crops[base + 3 * i + 1]!, crops[base + 3 * i + 2]!);
    for (let y = 0; y < size; y++) {
      let row = 0;
      for (let x = 0; x < size; x++) {
        row += white[y * size + x]!;
        integral[(y + 1) * w + x + 1] = integral[y * w + x + 1]! + row;
      }
    }
    for (let y = 0; y < size; y++) {
      const y0 = Math.max(0, y - SPECK_RADIUS);
      const y1 = Math.min(size, y + SPECK_RADIUS + 1);
      for (let x = 0; x < size; x++) {
        const v = white[y * size + x]!;
        if (v < SPECK_WHITE) continue;
        const x0 = Math.max(0, x - SPECK_RADIUS);
        const x1 = Math.min(size, x + SPECK_RADIUS + 1);
        const sum = integral[y1 * w + x1]! - integral[y0 * w + x1]! - integral[y1 * w + x0]! + integral[y0 * w + x0]!;
        if (v - sum / ((y1 - y0) * (x1 - x0)) >= SPECK_LIFT) specks++;
      }
    }
  }
  return specks / (count * size * size);
}

/** The mean over `count` crops of size² ([count, size, size, 3], values in [0, 1]) of their luma's standard deviation. */
export function lumaContrast(crops: Float32Array, count: number, size: number): number {
  checkCrops('lumaContrast', crops, count, size);
  const n = size * size;
  let total = 0;
  for (let c = 0; c < count; c++) {
    const base = c * n * 3;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const y = 0.299 * crops[base + 3 * i]! + 0.587 * crops[base + 3 * i + 1]! + 0.114 * crops[base + 3 * i + 2]!;
      sum += y;
      sq += y * y;
    }
    const mean = sum / n;
    total += Math.sqrt(Math.max(0, sq / n - mean * mean));
  }
  return total / count;
}
