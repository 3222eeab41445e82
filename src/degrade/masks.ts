/**
 * Region shapes for Degradation CutMix: binary masks (1 = inside), H·W, row-major.
 * Rectangles are the classic CutMix box; smooth masks (thresholded low-frequency noise) give
 * irregular blobs, closer to how real degradations vary across a photo (a hazy background, a rain
 * streak region, a dark corner).
 */
import type { Rng } from '../util/rng.js';

export type MaskShape = 'rect' | 'smooth';

interface RegionMask {
  shape: MaskShape;
  mask: Uint8Array;
  /** fraction of pixels inside */
  coverage: number;
  /** for JSON logs: the box [x, y, w, h], or the noise grid size and threshold */
  spec: number[];
}

function coverageOf(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n / mask.length;
}

/** An axis-aligned box of about `area` of the image, aspect ratio between 1:2 and 2:1. */
// @testSeam: tested directly (cutmix.test.ts)
export function rectMask(width: number, height: number, area: number, rng: Rng): RegionMask {
  const aspect = Math.exp(rng.uniform(Math.log(0.5), Math.log(2))); // w/h, log-uniform
  const target = area * width * height;
  const w = Math.max(1, Math.min(width, Math.round(Math.sqrt(target * aspect))));
  const h = Math.max(1, Math.min(height, Math.round(target / w)));
  // a clamped side hands its share of the area to the other one
  const w2 = Math.max(1, Math.min(width, Math.round(target / h)));
  const x0 = rng.int(width - w2 + 1);
  const y0 = rng.int(height - h + 1);
  const mask = new Uint8Array(width * height);
  for (let y = y0; y < y0 + h; y++) mask.fill(1, y * width + x0, y * width + x0 + w2);
  return { shape: 'rect', mask, coverage: coverageOf(mask), spec: [x0, y0, w2, h] };
}

/**
 * Value noise on a `cells`×`cells` grid, interpolated with smoothstep weights (C¹, so no creases),
 * plus one octave at twice the frequency and half the amplitude for less regular outlines.
 */
function smoothNoise(width: number, height: number, cells: number, rng: Rng): Float32Array {
  const out = new Float32Array(width * height);
  for (const [n, amp] of [
    [cells, 1],
    [cells * 2, 0.5],
  ] as const) {
    const grid = new Float32Array((n + 1) * (n + 1));
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next();
    for (let y = 0; y < height; y++) {
      const gy = ((y + 0.5) / height) * n;
      const iy = Math.min(n - 1, Math.floor(gy));
      let ty = gy - iy;
      ty = ty * ty * (3 - 2 * ty);
      for (let x = 0; x < width; x++) {
        const gx = ((x + 0.5) / width) * n;
        const ix = Math.min(n - 1, Math.floor(gx));
        let tx = gx - ix;
        tx = tx * tx * (3 - 2 * tx);
        const g00 = grid[iy * (n + 1) + ix]!;
        const g01 = grid[iy * (n + 1) + ix + 1]!;
        const g10 = grid[(iy + 1) * (n + 1) + ix]!;
        const g11 = grid[(iy + 1) * (n + 1) + ix + 1]!;
        const top = g00 + (g01 - g00) * tx;
        const bottom = g10 + (g11 - g10) * tx;
        out[y * width + x]! += amp * (top + (bottom - top) * ty);
      }
    }
  }
  return out;
}

/** A blob mask covering about `area` of the image: smooth noise thresholded at its quantile. */
// @testSeam: tested directly (cutmix.test.ts)
export function smoothMask(width: number, height: number, area: number, rng: Rng): RegionMask {
  const cells = rng.intRange(2, 4);
  const field = smoothNoise(width, height, cells, rng);
  const sorted = Float32Array.from(field).sort();
  const k = Math.min(sorted.length - 1, Math.max(0, Math.floor((1 - area) * sorted.length)));
  const threshold = sorted[k]!;
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < field.length; i++) mask[i] = field[i]! >= threshold ? 1 : 0;
  return { shape: 'smooth', mask, coverage: coverageOf(mask), spec: [cells, threshold] };
}

export function randomMask(width: number, height: number, area: number, rng: Rng): RegionMask {
  return rng.bool() ? rectMask(width, height, area, rng) : smoothMask(width, height, area, rng);
}
