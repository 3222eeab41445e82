/**
 * 2-D convolution of an RGB image with reflect (mirror, edge not repeated) borders.
 *
 * Kernels are applied as a list of taps: pad the image once, then for every tap add a weighted,
 * shifted copy of the padded rows. The inner loop runs over a contiguous row of floats with no
 * bounds checks, which is what makes plain TypeScript fast here. Sparse kernels (motion blur
 * trajectories) cost only their non-zero taps; separable kernels (Gaussian) run as two 1-D passes.
 */
import type { RGBImage } from '../image/types.js';

/** A square, odd-sized kernel, row-major, centred at ((size-1)/2, (size-1)/2). */
export interface Kernel {
  size: number;
  weights: Float32Array;
}

/** One kernel tap: the source pixel is (x - dx, y - dy) for output (x, y) (a true convolution). */
export interface Tap {
  dx: number;
  dy: number;
  w: number;
}

/** Reflect-101 index (…2 1 0 1 2…): valid for any i, however far outside [0, n). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m >= n ? period - m : m;
}

/** Copy of `img` grown by rx columns left/right and ry rows top/bottom, filled by reflection. */
function padReflect(img: RGBImage, rx: number, ry: number): { data: Float32Array; width: number } {
  const { width: w, height: h, data } = img;
  const pw = w + 2 * rx;
  const ph = h + 2 * ry;
  const out = new Float32Array(pw * ph * 3);
  const colSrc = new Int32Array(pw);
  for (let x = 0; x < pw; x++) colSrc[x] = reflectIndex(x - rx, w) * 3;
  for (let y = 0; y < ph; y++) {
    const srcRow = reflectIndex(y - ry, h) * w * 3;
    const dstRow = y * pw * 3;
    // the interior of a row is one contiguous copy; only the borders need the index table
    out.set(data.subarray(srcRow, srcRow + w * 3), dstRow + rx * 3);
    for (let x = 0; x < pw; x++) {
      if (x === rx) x = rx + w;
      if (x >= pw) break;
      const s = srcRow + colSrc[x]!;
      const d = dstRow + x * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { data: out, width: pw };
}

/** Convolve with an explicit list of taps (any shape, any sparsity). */
export function convolveTaps(img: RGBImage, taps: readonly Tap[]): RGBImage {
  const { width: w, height: h } = img;
  let rx = 0;
  let ry = 0;
  for (const t of taps) {
    rx = Math.max(rx, Math.abs(t.dx));
    ry = Math.max(ry, Math.abs(t.dy));
  }
  const padded = padReflect(img, rx, ry);
  const src = padded.data;
  const pw3 = padded.width * 3;
  const row = w * 3;
  const out = new Float32Array(w * h * 3);
  for (const { dx, dy, w: wt } of taps) {
    if (wt === 0) continue;
    for (let y = 0; y < h; y++) {
      const o = y * row;
      const p = (y - dy + ry) * pw3 + (rx - dx) * 3;
      for (let i = 0; i < row; i++) out[o + i] += wt * src[p + i]!;
    }
  }
  return { width: w, height: h, data: out };
}

/** The non-zero taps of a 2-D kernel. */
export function kernelTaps(kernel: Kernel): Tap[] {
  const r = (kernel.size - 1) / 2;
  const taps: Tap[] = [];
  for (let v = 0; v < kernel.size; v++) {
    for (let u = 0; u < kernel.size; u++) {
      const wt = kernel.weights[v * kernel.size + u]!;
      if (wt !== 0) taps.push({ dx: u - r, dy: v - r, w: wt });
    }
  }
  return taps;
}

/** Direct convolution with a 2-D kernel, skipping zero taps. */
export function convolve2d(img: RGBImage, kernel: Kernel): RGBImage {
  return convolveTaps(img, kernelTaps(kernel));
}

/** Separable convolution: `k1d` (odd length, centred) along x, then along y. */
export function convolveSeparable(img: RGBImage, k1d: Float32Array): RGBImage {
  const r = (k1d.length - 1) / 2;
  const horizontal: Tap[] = [];
  const vertical: Tap[] = [];
  for (let i = 0; i < k1d.length; i++) {
    if (k1d[i] === 0) continue;
    horizontal.push({ dx: i - r, dy: 0, w: k1d[i]! });
    vertical.push({ dx: 0, dy: i - r, w: k1d[i]! });
  }
  return convolveTaps(convolveTaps(img, horizontal), vertical);
}
