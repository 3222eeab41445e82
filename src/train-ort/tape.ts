/**
 * Reverse-mode autodiff over the symbolic ONNX graph builder. Forward ops (autodiff-ops.ts) emit
 * their nodes into an OnnxGraph and record a tape entry holding a backward rule; `backward` walks
 * the tape in reverse and each rule emits the nodes of its vector-Jacobian product into the very
 * same graph, so one ONNX model computes the loss and every gradient in a single run.
 *
 * Training graphs have fully static shapes (batch and patch size are fixed for a session), so
 * every value carries its shape (NCHW for feature maps, the tfjs parameter layout for weights):
 * backward rules need it for broadcasting, grouped convolutions and reshapes. Only values that
 * depend on a trainable parameter get gradient nodes: frozen weights are constants or plain
 * inputs and nothing is emitted for them.
 */
import type { AttributeValue } from '../onnx/proto.js';
import { OnnxGraph, type Sym } from '../onnx/graph-builder.js';

/** A graph value with its static shape. */
export interface V extends Sym {
  readonly shape: number[];
}

/** Vector-Jacobian product: the output's gradient → one gradient (or null) per recorded input. */
type BackwardRule = (dy: V) => (V | null)[];

interface Entry {
  inputs: V[];
  output: V;
  rule: BackwardRule;
  scope: string | null;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

interface AutodiffOptions {
  /**
   * ONNX Runtime's NCHWc block size (nchwc.ts) when its CPU kernels for blocked layouts are
   * available; the depthwise convolutions then run on them. Absent/null: plain ONNX ops only.
   */
  nchwcBlock?: number | null;
}

export class Autodiff {
  readonly graph = new OnnxGraph();
  readonly nchwcBlock: number | null;
  private readonly tape: Entry[] = [];
  /** Names of values that depend on a trainable parameter. */
  private readonly live = new Set<string>();
  /** Trainable parameters in declaration order. */
  readonly params: V[] = [];
  /**
   * The model op being recorded (set by autodiff-ops.ts): node outputs are named after it
   * (`depthwise3x3/Conv_12`, backward nodes `bwd:depthwise3x3/…`), so a profile of the step says
   * which op of the model each kernel's time belongs to.
   */
  scope: string | null = null;
  private named = 0;

  constructor(options: AutodiffOptions = {}) {
    this.nchwcBlock = options.nchwcBlock ?? null;
  }

  /** A trainable parameter: a graph input (tfjs layout) whose gradient `backward` returns. */
  param(name: string, shape: number[]): V {
    const v = this.graph.input(name, shape, 0, shape) as V;
    this.live.add(v.name);
    this.params.push(v);
    return v;
  }

  /** A graph input that gets no gradient (batch data, frozen weights fed per step). */
  input(name: string, shape: number[], channels = 0): V {
    return { ...this.graph.input(name, shape, channels), shape };
  }

  constant(values: Float32Array, shape: number[], hint = 'const'): V {
    return this.graph.constant(values, shape, hint) as V;
  }

  scalar(value: number, hint = 'scalar'): V {
    return this.constant(Float32Array.of(value), [], hint);
  }

  /** True when `v` depends on a trainable parameter (gradient nodes are needed for it). */
  requires(v: V): boolean {
    return this.live.has(v.name);
  }

  /** Emits one node and attaches its static shape. */
  node(op: string, inputs: (Sym | null)[], attributes: Record<string, AttributeValue>, shape: number[], channels = 0, domain?: string): V {
    const name = this.scope ? `${this.scope}/${op}_${++this.named}` : undefined;
    const sym = this.graph.node(op, inputs, attributes, channels, name, undefined, domain);
    if (name) this.graph.nodes[this.graph.nodes.length - 1]!.name = name;
    return { ...sym, shape };
  }

  /** Gives a value a static shape (an onnxOps result, whose shape the caller knows). */
  shaped(sym: Sym, shape: number[]): V {
    return { ...sym, shape };
  }

  /**
   * Records that `output` was computed from `inputs`. Nothing is kept when no input is live: the
   * value is then a constant of the step as far as gradients go.
   */
  record(inputs: V[], output: V, rule: BackwardRule): V {
    if (!inputs.some((x) => this.live.has(x.name))) return output;
    this.live.add(output.name);
    this.tape.push({ inputs, output, rule, scope: this.scope });
    return output;
  }

  /**
   * Emits the backward pass. `seeds` are (value, dLoss/dvalue) pairs — the losses provide their
   * closed-form gradients — and the result maps every trainable parameter's name to its gradient
   * (a zero constant for parameters the loss does not reach).
   */
  backward(seeds: readonly [V, V][]): Map<string, V> {
    const grads = new Map<string, V>();
    const accumulate = (x: V, g: V) => {
      if (!this.live.has(x.name)) return;
      if (g.shape.join(',') !== x.shape.join(',')) throw new Error(`gradient of ${x.name} has shape [${g.shape}], expected [${x.shape}]`);
      const previous = grads.get(x.name);
      grads.set(x.name, previous ? this.node('Add', [previous, g], {}, x.shape) : g);
    };
    for (const [v, g] of seeds) accumulate(v, g);
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const entry = this.tape[i]!;
      const dy = grads.get(entry.output.name);
      if (!dy) continue;
      const outer = this.scope;
      this.scope = entry.scope ? `bwd:${entry.scope}` : outer;
      const dxs = entry.rule(dy);
      this.scope = outer;
      if (dxs.length !== entry.inputs.length) throw new Error(`backward rule of ${entry.output.name} returned ${dxs.length} gradients for ${entry.inputs.length} inputs`);
      entry.inputs.forEach((x, k) => {
        const g = dxs[k];
        if (g && this.live.has(x.name)) accumulate(x, g);
      });
    }
    const out = new Map<string, V>();
    for (const p of this.params) out.set(p.name, grads.get(p.name) ?? this.constant(new Float32Array(sizeOf(p.shape)), p.shape, `${p.name}_zero_grad`));
    return out;
  }

  // Small node helpers the backward rules share.
  add(a: V, b: V, shape = a.shape): V {
    return this.node('Add', [a, b], {}, shape);
  }
  sub(a: V, b: V, shape = a.shape): V {
    return this.node('Sub', [a, b], {}, shape);
  }
  mul(a: V, b: V, shape = a.shape): V {
    return this.node('Mul', [a, b], {}, shape);
  }
  div(a: V, b: V, shape = a.shape): V {
    return this.node('Div', [a, b], {}, shape);
  }
  reshape(x: V, shape: number[]): V {
    return this.node('Reshape', [x, this.graph.int64(shape)], {}, shape, x.channels);
  }
  transpose(x: V, perm: number[]): V {
    return this.node('Transpose', [x], { perm }, perm.map((p) => x.shape[p]!));
  }
  /** ReduceSum over `axes` (opset 13+: axes are an input). */
  reduceSum(x: V, axes: number[], keepdims: boolean): V {
    const rank = x.shape.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
    return this.node('ReduceSum', [x, this.graph.int64(norm)], { keepdims: keepdims ? 1 : 0 }, shape);
  }
  /** ReduceMean over `axes` (opset 17: axes are an attribute). */
  reduceMean(x: V, axes: number[], keepdims: boolean): V {
    const rank = x.shape.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
    return this.node('ReduceMean', [x], { axes: norm, keepdims: keepdims ? 1 : 0 }, shape);
  }

  /** Sums a broadcast gradient `g` back down to `shape` (numpy broadcasting rules). */
  reduceTo(g: V, shape: readonly number[]): V {
    if (g.shape.join(',') === shape.join(',')) return g;
    const rank = g.shape.length;
    const aligned = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    const axes = aligned.flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
    const summed = axes.length ? this.reduceSum(g, axes, true) : g;
    return this.reshape(summed, [...shape]);
  }
}
