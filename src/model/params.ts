/**
 * Named parameter stores. Every weight of every part (backbone, segmentation head, LoRA adapter,
 * estimator) is a tensor under a hierarchical name such as `enc1.0.attn.qkv.w`. Forward functions
 * read from a plain record, so the same code runs on trainable variables, on frozen tensors, on
 * merged (LoRA-folded) copies, or on a worker thread's replica.
 *
 * Shapes come from `ParamSpec` lists, which are pure data: parameter counts and weight-file checks
 * use them without allocating a single tensor.
 */
import { tf } from '../tfjs/tf-handle.js';
import { Rng } from '../util/rng.js';

/** How a parameter starts out. */
type ParamInit =
  /** U(−1/√fanIn, 1/√fanIn): PyTorch's default for conv/linear (kaiming_uniform with a=√5). */
  | { kind: 'fanIn'; fanIn: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** A [3,3,C,1] depthwise kernel: the 4-neighbour Laplacian times `gain` in every channel. */
  | { kind: 'laplacian'; gain: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
}

/** Read-only view the forward functions use: plain tensors or variables. */
export type Params = Readonly<Record<string, tf.Tensor>>;
/** Trainable store: what optimisers and weight files work on. */
export type ParamStore = Record<string, tf.Variable>;

function specSize(spec: ParamSpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}

export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((sum, s) => sum + specSize(s), 0);
}

/** Initial values of one spec, drawn from `rng` (deterministic for a given seed and spec order). */
export function initialValues(spec: ParamSpec, rng: Rng): Float32Array {
  const data = new Float32Array(specSize(spec));
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      data.fill(1);
      break;
    case 'constant':
      data.fill(init.value);
      break;
    case 'fanIn': {
      const bound = 1 / Math.sqrt(init.fanIn);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
      break;
    }
    case 'laplacian': {
      const [kh, kw, channels] = spec.shape;
      if (kh !== 3 || kw !== 3 || spec.shape.length !== 4 || spec.shape[3] !== 1) throw new Error(`${spec.name}: a laplacian init needs shape [3,3,C,1]`);
      const kernel = [0, -1, 0, -1, 4, -1, 0, -1, 0];
      // HWC1 layout: tap t of channel c at t·C + c.
      for (let t = 0; t < 9; t++) for (let c = 0; c < channels!; c++) data[t * channels! + c] = kernel[t]! * init.gain;
      break;
    }
  }
  return data;
}

/**
 * Allocates a trainable variable per spec. Each parameter draws from its own stream forked by
 * name, so adding a parameter elsewhere does not change the others' initial values.
 */
export function createParams(specs: readonly ParamSpec[], seed: number | string = 0): ParamStore {
  const root = new Rng(seed);
  const store: ParamStore = {};
  for (const spec of specs) {
    if (spec.name in store) throw new Error(`duplicate parameter name ${spec.name}`);
    const values = initialValues(spec, root.fork(spec.name));
    // tidy releases the temporary tensor; the variable keeps its own reference to the data.
    store[spec.name] = tf.tidy(() => tf.variable(tf.tensor(values, spec.shape, 'float32'), true, uniqueVariableName(spec.name)));
  }
  return store;
}

let variableCounter = 0;
/** tfjs variable names are global: make them unique so several models/replicas can coexist. */
export function uniqueVariableName(name: string): string {
  return `${name}#${++variableCounter}`;
}

/** Looks up a parameter, failing with its name (a missing name is a programming or file error). */
export function param<T extends tf.Tensor = tf.Tensor>(params: Params, name: string): T {
  const t = params[name];
  if (!t) throw new Error(`missing model parameter '${name}'`);
  return t as T;
}

/** Copies a store's values into plain host arrays (for weight files and worker-thread transfer). */
function snapshotParams(params: Params): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(params)) out[name] = { shape: [...t.shape], data: t.dataSync() as Float32Array };
  return out;
}

/** A store's values as plain host arrays by name (e.g. a training run's `initialParams`). */
// @testSeam: tested directly
export function hostValues(params: Params): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([name, t]) => [name, t.dataSync() as Float32Array]));
}

/** Overwrites the variables of `store` with host values (shapes must match exactly). */
// @testSeam: tested directly
export function assignParams(store: ParamStore, values: Record<string, { shape: number[]; data: Float32Array }>): void {
  for (const [name, v] of Object.entries(values)) {
    const target = store[name];
    if (!target) throw new Error(`unexpected parameter '${name}'`);
    if (target.shape.join('x') !== v.shape.join('x')) {
      throw new Error(`parameter '${name}' has shape [${v.shape}], expected [${target.shape}]`);
    }
    tf.tidy(() => target.assign(tf.tensor(v.data, v.shape, 'float32')));
  }
}

export function disposeParams(params: Params): void {
  for (const t of Object.values(params)) t.dispose();
}
