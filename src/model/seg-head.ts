/**
 * Phase-I auxiliary segmentation head: per-pixel logits over 1 + K classes (0 = clean, then one
 * per degradation type) from the last decoder features. Only used while pre-training the backbone
 * with Degradation CutMix; inference ignores it.
 */
import type { tf } from '../tfjs/backend.js';
import { type BackboneConfig, levelChannels } from './config.js';
import { conv3x3, conv3x3Specs, conv3x3With } from './layers/conv.js';
import type { ModelOps, WeightsOf } from './layers/graph-ops.js';
import type { ParamSpec, Params } from './params.js';

export function segHeadSpecs(config: BackboneConfig): ParamSpec[] {
  if (config.segClasses === 0) return [];
  // The refinement stage runs at 2·dim channels (decoder level 1 keeps the concatenated width).
  return conv3x3Specs('seg', 2 * levelChannels(config, 1), config.segClasses + 1, true);
}

function segHead(params: Params, features: tf.Tensor4D): tf.Tensor4D {
  return conv3x3(params, 'seg', features);
}

export function segHeadWith<T>(g: ModelOps<T>, params: WeightsOf<T>, features: T): T {
  return conv3x3With(g, params, 'seg', features);
}
