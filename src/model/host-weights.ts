/**
 * Weights as plain arrays: what the ONNX exporter and the ONNX engine need from a weight file,
 * without tfjs. A tfjs tensor satisfies WeightLike too, so the exporter takes either.
 */
import type { LoraConfig } from './lora.js';

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
