/** Per-pixel LayerNorm over channels with scale and bias (Restormer's "WithBias" variant). */
import type { tf } from '../../tfjs/backend.js';
import type { ParamSpec, Params } from '../params.js';
import { type ModelOps, tfOps, weightOf, type WeightsOf } from './graph-ops.js';

export function layerNormSpecs(name: string, channels: number): ParamSpec[] {
  return [
    { name: `${name}.g`, shape: [channels], init: { kind: 'ones' } },
    { name: `${name}.b`, shape: [channels], init: { kind: 'zeros' } },
  ];
}

export function layerNorm(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return layerNormWith(tfOps, params, name, x) as tf.Tensor4D;
}

export function layerNormWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T): T {
  return g.layerNorm(x, weightOf(params, `${name}.g`), weightOf(params, `${name}.b`));
}
