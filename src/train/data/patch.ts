/**
 * Random training patches from a cached 8-bit image in one pass: crop window, optional rescale
 * (bilinear), and one of the 8 flips/rotations by 90°, written straight into a float patch.
 * Cropping comes first so degradations only ever run on the patch.
 */
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { Uint8Image } from './raw-image.js';

interface CropPlan {
  /** top-left of the source window (source pixels) */
  x0: number;
  y0: number;
  /** output pixels per source pixel: 1 = as is, 0.5 = the window is twice the patch (downscale) */
  scale: number;
  /** dihedral element 0..7: bit 0 flips x, bit 1 flips y, bit 2 transposes (with flips: rot90) */
  transform: number;
}

export interface RescalePolicy {
  /** images whose long side is at least this are "large photos" (default 1000) */
  largeSide?: number;
  /** how often a large photo is downscaled (default 0.75) */
  probability?: number;
  /** the scale factor range (default [0.5, 1]) */
  range?: readonly [number, number];
}

/**
 * Draws where and how to cut a `patch`² patch. Large photos (1600 px wallpapers) are sometimes
 * downscaled so their content scale varies and resembles the ~500 px benchmark images; smaller
 * ones (BSDS 481×321) are used at 1:1. An image smaller than the patch is upscaled to fit.
 * Pass `rescale: false` for paired data (both sides must stay pixel-aligned with the source).
 */
export function planCrop(width: number, height: number, patch: number, rng: Rng, rescale: RescalePolicy | false = {}): CropPlan {
  let scale = 1;
  if (rescale !== false && Math.max(width, height) >= (rescale.largeSide ?? 1000)) {
    const [lo, hi] = rescale.range ?? [0.5, 1];
    if (rng.bool(rescale.probability ?? 0.75)) scale = rng.uniform(lo, hi);
  }
  scale = Math.max(scale, patch / Math.min(width, height));
  const transform = rng.int(8);
  if (scale === 1) {
    return { x0: rng.int(width - patch + 1), y0: rng.int(height - patch + 1), scale, transform };
  }
  const window = patch / scale;
  return { x0: rng.uniform(0, Math.max(0, width - window)), y0: rng.uniform(0, Math.max(0, height - window)), scale, transform };
}

/** Cuts the planned patch into `out` (float RGB in [0,1]; allocated when not given). */
export function extractPatch(src: Uint8Image, plan: CropPlan, patch: number, out?: Float32Array): RGBImage {
  const data = out ?? new Float32Array(patch * patch * 3);
  if (data.length !== patch * patch * 3) throw new RangeError(`patch buffer has ${data.length} values, expected ${patch * patch * 3}`);
  const { width, height } = src;
  const s = src.data;
  const t = plan.transform;
  const inv = 1 / plan.scale;
  const last = patch - 1;
  let o = 0;
  for (let oy = 0; oy < patch; oy++) {
    for (let ox = 0; ox < patch; ox++, o += 3) {
      // (u, v) = row, column in the untransformed window
      let u = t & 4 ? ox : oy;
      let v = t & 4 ? oy : ox;
      if (t & 1) v = last - v;
      if (t & 2) u = last - u;
      if (plan.scale === 1) {
        const i = ((plan.y0 + u) * width + plan.x0 + v) * 3;
        data[o] = s[i]! / 255;
        data[o + 1] = s[i + 1]! / 255;
        data[o + 2] = s[i + 2]! / 255;
        continue;
      }
      // pixel centres: output (u + ½) maps to source y0 + (u + ½)/scale
      const sy = Math.min(height - 1, Math.max(0, plan.y0 + (u + 0.5) * inv - 0.5));
      const sx = Math.min(width - 1, Math.max(0, plan.x0 + (v + 0.5) * inv - 0.5));
      const y1 = Math.floor(sy), x1 = Math.floor(sx);
      const y2 = Math.min(height - 1, y1 + 1), x2 = Math.min(width - 1, x1 + 1);
      const fy = sy - y1, fx = sx - x1;
      const a = (y1 * width + x1) * 3, b = (y1 * width + x2) * 3, c = (y2 * width + x1) * 3, d = (y2 * width + x2) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = s[a + ch]! + (s[b + ch]! - s[a + ch]!) * fx;
        const bottom = s[c + ch]! + (s[d + ch]! - s[c + ch]!) * fx;
        data[o + ch] = (top + (bottom - top) * fy) / 255;
      }
    }
  }
  return { width: patch, height: patch, data };
}
