/**
 * The dark-channel prior (He, Sun and Tang, 2009) as evidence of haze, for the keep rule of SW
 * (a variant of the keep-rules bench; no restore path uses it, see docs/decisions.md).
 *
 * In a haze-free photo most local windows hold some pixel that is dark in at least one colour
 * channel (shadows, saturated colours), so the dark channel, min over RGB and a window, is near 0
 * almost everywhere; haze adds the airlight veil A·(1 − t) to every pixel and lifts it. The
 * estimator alone cannot tell mild haze from a clean photo well (hazy held-out crops got
 * p(clean) 0.39–0.45, docs/decisions.md), and a keep rule that trusts it holds back dehazing.
 * This statistic mostly separates the two on held-out training crops, by a formula the estimator
 * never had to learn, but not well enough to ship: it also vetoes keeping clean photos that look
 * hazy and holds back snow restorations (docs/decisions.md, "A haze prior for the keep rule").
 */
import type { RGBImage } from '../image/types.js';

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
 * The haze statistic of a set of same-size crops (e.g. the estimator's grid, [count, size, size, 3]):
 * the DARK_QUANTILE quantile of their dark channels pooled, in [0, 1]. Near 0 on clear photos.
 */
export function darkChannelLevel(crops: Float32Array, count: number, size: number): number {
  if (!Number.isInteger(count) || count < 1 || crops.length !== count * size * size * 3) {
    throw new Error(`darkChannelLevel: ${crops.length} values are not ${count} crops of ${size}²×3`);
  }
  const n = size * size * 3;
  const pooled = new Float32Array(count * size * size);
  for (let c = 0; c < count; c++) pooled.set(darkChannel({ width: size, height: size, data: crops.subarray(c * n, (c + 1) * n) }), c * size * size);
  pooled.sort();
  return pooled[Math.floor(DARK_QUANTILE * (pooled.length - 1))]!;
}

/**
 * How much of the keep share haze evidence vetoes: 0 at or below `from`, 1 at or above `to`,
 * linear between (the thresholds belong to the estimator, EstimatorConfig.hazePrior).
 */
export function hazeVeto(level: number, from: number, to: number): number {
  if (!(to > from)) throw new RangeError(`haze prior: 'to' (${to}) must be above 'from' (${from})`);
  return Math.min(1, Math.max(0, (level - from) / (to - from)));
}
