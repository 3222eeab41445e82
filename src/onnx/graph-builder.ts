/**
 * A symbolic ModelOps: running the model's forward code with it records an ONNX graph instead of
 * computing. Activations are NCHW (ONNX Runtime's native conv layout; MDTA needs no transposes in
 * it). Weights arrive in the tfjs parameter layout and are converted where they are consumed;
 * conversions and slices of constant weights are folded here in JS, so the file holds exactly the
 * tensors the runtime uses, and only the ones some node reads.
 */
import type { ModelOps } from '../model/layers/graph-ops.js';
import { GELU_SIGMOID_SCALE } from '../tfjs/gelu-scale.js';
import { type AttributeValue, encodeModel, type NodeSpec, ONNX_FLOAT, ONNX_INT64, type TensorSpec, type ValueSpec } from './proto.js';

export const ONNX_OPSET = 17;

/** A value in the graph: a node output, a graph input, or a (not yet emitted) constant. */
export interface Sym {
  readonly name: string;
  /** Channels of a feature map (0 where meaningless). */
  readonly channels: number;
  /** Static shape, known for weights and constants (tfjs layout for weights). */
  readonly shape?: number[];
  /** Values of a constant; emitted as an initializer the first time a node reads it. */
  readonly value?: Float32Array;
}

/** Row-major transpose of `data` with `shape` by `perm`. */
export function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = strides(shape);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d]! * inStrides[perm[d]!]!;
    out[o] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

function sliceData(data: Float32Array, shape: number[], begin: number[], size: number[]): Float32Array {
  const inStrides = strides(shape);
  const total = size.reduce((a, b) => a * b, 1);
  const out = new Float32Array(total);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += (begin[d]! + index[d]!) * inStrides[d]!;
    out[o] = data[src]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

export class OnnxGraph {
  readonly nodes: NodeSpec[] = [];
  private readonly initializers = new Map<string, TensorSpec>();
  private readonly int64Cache = new Map<string, Sym>();
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private counter = 0;

  private fresh(hint: string): string {
    return `${hint}_${++this.counter}`;
  }

  constant(value: Float32Array, shape: number[], hint = 'const'): Sym {
    return { name: this.fresh(hint), channels: 0, shape, value };
  }

  /** An int64 constant (shapes, axes, pads), shared by content. */
  int64(values: number[]): Sym {
    const key = values.join(',');
    let sym = this.int64Cache.get(key);
    if (!sym) {
      sym = { name: this.fresh('i64'), channels: 0, shape: [values.length] };
      this.initializers.set(sym.name, { name: sym.name, dims: [values.length], dataType: ONNX_INT64, data: BigInt64Array.from(values.map((v) => BigInt(v))) });
      this.int64Cache.set(key, sym);
    }
    return sym;
  }

  input(name: string, dims: (number | string)[], channels = 0, shape?: number[]): Sym {
    this.inputs.push({ name, elemType: ONNX_FLOAT, dims });
    return shape ? { name, channels, shape } : { name, channels };
  }

  /** Marks `sym` as a graph output under `name` (through an Identity node). */
  output(sym: Sym, name: string, dims: (number | string)[]): void {
    this.node('Identity', [sym], {}, 0, name);
    this.outputs.push({ name, elemType: ONNX_FLOAT, dims });
  }

  /** The name a node uses to read `sym`, emitting a constant's initializer on first use. */
  private ref(sym: Sym | null): string {
    if (sym === null) return '';
    if (sym.value && !this.initializers.has(sym.name)) {
      this.initializers.set(sym.name, { name: sym.name, dims: sym.shape!, dataType: ONNX_FLOAT, data: sym.value });
    }
    return sym.name;
  }

  node(op: string, inputs: (Sym | null)[], attributes: Record<string, AttributeValue> = {}, channels = 0, outputName?: string, shape?: number[], domain?: string): Sym {
    const name = outputName ?? this.fresh(op);
    this.nodes.push({ op, inputs: inputs.map((s) => this.ref(s)), outputs: [name], attributes, ...(domain ? { domain } : {}) });
    return shape ? { name, channels, shape } : { name, channels };
  }

  /** Weight in tfjs layout → `perm`-transposed (+ reshaped) copy: folded when constant. */
  relayout(w: Sym, perm: number[], reshape?: number[]): Sym {
    const shape = w.shape!;
    if (w.value) {
      const t = permute(w.value, shape, perm);
      return this.constant(t.data, reshape ?? t.shape, `${w.name}_t`);
    }
    const permuted = this.node('Transpose', [w], { perm }, 0, undefined, perm.map((p) => shape[p]!));
    return reshape ? this.node('Reshape', [permuted, this.int64(reshape)], {}, 0, undefined, reshape) : permuted;
  }

  sliceWeight(w: Sym, begin: number[], size: number[]): Sym {
    const shape = w.shape!;
    if (w.value) return this.constant(sliceData(w.value, shape, begin, size), size, `${w.name}_s`);
    const axes = shape.map((_, d) => d).filter((d) => begin[d] !== 0 || size[d] !== shape[d]);
    return this.node('Slice', [w, this.int64(axes.map((d) => begin[d]!)), this.int64(axes.map((d) => begin[d]! + size[d]!)), this.int64(axes)], {}, 0, undefined, size);
  }

  encode(graphName: string, docString?: string): Uint8Array {
    return encodeModel({
      graphName,
      nodes: this.nodes,
      initializers: [...this.initializers.values()],
      inputs: this.inputs,
      outputs: this.outputs,
      opset: ONNX_OPSET,
      docString,
    });
  }
}

/** ModelOps that records into `graph` (NCHW activations). */
export function onnxOps(graph: OnnxGraph): ModelOps<Sym> {
  const conv1x1Weight = (w: Sym) => {
    const [cin, cout] = w.shape as [number, number];
    return graph.relayout(w, [1, 0], [cout, cin, 1, 1]);
  };
  const perChannel = (v: Sym) => {
    const c = v.shape![0]!;
    return v.value ? graph.constant(v.value, [1, c, 1, 1], `${v.name}_c`) : graph.node('Reshape', [v, graph.int64([1, c, 1, 1])]);
  };
  return {
    channels: (x) => x.channels,
    weightShape: (w) => {
      if (!w.shape) throw new Error(`${w.name}: weight shape unknown`);
      return [...w.shape];
    },
    sliceWeight: (w, begin, size) => graph.sliceWeight(w, begin, size),
    batchSize: () => 0,

    pixelRows: (x) => x,
    linear: (x, w) => graph.node('Conv', [x, conv1x1Weight(w)], { kernel_shape: [1, 1] }, w.shape![1]!),
    unflattenRows: (rows) => rows,
    matMul: (a, w) => graph.node('MatMul', [a, w], {}, w.shape![1]!),

    conv3x3: (x, w, stride, bias) => {
      const [, , cin, cout] = w.shape as [number, number, number, number];
      const weight = graph.relayout(w, [3, 2, 0, 1], [cout, cin, 3, 3]);
      // TF 'same': stride 1 pads 1 each side; stride 2 puts the odd padding pixel at the end.
      const attributes: Record<string, AttributeValue> = stride === 1 ? { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } : { kernel_shape: [3, 3], strides: [stride, stride], auto_pad: 'SAME_UPPER' };
      return graph.node('Conv', bias ? [x, weight, bias] : [x, weight], attributes, cout);
    },
    depthwise3x3: (x, w) => {
      const c = w.shape![2]!;
      return graph.node('Conv', [x, graph.relayout(w, [2, 3, 0, 1], [c, 1, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c }, c);
    },
    layerNorm: (x, gamma, beta) => {
      // Over the channel axis of NCHW: ONNX LayerNormalization normalises trailing axes only.
      const mean = graph.node('ReduceMean', [x], { axes: [1], keepdims: 1 });
      const centred = graph.node('Sub', [x, mean]);
      const variance = graph.node('ReduceMean', [graph.node('Mul', [centred, centred])], { axes: [1], keepdims: 1 });
      const std = graph.node('Sqrt', [graph.node('Add', [variance, graph.constant(Float32Array.of(1e-5), [], 'eps')])]);
      const normalised = graph.node('Div', [centred, std]);
      return graph.node('Add', [graph.node('Mul', [normalised, perChannel(gamma)]), perChannel(beta)], {}, x.channels);
    },
    gelu: (x) => graph.node('Mul', [x, graph.node('Sigmoid', [graph.node('Mul', [x, graph.constant(Float32Array.of(GELU_SIGMOID_SCALE), [], 'gelu_scale')])])], {}, x.channels),
    add: (a, b) => graph.node('Add', [a, b], {}, Math.max(a.channels, b.channels)),
    mul: (a, b) => graph.node('Mul', [a, b], {}, Math.max(a.channels, b.channels)),
    concatChannels: (a, b) => graph.node('Concat', [a, b], { axis: 1 }, a.channels + b.channels),
    // tfjs's pixel shuffle orders channels as depthToSpace does (DCR), unshuffle as spaceToDepth.
    pixelShuffle: (x, r) => graph.node('DepthToSpace', [x], { blocksize: r, mode: 'DCR' }, x.channels / (r * r)),
    pixelUnshuffle: (x, r) => graph.node('SpaceToDepth', [x], { blocksize: r }, x.channels * r * r),
    resizeSquare: (x, size) => {
      const batchAndChannels = graph.node('Slice', [graph.node('Shape', [x]), graph.int64([0]), graph.int64([2])]);
      const sizes = graph.node('Concat', [batchAndChannels, graph.int64([size, size])], { axis: 0 });
      return graph.node('Resize', [x, null, null, sizes], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, x.channels);
    },
    meanPixels: (x) => graph.node('ReduceMean', [x], { axes: [2, 3], keepdims: 0 }, x.channels),

    // Heads in NCHW: [N, heads, d, H·W] is a plain reshape.
    splitHeads: (x, heads) => graph.node('Reshape', [x, graph.int64([0, heads, x.channels / heads, -1])]),
    normalizeHeadPixels: (x) => {
      const sumSq = graph.node('ReduceSumSquare', [x], { axes: [-1], keepdims: 1 });
      return graph.node('Div', [x, graph.node('Sqrt', [graph.node('Max', [sumSq, graph.constant(Float32Array.of(1e-24), [], 'l2_eps')])])]);
    },
    headScores: (q, k) => graph.node('MatMul', [q, graph.node('Transpose', [k], { perm: [0, 1, 3, 2] })]),
    scaleHeads: (scores, temperature, heads) => {
      const t = temperature.value ? graph.constant(temperature.value, [1, heads, 1, 1], `${temperature.name}_h`) : graph.node('Reshape', [temperature, graph.int64([1, heads, 1, 1])]);
      return graph.node('Mul', [scores, t]);
    },
    softmaxLast: (x) => graph.node('Softmax', [x], { axis: -1 }),
    applyAttention: (v, attention) => graph.node('MatMul', [attention, v]),
    mergeHeads: (x, like) => graph.node('Reshape', [x, graph.node('Shape', [like])], {}, like.channels),

    scope: (fn) => fn(),
    release: () => undefined,
  };
}
