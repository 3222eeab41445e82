/**
 * ModelOps over the autodiff tape: the model's forward code (backbone, estimator, LoRA) runs on
 * it unchanged and leaves behind an ONNX graph plus the tape its backward is emitted from.
 */
import type { ModelOps } from '../model/layers/graph-ops.js';
import * as conv from './conv-rules.js';
import * as layout from './layout-rules.js';
import * as pointwise from './pointwise-rules.js';
import type { Autodiff, V } from './tape.js';

export function autodiffOps(ad: Autodiff): ModelOps<V> {
  return scoped(ad, {
    channels: (x) => x.channels,
    weightShape: (w) => [...w.shape],
    sliceWeight: (w, begin, size) => conv.sliceWeight(ad, w, begin, size),
    batchSize: (x) => x.shape[0]!,

    pixelRows: (x) => x,
    linear: (x, w) => conv.linear(ad, x, w),
    unflattenRows: (rows) => rows,
    matMul: (a, w) => conv.matMul(ad, a, w),

    conv3x3: (x, w, stride, bias) => conv.conv3x3(ad, x, w, stride, bias),
    depthwise3x3: (x, w) => conv.depthwise3x3(ad, x, w),
    layerNorm: (x, gamma, beta) => pointwise.layerNorm(ad, x, gamma, beta),
    gelu: (x) => pointwise.gelu(ad, x),
    add: (a, b) => pointwise.add(ad, a, b),
    mul: (a, b) => pointwise.mul(ad, a, b),
    concatChannels: (a, b) => layout.concatChannels(ad, a, b),
    pixelShuffle: (x, r) => layout.pixelShuffle(ad, x, r),
    pixelUnshuffle: (x, r) => layout.pixelUnshuffle(ad, x, r),
    resizeSquare: (x, size) => layout.resizeSquare(ad, x, size),
    meanPixels: (x) => layout.meanPixels(ad, x),

    splitHeads: (x, heads) => layout.splitHeads(ad, x, heads),
    normalizeHeadPixels: (x) => pointwise.normalizeLast(ad, x),
    headScores: (q, k) => layout.headScores(ad, q, k),
    scaleHeads: (scores, temperature, heads) => layout.scaleHeads(ad, scores, temperature, heads),
    softmaxLast: (x) => pointwise.softmaxLast(ad, x),
    applyAttention: (v, attention) => layout.applyAttention(ad, v, attention),
    mergeHeads: (x, like) => layout.mergeHeads(ad, x, like),

    scope: (fn) => fn(),
    release: () => undefined,
  });
}

/** Names every op's nodes after the op (the outermost one, e.g. a LoRA delta's linear stays `linear`). */
function scoped(ad: Autodiff, ops: ModelOps<V>): ModelOps<V> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(ops) as [string, unknown][]) {
    if (typeof fn !== 'function' || name === 'scope' || name === 'release') {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]) => {
      if (ad.scope !== null) return (fn as (...a: unknown[]) => unknown)(...args);
      ad.scope = name;
      try {
        return (fn as (...a: unknown[]) => unknown)(...args);
      } finally {
        ad.scope = null;
      }
    };
  }
  return wrapped as unknown as ModelOps<V>;
}
