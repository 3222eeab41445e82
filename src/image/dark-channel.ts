/**
 * The dark channel prior (He, Sun and Tang, 2009): a statistic of haze.
 *
 * In a haze-free photo most local windows hold some pixel that is dark in at least one colour
 * channel (shadows, saturated colours), so the dark channel, min over RGB and a window, is near 0
 * almost everywhere; haze adds the airlight veil A·(1 − t) to every pixel and lifts it. The
 * estimator's crops at a low quantile of their dark channels give one number per image that the
 * clean gate (src/model/clean-gate.ts) reads beside the estimator's outputs, and that the
 * haze veto (src/model/haze-veto.ts) reads too.
 */
import type { RGBImage } from './types.js';

/** Half-width of the dark channel's square window (15×15 pixels, the paper's choice). */
const DARK_RADIUS = 7;

/** The quantile of the dark channel that is read: low enough that sky and white walls do not count. */
const DARK_QUANTILE = 0.1;

/** Running minimum over a (2r+1) window along one axis, clamped at the borders (O(n·r), windows are small). */
function minAlong(src: Float32Array, width: number, height: number, r: number, horizontal: boolean): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = Infinity;
      for (let d = -r; d <= r; d++) {
        const xx = horizontal ? Math.min(width - 1, Math.max(0, x + d)) : x;
        const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + d));
        const v = src[yy * width + xx]!;
        if (v < m) m = v;
      }
      out[y * width + x] = m;
    }
  }
  return out;
}

/** The dark channel of `image`: per pixel, the minimum over RGB and the (2·radius + 1)² window around it. */
// @testSeam: tested directly
export function darkChannel(image: RGBImage, radius = DARK_RADIUS): Float32Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) throw new Error(`darkChannel: ${data.length} values for ${width}×${height}×3`);
  const minRgb = new Float32Array(width * height);
  for (let i = 0; i < minRgb.length; i++) minRgb[i] = Math.min(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!);
  return minAlong(minAlong(minRgb, width, height, radius, true), width, height, radius, false);
}

/**
 * The dark channels of a set of same-size crops (e.g. the estimator's grid, [count, size, size, 3])
 * pooled, at each of `quantiles` (in [0, 1]); each level in [0, 1], near 0 on clear photos.
 */
export function darkChannelQuantiles(crops: Float32Array, count: number, size: number, quantiles: readonly number[]): number[] {
  if (!Number.isInteger(count) || count < 1 || crops.length !== count * size * size * 3) {
    throw new Error(`darkChannelQuantiles: ${crops.length} values are not ${count} crops of ${size}²×3`);
  }
  const n = size * size * 3;
  const pooled = new Float32Array(count * size * size);
  for (let c = 0; c < count; c++) pooled.set(darkChannel({ width: size, height: size, data: crops.subarray(c * n, (c + 1) * n) }), c * size * size);
  pooled.sort();
  return quantiles.map((q) => pooled[Math.floor(q * (pooled.length - 1))]!);
}

/** The haze statistic of a set of same-size crops: their pooled dark channel at DARK_QUANTILE. */
export function darkChannelLevel(crops: Float32Array, count: number, size: number): number {
  return darkChannelQuantiles(crops, count, size, [DARK_QUANTILE])[0]!;
}
