/**
 * Gated-Dconv Feed-forward Network (Restormer's GDFN): 1×1 expand to two hidden branches, 3×3
 * depthwise, GELU(branch 1) gates branch 2, 1×1 project back.
 */
import { tf } from '../../engine/backend.js';
import * as ops from '../../engine/ops.js';
import type { ParamSpec, Params } from '../params.js';
import { conv1x1, conv1x1Parts, conv1x1Spec, depthwise3x3Part, depthwise3x3Spec, type LinearDelta } from './conv.js';

export function gdfnSpecs(name: string, channels: number, hidden: number): ParamSpec[] {
  return [
    conv1x1Spec(`${name}.in`, channels, 2 * hidden),
    depthwise3x3Spec(`${name}.dw`, 2 * hidden),
    conv1x1Spec(`${name}.out`, hidden, channels),
  ];
}

export function gdfn(params: Params, name: string, x: tf.Tensor4D, lora?: LinearDelta): tf.Tensor4D {
  // gate|value are the two channel groups of one 1×1 conv (+ depthwise), computed group by group.
  const [gate, value] = conv1x1Parts(params, `${name}.in`, x, 2, lora).map((part, i) => depthwise3x3Part(params, `${name}.dw`, part, i, 2)) as [tf.Tensor4D, tf.Tensor4D];
  const gated = tf.mul(ops.gelu(gate), value) as tf.Tensor4D;
  return conv1x1(params, `${name}.out`, gated, lora);
}
