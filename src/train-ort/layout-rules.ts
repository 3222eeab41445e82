/**
 * Forward + backward of the ops that move values around: channel concat, pixel (un)shuffle,
 * bilinear resize (align corners), the pixel mean, MDTA's head reshapes and its three batched
 * products (q·kᵀ, the temperature scale, attention·v). NCHW; heads are [N, heads, d, H·W].
 */
import { type Autodiff, sizeOf, type V } from './tape.js';

export function concatChannels(ad: Autodiff, a: V, b: V): V {
  const [n, ca, h, w] = a.shape as [number, number, number, number];
  const cb = b.shape[1]!;
  const out = ad.node('Concat', [a, b], { axis: 1 }, [n, ca + cb, h, w], ca + cb);
  const part = (dy: V, from: number, to: number) => ad.node('Slice', [dy, ad.graph.int64([from]), ad.graph.int64([to]), ad.graph.int64([1])], {}, [n, to - from, h, w]);
  return ad.record([a, b], out, (dy) => [ad.requires(a) ? part(dy, 0, ca) : null, ad.requires(b) ? part(dy, ca, ca + cb) : null]);
}

// DepthToSpace (DCR) and SpaceToDepth are inverse permutations, so each is the other's backward.
export function pixelShuffle(ad: Autodiff, x: V, r: number): V {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = ad.node('DepthToSpace', [x], { blocksize: r, mode: 'DCR' }, [n, c / (r * r), h * r, w * r], c / (r * r));
  return ad.record([x], out, (dy) => [ad.node('SpaceToDepth', [dy], { blocksize: r }, [...x.shape])]);
}

export function pixelUnshuffle(ad: Autodiff, x: V, r: number): V {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = ad.node('SpaceToDepth', [x], { blocksize: r }, [n, c * r * r, h / r, w / r], c * r * r);
  return ad.record([x], out, (dy) => [ad.node('DepthToSpace', [dy], { blocksize: r, mode: 'DCR' }, [...x.shape])]);
}

/** [to, from] matrix of 1-D linear interpolation with aligned corners (rows sum to 1). */
function interpolationMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(to * from);
  for (let i = 0; i < to; i++) {
    const src = to === 1 ? 0 : (i * (from - 1)) / (to - 1);
    const lo = Math.min(Math.floor(src), from - 1);
    const hi = Math.min(lo + 1, from - 1);
    const t = src - lo;
    m[i * from + lo] += 1 - t;
    m[i * from + hi] += t;
  }
  return m;
}

/** Bilinear resize to size×size (align corners); backward dx = Mhᵀ·dy·Mw (the resize is y = Mh·x·Mwᵀ). */
export function resizeSquare(ad: Autodiff, x: V, size: number): V {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = ad.node('Resize', [x, null, null, ad.graph.int64([n, c, size, size])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, [n, c, size, size], c);
  return ad.record([x], out, (dy) => {
    const mh = interpolationMatrix(h, size);
    const mhT = new Float32Array(h * size);
    for (let i = 0; i < size; i++) for (let j = 0; j < h; j++) mhT[j * size + i] = mh[i * h + j]!;
    const rows = ad.node('MatMul', [ad.constant(mhT, [h, size], 'resize_rows_t'), dy], {}, [n, c, h, size]);
    return [ad.node('MatMul', [rows, ad.constant(interpolationMatrix(w, size), [size, w], 'resize_cols')], {}, [...x.shape])];
  });
}

/** Mean over the pixels → [N, C]. */
export function meanPixels(ad: Autodiff, x: V): V {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = ad.node('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }, [n, c], c);
  return ad.record([x], out, (dy) => {
    const spread = ad.mul(ad.reshape(dy, [n, c, 1, 1]), ad.scalar(1 / (h * w), 'inv_pixels'));
    return [ad.node('Expand', [spread, ad.graph.int64([...x.shape])], {}, [...x.shape])];
  });
}

/** A reshape (heads split/merge): the gradient is reshaped back. */
function reshapeTo(ad: Autodiff, x: V, shape: number[], channels = 0): V {
  if (sizeOf(shape) !== sizeOf(x.shape)) throw new Error(`cannot reshape [${x.shape}] to [${shape}]`);
  const out = { ...ad.reshape(x, shape), channels };
  return ad.record([x], out, (dy) => [ad.reshape(dy, [...x.shape])]);
}

export function splitHeads(ad: Autodiff, x: V, heads: number): V {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return reshapeTo(ad, x, [n, heads, c / heads, h * w]);
}

export function mergeHeads(ad: Autodiff, x: V, like: V): V {
  return reshapeTo(ad, x, [...like.shape], like.channels);
}

/** scores = q·kᵀ per image and head: [N,h,d,P]² → [N,h,d,d]; dq = dS·k, dk = dSᵀ·q. */
export function headScores(ad: Autodiff, q: V, k: V): V {
  const [n, heads, d] = q.shape as [number, number, number, number];
  const scores = ad.node('MatMul', [q, ad.transpose(k, [0, 1, 3, 2])], {}, [n, heads, d, d]);
  return ad.record([q, k], scores, (dy) => [
    ad.requires(q) ? ad.node('MatMul', [dy, k], {}, [...q.shape]) : null,
    ad.requires(k) ? ad.node('MatMul', [ad.transpose(dy, [0, 1, 3, 2]), q], {}, [...k.shape]) : null,
  ]);
}

/** scores · temperature[head]; dt = Σ dy·scores over images and the d×d map. */
export function scaleHeads(ad: Autodiff, scores: V, temperature: V, heads: number): V {
  const t = ad.reshape(temperature, [1, heads, 1, 1]);
  const out = ad.mul(scores, t, [...scores.shape]);
  return ad.record([scores, temperature], out, (dy) => [
    ad.requires(scores) ? ad.mul(dy, t) : null,
    ad.requires(temperature) ? ad.reduceSum(ad.mul(dy, scores), [0, 2, 3], false) : null,
  ]);
}

/** out = A·v: [N,h,d,d]·[N,h,d,P]; dA = dy·vᵀ, dv = Aᵀ·dy. */
export function applyAttention(ad: Autodiff, v: V, attention: V): V {
  const out = ad.node('MatMul', [attention, v], {}, [...v.shape]);
  return ad.record([v, attention], out, (dy) => [
    ad.requires(v) ? ad.node('MatMul', [ad.transpose(attention, [0, 1, 3, 2]), dy], {}, [...v.shape]) : null,
    ad.requires(attention) ? ad.node('MatMul', [dy, ad.transpose(v, [0, 1, 3, 2])], {}, [...attention.shape]) : null,
  ]);
}
