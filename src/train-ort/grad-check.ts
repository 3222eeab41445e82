/**
 * Finite-difference check of the emitted backward on onnxruntime-node. ORT's CPU kernels for Conv,
 * ConvTranspose and friends are float32 only, so the graphs are float32 and the check is
 * directional: for random directions u, the central difference (L(p+εu) − L(p−εu)) / 2ε is
 * compared with ⟨∇L, u⟩ for every parameter p, where L = Σ y·r for a fixed random r (or a loss
 * term itself). One session and 1 + 2·directions runs per parameter, so it stays fast.
 */
import { loadOrt } from '../ort/runtime.js';
import { Rng } from '../util/rng.js';
import type { ModelOps } from '../model/layers/graph-ops.js';
import { autodiffOps } from './autodiff-ops.js';
import { Autodiff, sizeOf, type V } from './tape.js';

// @testSeam: tested directly
export interface GradCase {
  /** Trainable inputs by name with their shapes. */
  params: Record<string, number[]>;
  /** Non-trainable inputs (data), fed random values too. */
  inputs?: Record<string, number[]>;
  /**
   * Builds the forward. Return a value y (checked through L = Σ y·r) or a loss with its seeds
   * (pairs of a value and dL/dvalue).
   */
  build(g: ModelOps<V>, ad: Autodiff, values: Record<string, V>): V | { loss: V; seeds: [V, V][] };
  /** Initial values of a parameter (default uniform(−1, 1)). */
  init?(name: string, size: number, rng: Rng): Float32Array;
  /** Finite-difference step (default 1e-2). */
  eps?: number;
  /**
   * Perturb every parameter at once along one joint direction (error reported under '*'): for a
   * deep network, where single small parameters move a float32 loss by less than its rounding.
   */
  joint?: boolean;
  /** Multiply the analytic gradient by this (a self-test that a wrong gradient fails). */
  corruptGradient?: number;
}

interface GradReport {
  /** Worst relative error per parameter over the directions. */
  errors: Record<string, number>;
  /** Node count and op types of the graph (to check which backward nodes were emitted). */
  ops: string[];
}

function uniform(size: number, rng: Rng): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

// @testSeam: tested directly
// @testSeam: tested directly
export async function checkGradients(c: GradCase, seed = 1, directions = 3, nchwcBlock: number | null = null): Promise<GradReport> {
  const ort = await loadOrt();
  const rng = new Rng(seed);
  const ad = new Autodiff({ nchwcBlock });
  const values: Record<string, V> = {};
  for (const [name, shape] of Object.entries(c.params)) values[name] = ad.param(name, shape);
  for (const [name, shape] of Object.entries(c.inputs ?? {})) values[name] = ad.input(name, shape, shape[1] ?? 0);
  const built = c.build(autodiffOps(ad), ad, values);
  let loss: V;
  let seeds: [V, V][];
  if ('seeds' in built) {
    loss = built.loss;
    seeds = built.seeds;
  } else {
    const r = ad.constant(uniform(sizeOf(built.shape), rng), [...built.shape], 'probe');
    loss = ad.node('ReduceSum', [ad.mul(built, r)], { keepdims: 0 }, []);
    seeds = [[built, r]];
  }
  const grads = ad.backward(seeds);
  ad.graph.output(loss, 'loss', []);
  const names = Object.keys(c.params);
  names.forEach((name, i) => ad.graph.output(grads.get(name)!, `grad_${i}`, c.params[name]!));
  const ops = ad.graph.nodes.map((n) => n.op);
  const session = await ort.InferenceSession.create(ad.graph.encode('grad_check'), { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });

  const base: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(c.params)) base[name] = c.init ? c.init(name, sizeOf(shape), rng) : uniform(sizeOf(shape), rng);
  for (const [name, shape] of Object.entries(c.inputs ?? {})) base[name] = uniform(sizeOf(shape), rng);
  const shapes: Record<string, number[]> = { ...c.params, ...(c.inputs ?? {}) };
  const run = async (feed: Record<string, Float32Array>, fetch: string[]) => {
    const tensors = Object.fromEntries(Object.entries(feed).map(([n, d]) => [n, new ort.Tensor('float32', d, shapes[n]!)]));
    const out = await session.run(tensors, fetch);
    return Object.fromEntries(fetch.map((f) => [f, out[f]!.data as Float32Array]));
  };
  const analytic = await run(base, names.map((_, i) => `grad_${i}`));
  const eps = c.eps ?? 1e-2;
  const errors: Record<string, number> = {};
  const groups = c.joint ? [names] : names.map((n) => [n]);
  for (const group of groups) {
    let worst = 0;
    for (let d = 0; d < directions; d++) {
      const u = new Map(group.map((name) => [name, uniform(base[name]!.length, rng)]));
      let predicted = 0;
      for (const name of group) {
        const grad = analytic[`grad_${names.indexOf(name)}`]!;
        const dir = u.get(name)!;
        for (let j = 0; j < dir.length; j++) predicted += grad[j]! * dir[j]! * (c.corruptGradient ?? 1);
      }
      const shifted = (sign: number) => {
        const feed = { ...base };
        for (const name of group) {
          const p = base[name]!.slice();
          const dir = u.get(name)!;
          for (let j = 0; j < p.length; j++) p[j] = p[j]! + sign * eps * dir[j]!;
          feed[name] = p;
        }
        return run(feed, ['loss']).then((o) => o['loss']![0]!);
      };
      const measured = ((await shifted(1)) - (await shifted(-1))) / (2 * eps);
      const err = Math.abs(measured - predicted) / Math.max(Math.abs(measured), Math.abs(predicted), 1e-3);
      worst = Math.max(worst, err);
    }
    errors[c.joint ? '*' : group[0]!] = worst;
  }
  await session.release();
  return { errors, ops };
}
