/** Per-pixel LayerNorm over channels with scale and bias (Restormer's "WithBias" variant). */
import type { tf } from '../../engine/backend.js';
import * as ops from '../../engine/ops.js';
import { param, type ParamSpec, type Params } from '../params.js';

export function layerNormSpecs(name: string, channels: number): ParamSpec[] {
  return [
    { name: `${name}.g`, shape: [channels], init: { kind: 'ones' } },
    { name: `${name}.b`, shape: [channels], init: { kind: 'zeros' } },
  ];
}

export function layerNorm(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return ops.layerNorm(x, param<tf.Tensor1D>(params, `${name}.g`), param<tf.Tensor1D>(params, `${name}.b`));
}
