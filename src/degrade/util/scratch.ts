/**
 * Reusable temporary buffers for the maps a degradation builds inside one synchronous `apply`
 * (streak layers, depth maps, noise planes). Writing to a freshly allocated multi-megabyte typed
 * array costs a page fault per 4 KiB page, which on our machines was over ten times the cost of the
 * arithmetic (measured on the dev machine: allocating and filling 3 MB took 8.6 ms, refilling an
 * existing buffer 0.5 ms), so the hot path keeps one grow-only buffer per purpose instead.
 *
 * Rules: the contents are leftovers from the previous use (overwrite or `fill(0)` first), a key
 * must not be used twice at once, and a scratch buffer must never escape into a result.
 */
const buffers = new Map<string, Float32Array>();

/** Maps larger than this many floats (64 MiB) are not kept around after use. */
const MAX_POOLED = 1 << 24;

export function scratch(key: string, length: number): Float32Array {
  if (length > MAX_POOLED) return new Float32Array(length);
  let buf = buffers.get(key);
  if (!buf || buf.length < length) {
    buf = new Float32Array(length);
    buffers.set(key, buf);
  }
  return buf.subarray(0, length);
}

/** A scratch buffer set to zero. */
export function zeroedScratch(key: string, length: number): Float32Array {
  const buf = scratch(key, length);
  buf.fill(0);
  return buf;
}
