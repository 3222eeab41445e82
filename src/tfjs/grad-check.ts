/**
 * Gradient checker: runs a function and its gradients on the backend under test (wasm) and on a
 * reference (cpu, or a caller-supplied reference such as tfjs's own backprop kernels), from
 * identical Float32Array inputs, and reports the largest relative error.
 *
 * Relative error of a result a against a reference b: max|a − b| / max(1e-6, max|b|).
 * The scalar loss is Σ fn(x)·w with a fixed pseudo-random w, so dy is not uniform (a uniform dy
 * hides transposed/flipped-kernel mistakes).
 */
import { initEngine, tf, type BackendName } from './backend.js';
import './ops.js';

interface GradInput { shape: number[]; data: Float32Array }

/** Value and gradients of one run, as plain arrays so they survive backend switches. */
interface GradRun { value: Float32Array; grads: Float32Array[] }

// @testSeam: tested directly
export interface GradCheckResult {
  name: string;
  valueRelErr: number;
  gradRelErrs: number[];
  maxRelErr: number;
  pass: boolean;
}

interface GradCheckOptions {
  backend?: BackendName;
  referenceBackend?: BackendName;
  /** Computes the reference given inputs and the loss weights w (= dy); default: fn's own gradients on referenceBackend. */
  reference?: (inputs: tf.Tensor[], dy: tf.Tensor) => { value: tf.Tensor; grads: tf.Tensor[] };
  tolerance?: number;
  /** Seed of the loss weights. */
  seed?: number;
}

function relErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = d; // also catches NaN
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(1e-6, scale);
}

/** Deterministic values in [-1, 1) (a small LCG; tests need reproducibility, not quality). */
function pseudoRandom(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// @testSeam: tested directly
// @testSeam: tested directly
export function randomInput(shape: number[], seed: number): GradInput {
  return { shape, data: pseudoRandom(shape.reduce((p, d) => p * d, 1), seed) };
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

function runGrads(fn: Fn, inputs: GradInput[], dyData: Float32Array): GradRun {
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const dyOf = (shape: number[]) => tf.tensor(dyData.subarray(0, shape.reduce((p, d) => p * d, 1)), shape);
    const g = tf.grads((...args: tf.Tensor[]) => {
      const y = fn(...args);
      return tf.sum(tf.mul(y, dyOf(y.shape)));
    });
    const grads = g(xs).map((t) => t.dataSync() as Float32Array);
    const value = fn(...xs).dataSync() as Float32Array;
    return { value: Float32Array.from(value), grads: grads.map((a) => Float32Array.from(a)) };
  });
}

/** Size of fn's output for these inputs (evaluated once to size the loss weights). */
function outputSize(fn: Fn, inputs: GradInput[]): number[] {
  return tf.tidy(() => fn(...inputs.map((i) => tf.tensor(i.data, i.shape))).shape);
}

/** Compares fn's value and gradients on `backend` with the reference. Leaves `backend` active. */
// @testSeam: tested directly
// @testSeam: tested directly
export async function checkGradients(name: string, fn: Fn, inputs: GradInput[], options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const backend = options.backend ?? 'wasm';
  const refBackend = options.referenceBackend ?? 'cpu';
  const tolerance = options.tolerance ?? 1e-4;

  await initEngine({ backend: refBackend });
  const outShape = outputSize(fn, inputs);
  const dyData = pseudoRandom(outShape.reduce((p, d) => p * d, 1), options.seed ?? 7);
  let ref: GradRun;
  if (options.reference) {
    const reference = options.reference;
    ref = tf.tidy(() => {
      const r = reference(inputs.map((i) => tf.tensor(i.data, i.shape)), tf.tensor(dyData, outShape));
      return { value: Float32Array.from(r.value.dataSync()), grads: r.grads.map((t) => Float32Array.from(t.dataSync())) };
    });
  } else {
    ref = runGrads(fn, inputs, dyData);
  }

  await initEngine({ backend });
  const got = runGrads(fn, inputs, dyData);
  const valueRelErr = relErr(got.value, ref.value);
  const gradRelErrs = ref.grads.map((r, i) => (got.grads[i] ? relErr(got.grads[i], r) : Infinity));
  const maxRelErr = Math.max(valueRelErr, ...gradRelErrs);
  return { name, valueRelErr, gradRelErrs, maxRelErr, pass: maxRelErr <= tolerance };
}
