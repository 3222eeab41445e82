/**
 * Multi-Dconv head Transposed Attention (Restormer's MDTA). Attention runs across channels, not
 * pixels: per head a d×d map (d = C/heads) from q·kᵀ summed over all pixels, so the cost is linear
 * in the number of pixels and any image size works.
 *
 *   qkv = dw3×3(1×1(x)); q,k L2-normalised over pixels; A = softmax(temperature · qᵀk) over channels;
 *   out = 1×1(A applied to v)
 */
import type { ParamSpec } from '../params.js';
import { conv1x1PartsWith, conv1x1Spec, conv1x1With, depthwise3x3PartWith, depthwise3x3Spec, type LinearDelta } from './conv.js';
import { type ModelOps, weightOf, type WeightsOf } from './graph-ops.js';

export function mdtaSpecs(name: string, channels: number, heads: number): ParamSpec[] {
  return [
    // Restormer initialises the per-head temperature to 1 and learns it.
    { name: `${name}.temperature`, shape: [heads], init: { kind: 'ones' } },
    conv1x1Spec(`${name}.qkv`, channels, 3 * channels),
    depthwise3x3Spec(`${name}.qkv_dw`, 3 * channels),
    conv1x1Spec(`${name}.proj`, channels, channels),
  ];
}

export function mdtaWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, heads: number, lora?: LinearDelta<T>): T {
  // q|k|v are the three channel groups of one 1×1 conv (+ depthwise), computed group by group.
  const [q, k, v] = conv1x1PartsWith(g, params, `${name}.qkv`, x, 3, lora).map((part, i) => depthwise3x3PartWith(g, params, `${name}.qkv_dw`, part, i, 3)) as [T, T, T];
  const qh = g.normalizeHeadPixels(g.splitHeads(q, heads));
  const kh = g.normalizeHeadPixels(g.splitHeads(k, heads));
  const vh = g.splitHeads(v, heads);
  // scores[i,j] = Σ_pixels q[p,i]·k[p,j]: a d×d channel-to-channel map per image and head
  const scores = g.scaleHeads(g.headScores(qh, kh), weightOf(params, `${name}.temperature`), heads);
  const attention = g.softmaxLast(scores);
  // out[p,i] = Σ_j attention[i,j]·v[p,j]
  const out = g.applyAttention(vh, attention);
  return conv1x1With(g, params, `${name}.proj`, g.mergeHeads(out, q, heads), lora);
}
