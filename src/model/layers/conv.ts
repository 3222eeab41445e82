/**
 * The convolutions the network is made of. A 1×1 convolution is a matrix product on the pixel
 * rows [N·H·W, C]: the fast path, and the place where LoRA deltas attach.
 *
 * Each layer is written once against ModelOps (graph-ops.ts): the `…With(g, …)` functions run
 * eagerly on tfjs (`tfOps`, routed through src/tfjs/ops.ts) or record an ONNX graph; the few
 * plain exports (columnGroup, conv3x3) are tfjs shorthands for code outside the graph.
 */
import { tf } from '../../tfjs/tf-handle.js';
import type { ParamSpec, Params } from '../params.js';
import { type ModelOps, tfOps, weightOf, type WeightsOf } from './graph-ops.js';

/**
 * Low-rank additions to named 1×1 convolutions (LoRA). `delta` returns the extra output for the
 * flattened input (pixel rows) of layer `layer`, cut into `parts` equal column groups (see
 * conv1x1PartsWith), or null when no adapter targets it. `T` is tf.Tensor2D on tfjs.
 */
export interface LinearDelta<T = tf.Tensor2D> {
  delta(layer: string, x2d: T, batch: number, parts?: number): T[] | null;
}

/** Column group `part` of `parts` equal groups of a [rows, cols] matrix. */
export function columnGroup(m: tf.Tensor2D, part: number, parts: number): tf.Tensor2D {
  return columnGroupWith(tfOps, m, part, parts) as tf.Tensor2D;
}

export function columnGroupWith<T>(g: ModelOps<T>, m: T, part: number, parts: number): T {
  if (parts === 1) return m;
  const [rows, cols] = g.weightShape(m) as [number, number];
  const size = cols / parts;
  return g.sliceWeight(m, [0, part * size], [rows, size]);
}

/** 1×1 convolution, weight `${name}.w` of shape [cin, cout] (no bias, as in Restormer). */
export function conv1x1Spec(name: string, cin: number, cout: number): ParamSpec {
  return { name: `${name}.w`, shape: [cin, cout], init: { kind: 'fanIn', fanIn: cin } };
}

export function conv1x1With<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, lora?: LinearDelta<T>): T {
  const weight = weightOf(params, `${name}.w`);
  const rows = g.pixelRows(x);
  let y = g.linear(rows, weight);
  const extra = lora?.delta(name, rows, g.batchSize(x));
  if (extra) y = g.add(y, extra[0]!);
  return g.unflattenRows(y, x);
}

export function conv1x1PartsWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, parts: number, lora?: LinearDelta<T>): T[] {
  const weight = weightOf(params, `${name}.w`);
  const rows = g.pixelRows(x);
  const extra = lora?.delta(name, rows, g.batchSize(x), parts);
  return Array.from({ length: parts }, (_, p) => {
    let y = g.linear(rows, columnGroupWith(g, weight, p, parts));
    if (extra) y = g.add(y, extra[p]!);
    return g.unflattenRows(y, x);
  });
}

export function conv1x1OfConcatWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, inputs: T[]): T {
  const weight = weightOf(params, `${name}.w`);
  const [cin, cout] = g.weightShape(weight) as [number, number];
  let offset = 0;
  let sum: T | null = null;
  for (const x of inputs) {
    const c = g.channels(x);
    const rows = g.sliceWeight(weight, [offset, 0], [c, cout]);
    const y = g.linear(g.pixelRows(x), rows);
    sum = sum ? g.add(sum, y) : y;
    offset += c;
  }
  if (offset !== cin) throw new Error(`${name}: inputs have ${offset} channels, weight expects ${cin}`);
  return g.unflattenRows(sum!, inputs[0]!);
}

/** Full 3×3 convolution, weight `${name}.w` [3,3,cin,cout], optional bias `${name}.b`. */
export function conv3x3Specs(name: string, cin: number, cout: number, bias = false): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: `${name}.w`, shape: [3, 3, cin, cout], init: { kind: 'fanIn', fanIn: 9 * cin } }];
  if (bias) specs.push({ name: `${name}.b`, shape: [cout], init: { kind: 'fanIn', fanIn: 9 * cin } });
  return specs;
}

export function conv3x3(params: Params, name: string, x: tf.Tensor4D, stride = 1): tf.Tensor4D {
  return conv3x3With(tfOps, params, name, x, stride) as tf.Tensor4D;
}

export function conv3x3With<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, stride = 1): T {
  return g.conv3x3(x, weightOf(params, `${name}.w`), stride, params[`${name}.b`]);
}

/** 3×3 depthwise convolution, weight `${name}.w` [3,3,c,1] (no bias, as in Restormer). */
export function depthwise3x3Spec(name: string, channels: number): ParamSpec {
  return { name: `${name}.w`, shape: [3, 3, channels, 1], init: { kind: 'fanIn', fanIn: 9 } };
}

export function depthwise3x3PartWith<T>(g: ModelOps<T>, params: WeightsOf<T>, name: string, x: T, part: number, parts: number): T {
  const filter = weightOf(params, `${name}.w`);
  const size = g.weightShape(filter)[2]! / parts;
  const group = parts === 1 ? filter : g.sliceWeight(filter, [0, 0, part * size, 0], [3, 3, size, 1]);
  return g.depthwise3x3(x, group);
}
