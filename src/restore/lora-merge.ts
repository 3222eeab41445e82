/**
 * The per-image adapter blend, in plain JS for Node and the browser alike: for every LoRA-target
 * 1×1 weight (a graph input of the backbone),
 *   W' = W + Σₖ wₖ · scaleₖ · Aₖ·Bₖ
 * the fold src/model/lora.ts mergeAdapters does with tfjs. Adapters with weight 0 are skipped, so
 * an all-zero blend returns copies of the base weights. Each entry of Aₖ·Bₖ is summed in float64,
 * rounded to float32 once, then scaled and added (the arithmetic the Node restorer has always
 * used, so its outputs stay the same to the bit).
 *
 * Where the factors come from is the faces' business: a model folder's weights (node-runner.ts,
 * `loraFromWeights`) or a web model's lora.bin byte ranges (src/browser/restorer.ts).
 */
/** One adapter's low-rank factors for one weight input. */
interface LoraFactors {
  rank: number;
  /** A [cin, rank] */
  a: Float32Array;
  /** B [rank, cout] */
  b: Float32Array;
}

/** One weight input of the backbone graph: its base value and what each adapter adds to it. */
interface LoraWeightInput {
  /** graph input name = the parameter name, e.g. `enc1.0.attn.qkv.w` */
  name: string;
  /** [cin, cout] */
  shape: readonly [number, number];
  base: Float32Array;
  /** one entry per adapter (class order): its factors for this input, or null when it does not target it */
  factors: readonly (LoraFactors | null)[];
}

/** Everything the merge needs: the weight inputs and each adapter's scale (α / r). */
export interface LoraSet {
  inputs: readonly LoraWeightInput[];
  /** one per adapter, in class order */
  scales: readonly number[];
}

/** The merged value of every weight input (input order), each a fresh Float32Array [cin·cout]. */
export function mergeLora(set: LoraSet, weights: ArrayLike<number>): Map<string, Float32Array> {
  const { inputs, scales } = set;
  if (weights.length !== scales.length) throw new Error(`mergeLora: ${scales.length} adapters but ${weights.length} weights`);
  const merged = new Map<string, Float32Array>();
  for (const input of inputs) {
    const [cin, cout] = input.shape;
    const out = Float32Array.from(input.base);
    input.factors.forEach((factors, k) => {
      const weight = weights[k]!;
      if (weight === 0 || !factors) return;
      const { rank, a, b } = factors;
      const scale = weight * scales[k]!;
      for (let i = 0; i < cin; i++) {
        for (let j = 0; j < cout; j++) {
          let dot = 0;
          for (let r = 0; r < rank; r++) dot += a[i * rank + r]! * b[r * cout + j]!;
          out[i * cout + j] = out[i * cout + j]! + Math.fround(dot) * scale;
        }
      }
    });
    merged.set(input.name, out);
  }
  return merged;
}

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
