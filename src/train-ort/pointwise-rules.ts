/**
 * Forward + backward of the element-wise and normalising ops: broadcasting add/mul, GELU (the
 * sigmoid form x·σ(1.702x) every abair graph uses), channel LayerNorm, the softmax over the last
 * axis, and the L2 normalisation of MDTA's heads over their pixels. Forwards emit the same node
 * sequences as src/onnx/graph-builder.ts, keeping the intermediates the backward needs.
 */
import { GELU_SIGMOID_SCALE } from '../tfjs/gelu-scale.js';
import { type Autodiff, type V } from './tape.js';

const LAYER_NORM_EPS = 1e-5;
const L2_EPS_SQUARED = 1e-24;

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...new Array<number>(rank - a.length).fill(1), ...a];
  const pb = [...new Array<number>(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    const e = pb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    return Math.max(d, e);
  });
}

export function add(ad: Autodiff, a: V, b: V): V {
  const out = ad.node('Add', [a, b], {}, broadcastShape(a.shape, b.shape), Math.max(a.channels, b.channels));
  return ad.record([a, b], out, (dy) => [ad.requires(a) ? ad.reduceTo(dy, a.shape) : null, ad.requires(b) ? ad.reduceTo(dy, b.shape) : null]);
}

export function mul(ad: Autodiff, a: V, b: V): V {
  const shape = broadcastShape(a.shape, b.shape);
  const out = ad.node('Mul', [a, b], {}, shape, Math.max(a.channels, b.channels));
  return ad.record([a, b], out, (dy) => [
    ad.requires(a) ? ad.reduceTo(ad.mul(dy, b, shape), a.shape) : null,
    ad.requires(b) ? ad.reduceTo(ad.mul(dy, a, shape), b.shape) : null,
  ]);
}

/** y = x·σ(kx); dy/dx = σ + kx·σ(1−σ). */
export function gelu(ad: Autodiff, x: V): V {
  const k = ad.scalar(GELU_SIGMOID_SCALE, 'gelu_scale');
  const s = ad.node('Sigmoid', [ad.mul(x, k)], {}, [...x.shape]);
  const out = ad.node('Mul', [x, s], {}, [...x.shape], x.channels);
  return ad.record([x], out, (dy) => {
    const one = ad.scalar(1, 'one');
    const slope = ad.add(s, ad.mul(ad.mul(ad.mul(x, k), s), ad.sub(one, s, s.shape)));
    return [ad.mul(dy, slope)];
  });
}

/** [C] → [1,C,1,1] for per-channel scaling of NCHW maps. */
function perChannel(ad: Autodiff, v: V): V {
  return ad.reshape(v, [1, v.shape[0]!, 1, 1]);
}

/**
 * LayerNorm over the channels of each pixel, with scale γ and shift β [C].
 * dx = (ĝ − mean_c ĝ − x̂·mean_c(ĝ·x̂)) / std with ĝ = dy·γ; dγ = Σ dy·x̂; dβ = Σ dy.
 */
export function layerNorm(ad: Autodiff, x: V, gamma: V, beta: V): V {
  const mean = ad.reduceMean(x, [1], true);
  const centred = ad.sub(x, mean);
  const variance = ad.reduceMean(ad.mul(centred, centred), [1], true);
  const std = ad.node('Sqrt', [ad.add(variance, ad.scalar(LAYER_NORM_EPS, 'eps'))], {}, variance.shape);
  const normalised = ad.div(centred, std);
  const g4 = perChannel(ad, gamma);
  const out = ad.node('Add', [ad.mul(normalised, g4), perChannel(ad, beta)], {}, [...x.shape], x.channels);
  return ad.record([x, gamma, beta], out, (dy) => {
    let dx: V | null = null;
    if (ad.requires(x)) {
      const dn = ad.mul(dy, g4);
      const inner = ad.sub(ad.sub(dn, ad.reduceMean(dn, [1], true)), ad.mul(normalised, ad.reduceMean(ad.mul(dn, normalised), [1], true)));
      dx = ad.div(inner, std);
    }
    return [
      dx,
      ad.requires(gamma) ? ad.reduceSum(ad.mul(dy, normalised), [0, 2, 3], false) : null,
      ad.requires(beta) ? ad.reduceSum(dy, [0, 2, 3], false) : null,
    ];
  });
}

/** Softmax over the last axis; dx = y·(dy − Σ dy·y). */
export function softmaxLast(ad: Autodiff, x: V): V {
  const out = ad.node('Softmax', [x], { axis: -1 }, [...x.shape]);
  return ad.record([x], out, (dy) => [ad.mul(out, ad.sub(dy, ad.reduceSum(ad.mul(dy, out), [-1], true)))]);
}

/**
 * y = x / max(‖x‖, 1e-12) along the last axis (pixels); where the norm is not clamped,
 * dx = (dy − y·Σ dy·y) / r, else dy / r.
 */
export function normalizeLast(ad: Autodiff, x: V): V {
  const sumSq = ad.node('ReduceSumSquare', [x], { axes: [-1], keepdims: 1 }, [...x.shape.slice(0, -1), 1]);
  const eps = ad.scalar(L2_EPS_SQUARED, 'l2_eps');
  const r = ad.node('Sqrt', [ad.node('Max', [sumSq, eps], {}, sumSq.shape)], {}, sumSq.shape);
  const out = ad.div(x, r);
  return ad.record([x], out, (dy) => {
    const unclamped = ad.node('Cast', [ad.node('Greater', [sumSq, eps], {}, sumSq.shape)], { to: 1 }, sumSq.shape);
    const radial = ad.mul(out, ad.mul(ad.reduceSum(ad.mul(dy, out), [-1], true), unclamped));
    return [ad.div(ad.sub(dy, radial), r)];
  });
}
