/**
 * Per-image adapter blend in plain JS (the browser has no tfjs): for every weight input,
 *   W' = W + Σₖ wₖ · scaleₖ · Aₖ·Bₖ
 * the same fold as src/model/lora.ts mergeAdapters, read from lora.bin's byte ranges. Adapters
 * with weight 0 are skipped (as there), so an all-zero blend returns copies of the base weights.
 * Each product row is accumulated in float64 and rounded once when added, which keeps the result
 * within float32 rounding of tfjs's float32 matMul.
 */
import type { WebModelManifest } from './manifest.js';

/** Little-endian float32 bytes (lora.bin) as a Float32Array, copied only when the platform or alignment needs it. */
export function float32FromLittleEndian(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`float32 data must be a multiple of 4 bytes, got ${bytes.byteLength}`);
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (littleEndian && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The merged weight of every weight input (manifest order), each a fresh Float32Array [cin·cout]. */
export function mergeLora(
  lora: Float32Array,
  manifest: Pick<WebModelManifest, 'weightInputs' | 'adapters'>,
  weights: ArrayLike<number>,
): Map<string, Float32Array> {
  const { weightInputs, adapters } = manifest;
  if (weights.length !== adapters.length) throw new Error(`mergeLora: ${adapters.length} adapters but ${weights.length} weights`);
  const floats = (offset: number, length: number) => lora.subarray(offset / 4, (offset + length) / 4);
  const merged = new Map<string, Float32Array>();
  for (const input of weightInputs) {
    const [cin, cout] = input.shape;
    const out = floats(input.byteOffset, input.byteLength).slice();
    const row = new Float64Array(cout);
    adapters.forEach((adapter, k) => {
      const weight = weights[k]!;
      if (weight === 0) return;
      const layer = adapter.layers.find((l) => l.input === input.name);
      if (!layer) return;
      const coefficient = weight * adapter.scale;
      const a = floats(layer.a.byteOffset, layer.a.byteLength);
      const b = floats(layer.b.byteOffset, layer.b.byteLength);
      const rank = layer.rank;
      for (let i = 0; i < cin; i++) {
        row.fill(0);
        for (let r = 0; r < rank; r++) {
          const air = a[i * rank + r]!;
          if (air === 0) continue;
          const bRow = r * cout;
          for (let j = 0; j < cout; j++) row[j]! += air * b[bRow + j]!;
        }
        const o = i * cout;
        for (let j = 0; j < cout; j++) out[o + j]! += coefficient * row[j]!;
      }
    });
    merged.set(input.name, out);
  }
  return merged;
}
