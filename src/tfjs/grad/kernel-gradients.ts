/**
 * Gradient configs for the tfjs kernels the model uses, registered once on import.
 *
 * Why this exists: the Node builds of @tensorflow/tfjs-core 4.22 (the CommonJS bundle Node loads)
 * register NO gradients at all — tfjs-core ships them only as untranspiled ES modules
 * (dist/register_all_gradients.js, extensionless imports) that the full @tensorflow/tfjs bundle
 * pulls in. Without this file every tf.grad fails with "gradient function not found for Sum".
 *
 * Every gradient below is written from the derivative's formula using only forward kernels the
 * wasm backend has (checked by ops.test.ts / grad-inventory.test.ts). Conv2D, DepthwiseConv2dNative
 * and BatchMatMul use the wasm-friendly constructions in conv.ts, depthwise.ts and matmul.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dGradFilter, conv2dGradInput } from './conv.js';
import { depthwiseGradFilter, depthwiseGradInput } from './depthwise.js';
import { plainMatMul } from './matmul.js';
import { withEarlyRelease } from './early-release.js';
import type { PadMode } from './geometry.js';

type T = tf.Tensor;
type Attrs = Record<string, unknown>;
type GradMap = Record<string, () => T> | Array<() => T>;
type GradFn = (dy: T | T[], saved: T[], attrs: Attrs) => GradMap;

/** Reduces a broadcast gradient back to the shape of the input that was broadcast. */
function sumToShape(dy: T, shape: readonly number[]): T {
  if (dy.shape.length === shape.length && dy.shape.every((d, i) => d === shape[i])) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length ? tf.sum(dy, axes, true) : dy;
  return tf.reshape(reduced, shape as number[]);
}

/** Shape of a reduction's output kept with unit axes (so it broadcasts back over the input). */
function keptShape(shape: readonly number[], axis: unknown): number[] {
  const list = (axis == null ? shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis]) as number[];
  const norm = list.map((a) => (a < 0 ? a + shape.length : a));
  return shape.map((d, i) => (norm.includes(i) ? 1 : d));
}

function num(v: unknown): number { return Array.isArray(v) ? Number(v[0]) : Number(v); }
function strideOf(attrs: Attrs): number {
  const s = attrs.strides;
  if (Array.isArray(s) && s[0] !== s[1]) throw new Error('abair gradients support equal H/W strides only');
  const d = attrs.dilations;
  if (d != null && num(d) !== 1) throw new Error('abair gradients do not support dilated convolutions');
  return num(s);
}
function padOf(attrs: Attrs): PadMode {
  if (attrs.pad !== 'same' && attrs.pad !== 'valid') throw new Error(`abair gradients support pad 'same' or 'valid', got ${JSON.stringify(attrs.pad)}`);
  return attrs.pad;
}

const configs: Array<{ kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; gradFunc: GradFn }> = [];
function grad(kernelName: string, gradFunc: GradFn, inputsToSave: string[] = [], outputsToSave?: boolean[]): void {
  configs.push({ kernelName, inputsToSave, outputsToSave, gradFunc });
}
const one = (dy: T | T[]) => dy as T;
const zero = (x: T) => () => tf.zerosLike(x);

// ---- element-wise binary (with broadcasting) ----
grad('Add', (dy, [a, b]) => ({ a: () => sumToShape(one(dy), a.shape), b: () => sumToShape(one(dy), b.shape) }), ['a', 'b']);
grad('AddN', (dy, saved) => saved.map(() => () => one(dy)), []);
grad('Sub', (dy, [a, b]) => ({ a: () => sumToShape(one(dy), a.shape), b: () => sumToShape(tf.neg(one(dy)), b.shape) }), ['a', 'b']);
grad('Multiply', (dy, [a, b]) => ({
  a: () => sumToShape(tf.mul(one(dy), b), a.shape), b: () => sumToShape(tf.mul(one(dy), a), b.shape),
}), ['a', 'b']);
grad('RealDiv', (dy, [a, b]) => ({
  a: () => sumToShape(tf.div(one(dy), b), a.shape),
  b: () => sumToShape(tf.neg(tf.div(tf.mul(one(dy), a), tf.square(b))), b.shape),
}), ['a', 'b']);
grad('SquaredDifference', (dy, [a, b]) => {
  const g = () => tf.mul(one(dy), tf.mul(tf.sub(a, b), 2));
  return { a: () => sumToShape(g(), a.shape), b: () => sumToShape(tf.neg(g()), b.shape) };
}, ['a', 'b']);
grad('Pow', (dy, [a, b, y]) => ({
  a: () => sumToShape(tf.mul(one(dy), tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
  // d/db a^b = a^b·ln a, defined as 0 where a <= 0.
  b: () => sumToShape(tf.mul(one(dy), tf.where(tf.greater(a, 0), tf.mul(y, tf.log(tf.maximum(a, 1e-30))), tf.zerosLike(a))), b.shape),
}), ['a', 'b'], [true]);
grad('Maximum', (dy, [a, b]) => ({
  a: () => sumToShape(tf.mul(one(dy), tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
  b: () => sumToShape(tf.mul(one(dy), tf.cast(tf.less(a, b), 'float32')), b.shape),
}), ['a', 'b']);
grad('Minimum', (dy, [a, b]) => ({
  a: () => sumToShape(tf.mul(one(dy), tf.cast(tf.lessEqual(a, b), 'float32')), a.shape),
  b: () => sumToShape(tf.mul(one(dy), tf.cast(tf.greater(a, b), 'float32')), b.shape),
}), ['a', 'b']);
grad('Select', (dy, [c]) => ({
  condition: () => tf.zeros(c.shape), // float32, as tfjs expects of every input gradient
  t: () => tf.where(c, one(dy), tf.zerosLike(one(dy))),
  e: () => tf.where(c, tf.zerosLike(one(dy)), one(dy)),
}), ['condition']);
grad('Prelu', (dy, [x, alpha]) => {
  const pos = tf.greater(x, 0);
  return {
    x: () => tf.where(pos, one(dy), tf.mul(one(dy), alpha)),
    alpha: () => sumToShape(tf.where(pos, tf.zerosLike(x), tf.mul(one(dy), x)), alpha.shape),
  };
}, ['x', 'alpha']);

// ---- element-wise unary ----
const unary = (name: string, f: (dy: T, x: T, y: T) => T, saveX = true, saveY = false) =>
  grad(name, (dy, saved) => ({ x: () => f(one(dy), saveX ? saved[0] : (undefined as unknown as T), saveY ? saved[saved.length - 1] : (undefined as unknown as T)) }),
    saveX ? ['x'] : [], saveY ? [true] : undefined);
unary('Identity', (dy) => dy, false);
unary('Cast', (dy) => dy, false);
unary('Neg', (dy) => tf.neg(dy), false);
unary('Abs', (dy, x) => tf.mul(dy, tf.sign(x)));
unary('Square', (dy, x) => tf.mul(dy, tf.mul(x, 2)));
unary('Sqrt', (dy, _x, y) => tf.div(dy, tf.mul(y, 2)), false, true);
unary('Rsqrt', (dy, _x, y) => tf.mul(dy, tf.mul(tf.pow(y, 3), -0.5)), false, true);
unary('Reciprocal', (dy, _x, y) => tf.neg(tf.mul(dy, tf.square(y))), false, true);
unary('Exp', (dy, _x, y) => tf.mul(dy, y), false, true);
unary('Expm1', (dy, x) => tf.mul(dy, tf.exp(x)));
unary('Log', (dy, x) => tf.div(dy, x));
unary('Log1p', (dy, x) => tf.div(dy, tf.add(x, 1)));
unary('Sigmoid', (dy, _x, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y))), false, true);
unary('Tanh', (dy, _x, y) => tf.mul(dy, tf.sub(1, tf.square(y))), false, true);
unary('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x)));
unary('Erf', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI))));
unary('Relu', (dy, x) => tf.mul(dy, tf.step(x)));
unary('Relu6', (dy, x) => tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 6)), 'float32')));
unary('Sin', (dy, x) => tf.mul(dy, tf.cos(x)));
unary('Cos', (dy, x) => tf.neg(tf.mul(dy, tf.sin(x))));
unary('Elu', (dy, _x, y) => tf.engine().runKernel('EluGrad', { dy, y }) as T, false, true);
for (const k of ['Floor', 'Ceil', 'Round', 'Sign', 'Step', 'ZerosLike', 'OnesLike']) unary(k, (dy) => tf.zerosLike(dy), false);
// Comparisons feed masks (e.g. tf.where conditions): no gradient flows through them.
for (const k of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr']) {
  grad(k, (_dy, [a, b]) => ({ a: () => tf.zeros(a.shape), b: () => tf.zeros(b.shape) }), ['a', 'b']);
}
grad('LeakyRelu', (dy, [x], attrs) => ({ x: () => tf.where(tf.greater(x, 0), one(dy), tf.mul(one(dy), num(attrs.alpha))) }), ['x']);
grad('ClipByValue', (dy, [x], attrs) => ({
  x: () => tf.where(tf.logicalAnd(tf.greaterEqual(x, num(attrs.clipValueMin)), tf.lessEqual(x, num(attrs.clipValueMax))), one(dy), tf.zerosLike(one(dy))),
}), ['x']);

// ---- reductions and softmax ----
grad('Sum', (dy, [x], attrs) => ({ x: () => tf.mul(tf.reshape(one(dy), keptShape(x.shape, attrs.axis)), tf.onesLike(x)) }), ['x']);
grad('Mean', (dy, [x], attrs) => {
  const kept = keptShape(x.shape, attrs.axis);
  const count = x.size / kept.reduce((p, d) => p * d, 1);
  return { x: () => tf.mul(tf.reshape(tf.div(one(dy), count), kept), tf.onesLike(x)) };
}, ['x']);
const extremumGrad = (axisKey: string): GradFn => (dy, [x, y], attrs) => {
  const kept = keptShape(x.shape, attrs[axisKey]);
  // Ties share nothing: every maximal element receives the full gradient, as in TensorFlow.
  return { x: () => tf.mul(tf.reshape(one(dy), kept), tf.cast(tf.equal(x, tf.reshape(y, kept)), 'float32')) };
};
grad('Max', extremumGrad('reductionIndices'), ['x'], [true]);
grad('Min', extremumGrad('axis'), ['x'], [true]);
grad('Softmax', (dy, [y], attrs) => {
  const dim = num(attrs.dim ?? -1);
  return { logits: () => tf.mul(y, tf.sub(one(dy), tf.sum(tf.mul(one(dy), y), dim, true))) };
}, [], [true]);

// ---- shape and data movement ----
grad('Reshape', (dy, [x]) => ({ x: () => tf.reshape(one(dy), x.shape) }), ['x']);
grad('ExpandDims', (dy, [x]) => ({ input: () => tf.reshape(one(dy), x.shape) }), ['input']);
grad('Transpose', (dy, _s, attrs) => {
  const perm = attrs.perm as number[];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return { x: () => tf.transpose(one(dy), inverse) };
});
grad('Reverse', (dy, _s, attrs) => ({ x: () => tf.reverse(one(dy), attrs.dims as number[]) }));
grad('Concat', (dy, saved, attrs) => {
  const axis = num(attrs.axis) < 0 ? num(attrs.axis) + saved[0].rank : num(attrs.axis);
  const sizes = saved.map((t) => t.shape[axis]);
  const parts = () => tf.split(one(dy), sizes, axis);
  return saved.map((_, i) => () => parts()[i]);
}, []);
grad('Slice', (dy, [x], attrs) => {
  const begin = (Array.isArray(attrs.begin) ? attrs.begin : [attrs.begin]) as number[];
  const size = dy instanceof Array ? [] : (dy as T).shape;
  return { x: () => tf.pad(one(dy), x.shape.map((d, i) => [begin[i] ?? 0, d - (begin[i] ?? 0) - (size[i] ?? d)] as [number, number])) };
}, ['x']);
grad('SplitV', (dy, _s, attrs) => ({ x: () => tf.concat(dy as T[], num(attrs.axis)) }));
grad('Pack', (dy, saved, attrs) => saved.map((_, i) => () => tf.unstack(one(dy), num(attrs.axis))[i]), []);
grad('Unpack', (dy, _s, attrs) => ({ value: () => tf.stack(dy as T[], num(attrs.axis)) }));
grad('Tile', (dy, [x], attrs) => {
  const reps = attrs.reps as number[];
  // Interleave (rep, dim) axes, then sum the rep axes away.
  const split = x.shape.flatMap((d, i) => [reps[i], d]);
  const repAxes = x.shape.map((_, i) => 2 * i);
  return { x: () => tf.reshape(tf.sum(tf.reshape(one(dy), split), repAxes), x.shape) };
}, ['x']);
grad('PadV2', (dy, [x], attrs) => {
  const p = attrs.paddings as Array<[number, number]>;
  return { x: () => tf.slice(one(dy), p.map((q) => q[0]), x.shape) };
}, ['x']);
grad('MirrorPad', (dy, [x], attrs) => ({ x: () => mirrorPadGrad(one(dy), x.shape, attrs.paddings as Array<[number, number]>, attrs.mode as string) }), ['x']);
grad('GatherV2', (dy, [x, indices], attrs) => ({
  x: () => gatherGrad(one(dy), x.shape, indices, num(attrs.axis)),
  indices: () => tf.zerosLike(indices),
}), ['x', 'indices']);

// ---- spatial kernels with wasm backprop kernels of their own ----
grad('AvgPool', (dy, [x], attrs) => ({
  x: () => tf.engine().runKernel('AvgPoolGrad', { dy: one(dy), input: x }, { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode } as unknown as tf.NamedAttrMap) as T,
}), ['x']);
grad('MaxPool', (dy, [x, y], attrs) => ({
  x: () => tf.engine().runKernel('MaxPoolGrad', { dy: one(dy), input: x, output: y }, { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode } as unknown as tf.NamedAttrMap) as T,
}), ['x'], [true]);
grad('ResizeBilinear', (dy, [images], attrs) => ({
  images: () => tf.engine().runKernel('ResizeBilinearGrad', { images, dy: one(dy) }, { alignCorners: attrs.alignCorners, halfPixelCenters: attrs.halfPixelCenters } as unknown as tf.NamedAttrMap) as T,
}), ['images']);
grad('ResizeNearestNeighbor', (dy, [images], attrs) => ({
  images: () => tf.engine().runKernel('ResizeNearestNeighborGrad', { images, dy: one(dy) }, { alignCorners: attrs.alignCorners, halfPixelCenters: attrs.halfPixelCenters } as unknown as tf.NamedAttrMap) as T,
}), ['images']);

// ---- convolutions and matrix products (the wasm-specific constructions) ----
grad('Conv2D', (dy, [x, filter], attrs) => {
  const s = strideOf(attrs), pad = padOf(attrs);
  return {
    x: () => conv2dGradInput(x.shape as [number, number, number, number], one(dy) as tf.Tensor4D, filter as tf.Tensor4D, s, pad),
    filter: () => conv2dGradFilter(x as tf.Tensor4D, one(dy) as tf.Tensor4D, filter.shape as [number, number, number, number], s, pad),
  };
}, ['x', 'filter']);
grad('DepthwiseConv2dNative', (dy, [x, filter], attrs) => {
  const s = strideOf(attrs), pad = padOf(attrs);
  if (filter.shape[3] !== 1) throw new Error('abair gradients support depthwise channel multiplier 1 only');
  return {
    x: () => depthwiseGradInput(x.shape as [number, number, number, number], one(dy) as tf.Tensor4D, filter as tf.Tensor4D, s, pad),
    filter: () => depthwiseGradFilter(x as tf.Tensor4D, one(dy) as tf.Tensor4D, filter.shape as [number, number, number, number], s, pad),
  };
}, ['x', 'filter']);
grad('BatchMatMul', (dy, [a, b], attrs) => {
  const ta = !!attrs.transposeA, tb = !!attrs.transposeB;
  const dC = one(dy) as tf.Tensor3D, A = a as tf.Tensor3D, B = b as tf.Tensor3D;
  // Same case analysis as matmul.ts; batch broadcasting (batch 1 vs n) is reduced by sumToShape.
  return {
    a: () => sumToShape(ta ? plainMatMul(B, dC, tb, true) : plainMatMul(dC, B, false, !tb), a.shape),
    b: () => sumToShape(tb ? plainMatMul(dC, A, true, ta) : plainMatMul(A, dC, !ta, false), b.shape),
  };
}, ['a', 'b']);

/** Gradient of a reflect/symmetric pad: fold the mirrored borders back onto the rows they copied. */
function mirrorPadGrad(dy: T, xShape: readonly number[], paddings: Array<[number, number]>, mode: string): T {
  const offset = mode === 'reflect' ? 1 : 0;
  let g = dy;
  for (let axis = 0; axis < xShape.length; axis++) {
    const [before, after] = paddings[axis];
    if (before === 0 && after === 0) continue;
    const n = xShape[axis];
    const sliceAxis = (start: number, size: number) => {
      const begin = g.shape.map((_, i) => (i === axis ? start : 0));
      const sz = g.shape.map((d, i) => (i === axis ? size : d));
      return tf.slice(g, begin, sz);
    };
    const padAxis = (t: T, lo: number, hi: number) => tf.pad(t, t.shape.map((_, i) => (i === axis ? [lo, hi] : [0, 0]) as [number, number]));
    let acc = sliceAxis(before, n);
    // Pad row k (k < before) copied input row before-k-1+offset … i.e. the reversed block lands at [offset, offset+before).
    if (before > 0) acc = tf.add(acc, padAxis(tf.reverse(sliceAxis(0, before), axis), offset, n - offset - before));
    if (after > 0) acc = tf.add(acc, padAxis(tf.reverse(sliceAxis(before + n, after), axis), n - offset - after, offset));
    g = acc;
  }
  return g;
}

/** Gradient of gather along `axis` (batchDims 0): scatter-add dy rows back to their indices. */
function gatherGrad(dy: T, xShape: readonly number[], indices: T, axis: number): T {
  const ax = axis < 0 ? axis + xShape.length : axis;
  const idx = tf.reshape(indices, [-1]);
  const nIdx = idx.shape[0];
  // Move the gathered axis to the front, flatten the rest, and let ScatterNd add duplicates.
  const outer = xShape.slice(0, ax), inner = xShape.slice(ax + 1);
  const dyFlat = tf.reshape(dy, [...outer, nIdx, ...inner]);
  const perm = [outer.length, ...outer.map((_, i) => i), ...inner.map((_, i) => outer.length + 1 + i)];
  const front = tf.transpose(dyFlat, perm);
  const rowShape = [...outer, ...inner];
  const scattered = tf.scatterND(tf.reshape(tf.cast(idx, 'int32'), [nIdx, 1]), front, [xShape[ax], ...rowShape]);
  const back = [...outer.map((_, i) => i + 1), 0, ...inner.map((_, i) => outer.length + 1 + i)];
  return tf.transpose(scattered, back);
}

let registered = false;
/** Registers every config above (idempotent). Called on import by ops.ts and backend.ts. */
function registerKernelGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    const inputsToSave = c.kernelName === 'Concat' || c.kernelName === 'Pack' || c.kernelName === 'AddN' ? undefined : c.inputsToSave;
    tf.registerGradient({
      kernelName: c.kernelName,
      inputsToSave,
      saveAllInputs: inputsToSave === undefined,
      outputsToSave: c.outputsToSave,
      // Frees each node's saved tensors and output gradients once its gradients ran (early-release.ts).
      gradFunc: withEarlyRelease(c.gradFunc) as unknown as tf.GradConfig['gradFunc'],
    } as tf.GradConfig);
  }
}

registerKernelGradients();
