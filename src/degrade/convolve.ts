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
interface Tap {
  dx: number;
  dy: number;
  w: number;
}

/** Reflect-101 index (…2 1 0 1 2…): valid for any i, however far outside [0, n). */
// @testSeam: tested directly (blur.test.ts, metrics.test.ts)
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
function convolveTaps(img: RGBImage, taps: readonly Tap[]): RGBImage {
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

/** Consecutive equal weights in one kernel row: taps dx0..dx1 (inclusive) at row dy, weight w. */
interface Run {
  dx0: number;
  dx1: number;
  dy: number;
  w: number;
}

/** Runs shorter than this are cheaper as single taps than as a prefix-sum difference. */
const MIN_RUN = 4;

/** Split a kernel into runs of equal weights along its rows (flat kernels: disks, boxes) and single taps. */
function splitRuns(kernel: Kernel): { runs: Run[]; singles: Tap[] } {
  const r = (kernel.size - 1) / 2;
  const runs: Run[] = [];
  const singles: Tap[] = [];
  for (let v = 0; v < kernel.size; v++) {
    let u = 0;
    while (u < kernel.size) {
      const w = kernel.weights[v * kernel.size + u]!;
      let end = u;
      while (end + 1 < kernel.size && kernel.weights[v * kernel.size + end + 1] === w) end++;
      if (w !== 0) {
        if (end - u + 1 >= MIN_RUN) runs.push({ dx0: u - r, dx1: end - r, dy: v - r, w });
        else for (let k = u; k <= end; k++) singles.push({ dx: k - r, dy: v - r, w });
      }
      u = end + 1;
    }
  }
  return { runs, singles };
}

/**
 * Direct convolution with a 2-D kernel, skipping zero taps. Runs of equal weights along a kernel
 * row (a defocus disk is almost all runs) cost two reads each, via per-row prefix sums, instead of
 * one read per tap: a radius-8 disk drops from ~220 taps to ~17 runs plus its anti-aliased rim.
 */
export function convolve2d(img: RGBImage, kernel: Kernel): RGBImage {
  const { runs, singles } = splitRuns(kernel);
  const out = convolveTaps(img, singles);
  if (runs.length === 0) return out;

  const { width: w, height: h } = img;
  const r = (kernel.size - 1) / 2;
  const padded = padReflect(img, r, r);
  const pw3 = padded.width * 3;
  const ph = h + 2 * r;
  // prefix[row][k] = sum of padded[row][j] over j < k with j ≡ k (mod 3), i.e. per channel
  const stride = pw3 + 3;
  const prefix = new Float64Array(ph * stride);
  for (let y = 0; y < ph; y++) {
    const p = y * stride;
    const s = y * pw3;
    for (let k = 0; k < pw3; k++) prefix[p + k + 3] = prefix[p + k]! + padded.data[s + k]!;
  }
  const row = w * 3;
  const data = out.data;
  for (const { dx0, dx1, dy, w: wt } of runs) {
    for (let y = 0; y < h; y++) {
      const o = y * row;
      const p = (y - dy + r) * stride;
      // sources x - dx1 .. x - dx0 (padded: + r); channel offset rides along in i
      const hi = p + (r - dx0 + 1) * 3;
      const lo = p + (r - dx1) * 3;
      for (let i = 0; i < row; i++) data[o + i] += wt * (prefix[hi + i]! - prefix[lo + i]!);
    }
  }
  return out;
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
