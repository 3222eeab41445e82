/**
 * Per-tile array work of the restore pipeline (plain typed arrays, HWC interleaved; Node and the
 * browser alike): reflect padding of tiny tiles, cropping, clipping, and turning segmentation
 * logits into map colours.
 */

/**
 * Source index of every position along an axis of `size` padded at the end to a multiple of
 * `multiple`, exactly as src/model/padding.ts pads: reflection (without repeating the edge) in as
 * many rounds as needed, since one reflection cannot add more than size − 1; a 1-pixel axis is
 * replicated.
 */
// @testSeam: tested directly
export function reflectIndices(size: number, multiple: number): Int32Array {
  const indices = Array.from({ length: size }, (_, i) => i);
  let remaining = (multiple - (size % multiple)) % multiple;
  while (remaining > 0) {
    const length = indices.length;
    if (length === 1) {
      for (let i = 0; i < remaining; i++) indices.push(indices[0]!);
      break;
    }
    const step = Math.min(remaining, length - 1);
    for (let t = 1; t <= step; t++) indices.push(indices[length - 1 - t]!);
    remaining -= step;
  }
  return Int32Array.from(indices);
}

/** Pads an HWC tile at the bottom/right to multiples of `multiple` (see reflectIndices). */
export function reflectPadToMultiple(data: Float32Array, width: number, height: number, channels: number, multiple: number): { data: Float32Array; width: number; height: number } {
  const ys = reflectIndices(height, multiple);
  const xs = reflectIndices(width, multiple);
  const out = new Float32Array(ys.length * xs.length * channels);
  let o = 0;
  for (const y of ys) {
    for (const x of xs) {
      const from = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[from + c]!;
    }
  }
  return { data: out, width: xs.length, height: ys.length };
}

/** The top-left width×height part of an HWC array that is `fullWidth` wide (the array itself when nothing is cut). */
export function cropTopLeft(data: Float32Array, fullWidth: number, width: number, height: number, channels: number): Float32Array {
  if (fullWidth === width && data.length === width * height * channels) return data;
  const out = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) out.set(data.subarray(y * fullWidth * channels, (y * fullWidth + width) * channels), y * width * channels);
  return out;
}

/** Clips every value to [0, 1] in place (NaN becomes 0, as the byte conversion would make it anyway). */
export function clipUnit(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return data;
}

/**
 * Map colours from per-pixel logits [pixels, 1+K]: the softmax over the channels mixes `palette`
 * ([1+K, 3] row-major, clean first).
 */
export function logitsToColours(logits: Float32Array, channels: number, palette: Float32Array): Float32Array {
  if (palette.length !== channels * 3) throw new Error(`palette has ${palette.length / 3} colours for ${channels} channels`);
  const pixels = logits.length / channels;
  const out = new Float32Array(pixels * 3);
  const p = new Float64Array(channels);
  for (let i = 0; i < pixels; i++) {
    const base = i * channels;
    let max = -Infinity;
    for (let c = 0; c < channels; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += p[c] = Math.exp(logits[base + c]! - max);
    let r = 0;
    let g = 0;
    let b = 0;
    for (let c = 0; c < channels; c++) {
      const w = p[c]! / sum;
      r += w * palette[c * 3]!;
      g += w * palette[c * 3 + 1]!;
      b += w * palette[c * 3 + 2]!;
    }
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  }
  return out;
}
