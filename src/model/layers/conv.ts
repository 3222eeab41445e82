/**
 * The convolutions the network is made of, all routed through src/engine/ops.ts (the wasm-trainable
 * implementations). A 1×1 convolution is a matrix product on [N·H·W, C]: the fast path, and the
 * place where LoRA deltas attach.
 */
import { tf } from '../../engine/backend.js';
import * as ops from '../../engine/ops.js';
import { param, type ParamSpec, type Params } from '../params.js';

/**
 * Low-rank additions to named 1×1 convolutions (LoRA). `delta` returns the extra output for the
 * flattened input of layer `layer`, cut into `parts` equal column groups (see conv1x1Parts), or
 * null when no adapter targets it.
 */
export interface LinearDelta {
  delta(layer: string, x2d: tf.Tensor2D, batch: number, parts?: number): tf.Tensor2D[] | null;
}

/** Column group `part` of `parts` equal groups of a [rows, cols] matrix. */
export function columnGroup(m: tf.Tensor2D, part: number, parts: number): tf.Tensor2D {
  if (parts === 1) return m;
  const [rows, cols] = m.shape;
  const size = cols / parts;
  return tf.slice(m, [0, part * size], [rows, size]);
}

/** 1×1 convolution, weight `${name}.w` of shape [cin, cout] (no bias, as in Restormer). */
export function conv1x1Spec(name: string, cin: number, cout: number): ParamSpec {
  return { name: `${name}.w`, shape: [cin, cout], init: { kind: 'fanIn', fanIn: cin } };
}

export function conv1x1(params: Params, name: string, x: tf.Tensor4D, lora?: LinearDelta): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const weight = param<tf.Tensor2D>(params, `${name}.w`);
  const x2d = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
  let y = ops.matMul(x2d, weight);
  const extra = lora?.delta(name, x2d, n);
  if (extra) y = tf.add(y, extra[0]!);
  return tf.reshape(y, [n, h, w, weight.shape[1]]) as tf.Tensor4D;
}

/**
 * A 1×1 convolution whose output channels are used as `parts` separate tensors (MDTA's q|k|v,
 * GDFN's gate|value). Equivalent to splitting conv1x1's output, but slices the small weight
 * instead of the large activation: channel-axis slicing of activations is slow on wasm.
 */
export function conv1x1Parts(params: Params, name: string, x: tf.Tensor4D, parts: number, lora?: LinearDelta): tf.Tensor4D[] {
  const [n, h, w, c] = x.shape;
  const weight = param<tf.Tensor2D>(params, `${name}.w`);
  const x2d = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
  const extra = lora?.delta(name, x2d, n, parts);
  return Array.from({ length: parts }, (_, p) => {
    let y = ops.matMul(x2d, columnGroup(weight, p, parts));
    if (extra) y = tf.add(y, extra[p]!);
    return tf.reshape(y, [n, h, w, y.shape[1]]) as tf.Tensor4D;
  });
}

/**
 * 1×1 convolution of the channel concatenation of `inputs`, without building the concatenation
 * (a channel-axis concat is slow on wasm): Σ_i inputs_i · W[rows of input i].
 */
export function conv1x1OfConcat(params: Params, name: string, inputs: tf.Tensor4D[]): tf.Tensor4D {
  const weight = param<tf.Tensor2D>(params, `${name}.w`);
  const [n, h, w] = inputs[0]!.shape;
  let offset = 0;
  let sum: tf.Tensor2D | null = null;
  for (const x of inputs) {
    const c = x.shape[3];
    const rows = tf.slice(weight, [offset, 0], [c, weight.shape[1]]);
    const y = ops.matMul(tf.reshape(x, [n * h * w, c]) as tf.Tensor2D, rows);
    sum = sum ? (tf.add(sum, y) as tf.Tensor2D) : y;
    offset += c;
  }
  if (offset !== weight.shape[0]) throw new Error(`${name}: inputs have ${offset} channels, weight expects ${weight.shape[0]}`);
  return tf.reshape(sum!, [n, h, w, weight.shape[1]]) as tf.Tensor4D;
}

/**
 * Channel concatenation [a | b] computed as a·[I 0] + b·[0 I] with two matrix products. Exact
 * (products with 1 and sums with 0), differentiable, and on wasm far faster than tf.concat on the
 * innermost axis, which measured ~70 ms for a 4×64×64×16 result against ~1 ms this way.
 */
export function concatChannels(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
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

/** Full 3×3 convolution, weight `${name}.w` [3,3,cin,cout], optional bias `${name}.b`. */
export function conv3x3Specs(name: string, cin: number, cout: number, bias = false): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: `${name}.w`, shape: [3, 3, cin, cout], init: { kind: 'fanIn', fanIn: 9 * cin } }];
  if (bias) specs.push({ name: `${name}.b`, shape: [cout], init: { kind: 'fanIn', fanIn: 9 * cin } });
  return specs;
}

export function conv3x3(params: Params, name: string, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  const y = ops.conv2d(x, param<tf.Tensor4D>(params, `${name}.w`), stride, 'same');
  const bias = params[`${name}.b`];
  return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
}

/** 3×3 depthwise convolution, weight `${name}.w` [3,3,c,1] (no bias, as in Restormer). */
export function depthwise3x3Spec(name: string, channels: number): ParamSpec {
  return { name: `${name}.w`, shape: [3, 3, channels, 1], init: { kind: 'fanIn', fanIn: 9 } };
}

export function depthwise3x3(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return ops.depthwiseConv2d(x, param<tf.Tensor4D>(params, `${name}.w`), 1, 'same');
}

/** Depthwise 3×3 with channel group `part` of `parts` of the filter `${name}.w` (pairs with conv1x1Parts). */
export function depthwise3x3Part(params: Params, name: string, x: tf.Tensor4D, part: number, parts: number): tf.Tensor4D {
  const filter = param<tf.Tensor4D>(params, `${name}.w`);
  const size = filter.shape[2] / parts;
  const group = parts === 1 ? filter : (tf.slice(filter, [0, 0, part * size, 0], [3, 3, size, 1]) as tf.Tensor4D);
  return ops.depthwiseConv2d(x, group, 1, 'same');
}

