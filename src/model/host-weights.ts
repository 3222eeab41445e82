/**
 * Weights as plain arrays: what the ONNX exporter and the ONNX engine need from a weight file,
 * without tfjs. A tfjs tensor satisfies WeightLike too, so the exporter takes either.
 */
import { loraParamName, loraScale, type LoraConfig } from './lora.js';

/** A weight with a static shape whose values can be read synchronously (tf.Tensor or HostWeight). */
export interface WeightLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

export type WeightsLike = Readonly<Record<string, WeightLike>>;

/** A LoRA adapter's config and factors, on either side. */
export interface AdapterWeights {
  readonly config: LoraConfig;
  readonly params: WeightsLike;
}

/** A float32 weight held in a plain array (row-major, tfjs parameter layout). */
export class HostWeight implements WeightLike {
  constructor(readonly data: Float32Array, readonly shape: readonly number[]) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`weight of shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
  }

  dataSync(): Float32Array {
    return this.data;
  }
}

export type HostWeights = Readonly<Record<string, HostWeight>>;

/**
 * mergeAdapters (lora.ts) on plain arrays, for the named 1×1 weights (`<layer>.w`, [cin, cout]):
 *   W' = W + Σ_k weights[k]·(α_k/r_k)·A_k·B_k
 * Returns fresh arrays, one per name; a layer no weighted adapter targets gets a copy of W.
 */
export function mergeAdaptersHost(
  base: WeightsLike,
  adapters: readonly AdapterWeights[],
  weights: ArrayLike<number>,
  names: readonly string[],
): Record<string, Float32Array> {
  if (weights.length !== adapters.length) throw new Error(`mergeAdaptersHost: ${adapters.length} adapters but ${weights.length} weights`);
  const out: Record<string, Float32Array> = {};
  for (const name of names) {
    const w = base[name];
    if (!w || w.shape.length !== 2) throw new Error(`mergeAdaptersHost: '${name}' is not a 2-D base weight`);
    const [cin, cout] = w.shape as [number, number];
    const merged = Float32Array.from(w.dataSync());
    const layer = name.replace(/\.w$/, '');
    adapters.forEach((adapter, k) => {
      const weight = weights[k]!;
      if (weight === 0 || !adapter.config.targets.includes(layer)) return;
      const rank = adapter.config.rank;
      const a = adapter.params[loraParamName(adapter.config.name, layer, 'A')]!.dataSync(); // [cin, rank]
      const b = adapter.params[loraParamName(adapter.config.name, layer, 'B')]!.dataSync(); // [rank, cout]
      const scale = weight * loraScale(adapter.config);
      for (let i = 0; i < cin; i++) {
        for (let j = 0; j < cout; j++) {
          let dot = 0;
          for (let r = 0; r < rank; r++) dot += a[i * rank + r]! * b[r * cout + j]!;
          merged[i * cout + j] = merged[i * cout + j]! + Math.fround(dot) * scale;
        }
      }
    });
    out[name] = merged;
  }
  return out;
}
