/**
 * The small set of operations the model's forward code is written against, so that one
 * definition of the architecture runs two ways:
 *   - `tfOps`: eager tfjs (the default, used for training and the tfjs engine): exactly the tf /
 *     src/tfjs/ops.ts calls the layers always made, NHWC;
 *   - a symbolic ONNX graph builder (src/onnx/graph-builder.ts) that records nodes instead (NCHW).
 *
 * Activations are opaque `T`s: the layout is the implementation's business, so forward code never
 * names an axis. Weights keep the tfjs layout of the parameter files ([cin,cout] for 1×1,
 * [3,3,cin,cout] for 3×3, [3,3,c,1] for depthwise) in both implementations; `sliceWeight` indexes
 * them in that layout.
 */
import { ops, tf } from '../../tfjs/tf-handle.js';

export interface ModelOps<T> {
  /** Channel count of a feature map (always static). */
  channels(x: T): number;
  /** Static shape of a weight, in the tfjs parameter layout. */
  weightShape(w: T): number[];
  sliceWeight(w: T, begin: number[], size: number[]): T;
  /** Images in the batch, where static (tfjs); the ONNX builder answers 0 (dynamic). */
  batchSize(x: T): number;

  /** Feature map → the operand of 1×1 convolutions ([N·H·W,C] on tfjs). */
  pixelRows(x: T): T;
  /** rows · w with w [cin, cout] (a 1×1 convolution on pixelRows). */
  linear(rows: T, w: T): T;
  /** pixelRows result back to a feature map with the spatial size of `like`. */
  unflattenRows(rows: T, like: T): T;
  /** Plain [N,F]·[F,K] product (the estimator's head). */
  matMul(a: T, w: T): T;

  /** 3×3 convolution, 'same' padding (TF convention for stride 2), optional bias [cout]. */
  conv3x3(x: T, w: T, stride: number, bias?: T): T;
  depthwise3x3(x: T, w: T): T;
  layerNorm(x: T, gamma: T, beta: T): T;
  gelu(x: T): T;
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  concatChannels(a: T, b: T): T;
  pixelShuffle(x: T, r: number): T;
  pixelUnshuffle(x: T, r: number): T;
  /** Bilinear resize (align corners) of a feature map to size×size. */
  resizeSquare(x: T, size: number): T;
  /** Mean over the pixels: [N, C]. */
  meanPixels(x: T): T;

  // Channel attention (MDTA): per image and head, a d×d map over all pixels.
  splitHeads(x: T, heads: number): T;
  /** L2-normalise each channel of each head over the pixels (F.normalize, eps 1e-12). */
  normalizeHeadPixels(x: T): T;
  /** scores[i,j] = Σ_pixels q[p,i]·k[p,j]. */
  headScores(q: T, k: T): T;
  /** Multiply each head's scores by its temperature ([heads]). */
  scaleHeads(scores: T, temperature: T, heads: number): T;
  softmaxLast(x: T): T;
  /** out[p,i] = Σ_j attention[i,j]·v[p,j]. */
  applyAttention(v: T, attention: T): T;
  /** Inverse of splitHeads, back to the shape of `like`. */
  mergeHeads(x: T, like: T, heads: number): T;

  /** Memory scope (tf.tidy) and early release; no-ops when building a graph. */
  scope<R>(fn: () => R): R;
  release(x: T): void;
}

/** A named-weight record over any tensor type. */
export type WeightsOf<T> = Readonly<Record<string, T>>;

export function weightOf<T>(params: WeightsOf<T>, name: string): T {
  const t = params[name];
  if (t === undefined) throw new Error(`missing model parameter '${name}'`);
  return t;
}

/** The eager tfjs implementation: the calls the layers made before this interface existed. */
export const tfOps: ModelOps<tf.Tensor> = {
  channels: (x) => x.shape[x.rank - 1]!,
  weightShape: (w) => [...w.shape],
  sliceWeight: (w, begin, size) => tf.slice(w, begin, size),
  batchSize: (x) => x.shape[0]!,

  pixelRows: (x) => {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    return tf.reshape(x, [n * h * w, c]);
  },
  linear: (rows, w) => ops.matMul(rows as tf.Tensor2D, w as tf.Tensor2D),
  unflattenRows: (rows, like) => {
    const [n, h, w] = like.shape as [number, number, number, number];
    return tf.reshape(rows, [n, h, w, rows.shape[1]!]);
  },
  matMul: (a, w) => ops.matMul(a as tf.Tensor2D, w as tf.Tensor2D),

  conv3x3: (x, w, stride, bias) => {
    const y = ops.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same');
    return bias ? tf.add(y, bias) : y;
  },
  depthwise3x3: (x, w) => ops.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  layerNorm: (x, gamma, beta) => ops.layerNorm(x, gamma as tf.Tensor1D, beta as tf.Tensor1D),
  gelu: (x) => ops.gelu(x),
  add: (a, b) => tf.add(a, b),
  mul: (a, b) => tf.mul(a, b),
  concatChannels: (a, b) => concatChannelsByMatMul(a as tf.Tensor4D, b as tf.Tensor4D),
  pixelShuffle: (x, r) => ops.pixelShuffle(x as tf.Tensor4D, r),
  pixelUnshuffle: (x, r) => ops.pixelUnshuffle(x as tf.Tensor4D, r),
  resizeSquare: (x, size) => tf.image.resizeBilinear(x as tf.Tensor4D, [size, size], true),
  meanPixels: (x) => tf.mean(x, [1, 2]),

  // tfjs layout of heads: [N·heads, H·W, d] (pixels on the middle axis, one matrix per image and head).
  splitHeads: (x, heads) => {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    if (heads === 1) return tf.reshape(x, [n, h * w, c]);
    const perHead = tf.transpose(tf.reshape(x, [n, h * w, heads, c / heads]), [0, 2, 1, 3]);
    return tf.reshape(perHead, [n * heads, h * w, c / heads]);
  },
  normalizeHeadPixels: (x) => {
    const sumSq = tf.sum(tf.square(x), 1, true);
    return tf.mul(x, tf.rsqrt(tf.maximum(sumSq, 1e-24)));
  },
  headScores: (q, k) => ops.batchMatMul(q as tf.Tensor3D, k as tf.Tensor3D, true, false),
  scaleHeads: (scores, temperature, heads) => {
    const [nh, d] = scores.shape as [number, number, number];
    const n = nh / heads;
    const t = tf.reshape(temperature, [1, heads, 1, 1]);
    return tf.reshape(tf.mul(tf.reshape(scores, [n, heads, d, d]), t), [nh, d, d]);
  },
  softmaxLast: (x) => tf.softmax(x, -1),
  applyAttention: (v, attention) => ops.batchMatMul(v as tf.Tensor3D, attention as tf.Tensor3D, false, true),
  mergeHeads: (x, like, heads) => {
    const [n, h, w] = like.shape as [number, number, number, number];
    const d = x.shape[2]!;
    if (heads === 1) return tf.reshape(x, [n, h, w, d]);
    const pixelsFirst = tf.transpose(tf.reshape(x, [n, heads, h * w, d]), [0, 2, 1, 3]);
    return tf.reshape(pixelsFirst, [n, h, w, heads * d]);
  },

  scope: (fn) => tf.tidy(fn as () => tf.TensorContainer) as ReturnType<typeof fn>,
  release: (x) => x.dispose(),
};

/**
 * Channel concatenation [a | b] computed as a·[I 0] + b·[0 I] with two matrix products. Exact
 * (products with 1 and sums with 0), differentiable, and on wasm far faster than tf.concat on the
 * innermost axis, which measured ~70 ms for a 4×64×64×16 result against ~1 ms this way.
 */
function concatChannelsByMatMul(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, ca] = a.shape;
  const cb = b.shape[3];
  const placement = (offset: number, c: number) =>
    tf.tidy(() => tf.concat([tf.zeros([c, offset]), tf.eye(c), tf.zeros([c, ca + cb - offset - c])], 1) as tf.Tensor2D);
  const rows = n * h * w;
  const y = tf.add(
    ops.matMul(tf.reshape(a, [rows, ca]) as tf.Tensor2D, placement(0, ca)),
    ops.matMul(tf.reshape(b, [rows, cb]) as tf.Tensor2D, placement(ca, cb)),
  );
  return tf.reshape(y, [n, h, w, ca + cb]) as tf.Tensor4D;
}
