/**
 * Blurs of single-channel float maps (streak layers, depth maps, veils). Borders replicate the
 * edge pixel. Buffers are allocated once per call, never per pixel.
 */
import { scratch } from './scratch.js';

/** Normalised 1-D Gaussian taps for radius ceil(3σ). */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/** Convolve every row of `src` with the symmetric kernel `k` (replicated borders), into `dst`. */
function convolveRows(src: Float32Array, dst: Float32Array, w: number, h: number, k: Float32Array): void {
  const r = (k.length - 1) >> 1;
  const padded = new Float32Array(w + 2 * r);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    padded.set(src.subarray(base, base + w), r);
    const first = src[base]!;
    const last = src[base + w - 1]!;
    for (let i = 0; i < r; i++) {
      padded[i] = first;
      padded[r + w + i] = last;
    }
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += k[j]! * padded[x + j]!;
      dst[base + x] = acc;
    }
  }
}

/**
 * Convolve every column with `k`, sweeping whole rows (memory stays sequential, which matters
 * more than the arithmetic on large maps).
 */
function convolveColumns(src: Float32Array, dst: Float32Array, w: number, h: number, k: Float32Array): void {
  const r = (k.length - 1) >> 1;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    dst.fill(0, o, o + w);
    for (let j = 0; j < k.length; j++) {
      let sy = y + j - r;
      sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
      const s = sy * w;
      const kj = k[j]!;
      for (let x = 0; x < w; x++) dst[o + x] = dst[o + x]! + kj * src[s + x]!;
    }
  }
}

/** Running-mean box filter of half-width `radius` along every row, replicated borders. */
function boxRows(src: Float32Array, dst: Float32Array, w: number, h: number, radius: number): void {
  // one extra trailing slot so the final window slide reads in bounds
  const padded = new Float32Array(w + 2 * radius + 1);
  const norm = 1 / (2 * radius + 1);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    padded.set(src.subarray(base, base + w), radius);
    const first = src[base]!;
    const last = src[base + w - 1]!;
    for (let i = 0; i < radius; i++) padded[i] = first;
    for (let i = radius + w; i < padded.length; i++) padded[i] = last;
    let acc = 0;
    for (let j = 0; j <= 2 * radius; j++) acc += padded[j]!;
    for (let x = 0; x < w; x++) {
      dst[base + x] = acc * norm;
      acc += padded[x + 2 * radius + 1]! - padded[x]!;
    }
  }
}

/** Running-mean box filter along every column, as whole-row sweeps with a per-column sum. */
function boxColumns(src: Float32Array, dst: Float32Array, w: number, h: number, radius: number): void {
  const norm = 1 / (2 * radius + 1);
  const acc = new Float64Array(w);
  const rowAt = (y: number) => (y < 0 ? 0 : y >= h ? h - 1 : y) * w;
  for (let j = -radius; j <= radius; j++) {
    const s = rowAt(j);
    for (let x = 0; x < w; x++) acc[x] = acc[x]! + src[s + x]!;
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const add = rowAt(y + radius + 1);
    const sub = rowAt(y - radius);
    for (let x = 0; x < w; x++) {
      dst[o + x] = acc[x]! * norm;
      acc[x] = acc[x]! + src[add + x]! - src[sub + x]!;
    }
  }
}

/**
 * Gaussian blur of a w×h map into `out` (default: a new array; may be `map` itself, for in-place
 * blurring). Small σ uses exact separable taps; large σ uses three
 * box passes (cost independent of σ), which approximate the Gaussian to a few per cent.
 */
export function gaussianBlur(
  map: Float32Array,
  w: number,
  h: number,
  sigma: number,
  out: Float32Array = new Float32Array(map.length),
): Float32Array {
  out.set(map);
  if (sigma <= 0.05) return out;
  const tmp = scratch('blur.tmp', map.length);
  if (sigma <= 4) {
    const k = gaussianKernel(sigma);
    convolveRows(out, tmp, w, h, k);
    convolveColumns(tmp, out, w, h, k);
    return out;
  }
  // box width for n=3 passes with the same variance as the Gaussian: σ² = n·((2r+1)² − 1)/12
  const radius = Math.max(1, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
  for (let pass = 0; pass < 3; pass++) {
    boxRows(out, tmp, w, h, radius);
    boxColumns(tmp, out, w, h, radius);
  }
  return out;
}

/**
 * Linear motion blur of a w×h map along `angle` (radians, 0 = +x, π/2 = +y i.e. downwards),
 * averaging `length` pixels centred on each pixel with bilinear taps, into `out` (default: a new
 * array; may not alias `map`).
 */
export function directionalBlur(
  map: Float32Array,
  w: number,
  h: number,
  angle: number,
  length: number,
  out: Float32Array = new Float32Array(map.length),
): Float32Array {
  if (length < 1) {
    out.set(map);
    return out;
  }
  const taps = Math.max(2, Math.ceil(length) + 1);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // per tap: integer offset of the top-left neighbour and the four bilinear weights
  const ox = new Int32Array(taps);
  const oy = new Int32Array(taps);
  const wts = new Float32Array(taps * 4);
  for (let t = 0; t < taps; t++) {
    const s = (t / (taps - 1) - 0.5) * length;
    const dx = s * cos;
    const dy = s * sin;
    const fx = Math.floor(dx);
    const fy = Math.floor(dy);
    const ax = dx - fx;
    const ay = dy - fy;
    ox[t] = fx;
    oy[t] = fy;
    wts[4 * t] = ((1 - ax) * (1 - ay)) / taps;
    wts[4 * t + 1] = (ax * (1 - ay)) / taps;
    wts[4 * t + 2] = ((1 - ax) * ay) / taps;
    wts[4 * t + 3] = (ax * ay) / taps;
  }
  out.fill(0);
  const maxX = w - 1;
  const maxY = h - 1;
  for (let t = 0; t < taps; t++) {
    const w00 = wts[4 * t]!;
    const w10 = wts[4 * t + 1]!;
    const w01 = wts[4 * t + 2]!;
    const w11 = wts[4 * t + 3]!;
    const dx = ox[t]!;
    const dy = oy[t]!;
    for (let y = 0; y < h; y++) {
      let y0 = y + dy;
      let y1 = y0 + 1;
      y0 = y0 < 0 ? 0 : y0 > maxY ? maxY : y0;
      y1 = y1 < 0 ? 0 : y1 > maxY ? maxY : y1;
      const r0 = y0 * w;
      const r1 = y1 * w;
      const o = y * w;
      for (let x = 0; x < w; x++) {
        let x0 = x + dx;
        let x1 = x0 + 1;
        x0 = x0 < 0 ? 0 : x0 > maxX ? maxX : x0;
        x1 = x1 < 0 ? 0 : x1 > maxX ? maxX : x1;
        out[o + x] =
          out[o + x]! + w00 * map[r0 + x0]! + w10 * map[r0 + x1]! + w01 * map[r1 + x0]! + w11 * map[r1 + x1]!;
      }
    }
  }
  return out;
}
