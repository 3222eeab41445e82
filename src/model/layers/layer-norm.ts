/** Per-pixel LayerNorm over channels with scale and bias (Restormer's "WithBias" variant). */
import type { ParamSpec } from '../params.js';
import { type ModelOps, weightOf, type WeightsOf } from './graph-ops.js';

export function layerNormSpecs(name: string, channels: number): ParamSpec[] {
  return [
    { name: `${name}.g`, shape: [channels], init: { kind: 'ones' } },
    { name: `${name}.b`, shape: [channels], init: { kind: 'zeros' } },
  ];
}

export function layerNormWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T): T {
  return g.layerNorm(x, weightOf(params, `${name}.g`), weightOf(params, `${name}.b`));
}
