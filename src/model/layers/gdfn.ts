/**
 * Gated-Dconv Feed-forward Network (Restormer's GDFN): 1×1 expand to two hidden branches, 3×3
 * depthwise, GELU(branch 1) gates branch 2, 1×1 project back.
 */
import type { ParamSpec } from '../params.js';
import { conv1x1PartsWith, conv1x1Spec, conv1x1With, depthwise3x3PartWith, depthwise3x3Spec, type LinearDelta } from './conv.js';
import type { ModelOps, WeightsOf } from './graph-ops.js';

export function gdfnSpecs(name: string, channels: number, hidden: number): ParamSpec[] {
  return [
    conv1x1Spec(`${name}.in`, channels, 2 * hidden),
    depthwise3x3Spec(`${name}.dw`, 2 * hidden),
    conv1x1Spec(`${name}.out`, hidden, channels),
  ];
}

export function gdfnWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, lora?: LinearDelta<T>): T {
  // gate|value are the two channel groups of one 1×1 conv (+ depthwise), computed group by group.
  const [gate, value] = conv1x1PartsWith(g, params, `${name}.in`, x, 2, lora).map((part, i) => depthwise3x3PartWith(g, params, `${name}.dw`, part, i, 2)) as [T, T];
  const gated = g.mul(g.gelu(gate), value);
  return conv1x1With(g, params, `${name}.out`, gated, lora);
}
