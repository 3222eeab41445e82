/**
 * LoRA adapters on the backbone's 1×1 convolutions (ABAIR Phase II: one adapter per degradation).
 *
 * Layout (our 1×1 weights are [cin, cout] and act as y = x·W):
 *   A: [cin, r]  (small random, Kaiming-uniform-like)   B: [r, cout]  (zeros)
 *   delta(x) = (α/r) · (x·A)·B          ≡ the paper's (α/r)·B·A on a [cout, cin] weight
 * so a fresh adapter changes nothing until B is trained.
 *
 * Several adapters run at once with per-image weights w[n,k] (one-hot, soft, or anything):
 *   y_n = x_n·W + Σ_k w[n,k]·(α_k/r_k)·(x_n·A_k)·B_k
 * computed with two matrix products per layer whatever the number of adapters: the adapters'
 * A's are concatenated along the rank axis, the product's columns are scaled per image, then
 * multiplied by the stacked B's.
 */
import { ops, tf } from '../tfjs/tf-handle.js';
import { columnGroup, type LinearDelta } from './layers/conv.js';
import { createParams, param, type ParamSpec, type ParamStore, type Params } from './params.js';

export const DEFAULT_LORA_RANK = 4;

/** A 1×1 convolution that can carry an adapter. */
export interface LoraTarget {
  layer: string;
  cin: number;
  cout: number;
}

export interface LoraConfig {
  /** The degradation (or any label) this adapter is for; also its parameter-name prefix. */
  name: string;
  rank: number;
  /** Scale is alpha/rank; alpha = rank (scale 1) by default. */
  alpha: number;
  /** Layer names (e.g. `enc1.0.attn.qkv`) this adapter modifies. */
  targets: string[];
}

export interface LoraAdapter {
  config: LoraConfig;
  params: Params;
}

export interface TrainableLoraAdapter extends LoraAdapter {
  params: ParamStore;
}

export function loraParamName(adapter: string, layer: string, which: 'A' | 'B'): string {
  return `lora.${adapter}.${layer}.${which}`;
}

export function loraScale(config: LoraConfig): number {
  return config.alpha / config.rank;
}

export function validateLoraConfig(config: LoraConfig): void {
  if (!/^[A-Za-z0-9_-]+$/.test(config.name)) throw new Error(`adapter name '${config.name}' must be letters, digits, '_' or '-'`);
  if (!Number.isInteger(config.rank) || config.rank < 1) throw new Error(`adapter '${config.name}': rank must be a positive integer`);
  if (!(config.alpha > 0)) throw new Error(`adapter '${config.name}': alpha must be > 0`);
  if (!Array.isArray(config.targets) || config.targets.length === 0) throw new Error(`adapter '${config.name}': no target layers`);
}

/** Parameter specs of one adapter over the given targets (all of them must be known layers). */
export function loraSpecs(config: LoraConfig, available: readonly LoraTarget[]): ParamSpec[] {
  const byLayer = new Map(available.map((t) => [t.layer, t]));
  const specs: ParamSpec[] = [];
  for (const layer of config.targets) {
    const target = byLayer.get(layer);
    if (!target) throw new Error(`adapter '${config.name}' targets unknown layer '${layer}'`);
    specs.push({ name: loraParamName(config.name, layer, 'A'), shape: [target.cin, config.rank], init: { kind: 'fanIn', fanIn: target.cin } });
    specs.push({ name: loraParamName(config.name, layer, 'B'), shape: [config.rank, target.cout], init: { kind: 'zeros' } });
  }
  return specs;
}

interface CreateAdapterOptions {
  rank?: number;
  alpha?: number;
  /** Restrict to these layers (default: every target offered). */
  targets?: string[];
  seed?: number | string;
}

/** A fresh trainable adapter (B = 0, so the model's output is unchanged until it is trained). */
export function createAdapter(name: string, available: readonly LoraTarget[], options: CreateAdapterOptions = {}): TrainableLoraAdapter {
  const rank = options.rank ?? DEFAULT_LORA_RANK;
  const config: LoraConfig = {
    name,
    rank,
    alpha: options.alpha ?? rank,
    targets: options.targets ?? available.map((t) => t.layer),
  };
  validateLoraConfig(config);
  return { config, params: createParams(loraSpecs(config, available), options.seed ?? `lora:${name}`) };
}

/**
 * Per-image adapter weights [N, K] as a tensor; K must equal the number of adapters. Accepts a
 * tensor or nested arrays (rows = images).
 */
function weightsTensor(weights: tf.Tensor2D | number[][], adapterCount: number): tf.Tensor2D {
  const t = weights instanceof tf.Tensor ? weights : tf.tensor2d(weights, [weights.length, adapterCount]);
  if (t.rank !== 2 || t.shape[1] !== adapterCount) {
    throw new Error(`adapter weights must be [images, ${adapterCount}], got [${t.shape}]`);
  }
  return t;
}

/**
 * The LinearDelta the backbone's 1×1 convolutions consult. Tensors it creates live in the
 * caller's tidy scope (build it inside the same tf.tidy / gradient function as the forward pass).
 */
export function loraDelta(adapters: readonly LoraAdapter[], weights: tf.Tensor2D | number[][]): LinearDelta {
  const w = weightsTensor(weights, adapters.length);
  const targetSets = adapters.map((a) => new Set(a.config.targets));
  // Column scales depend only on which adapters target a layer: cache them per adapter subset.
  const scaleCache = new Map<string, tf.Tensor2D>();
  const columnScale = (indices: number[]): tf.Tensor2D => {
    const key = indices.join(',');
    let cached = scaleCache.get(key);
    if (!cached) {
      const columns = indices.map((k) => {
        const cfg = adapters[k]!.config;
        const perImage = tf.mul(tf.slice(w, [0, k], [w.shape[0], 1]), loraScale(cfg));
        return tf.tile(perImage, [1, cfg.rank]);
      });
      cached = (columns.length === 1 ? columns[0]! : tf.concat(columns, 1)) as tf.Tensor2D;
      scaleCache.set(key, cached);
    }
    return cached;
  };
  return {
    delta(layer, x2d, batch, parts = 1) {
      const indices = adapters.map((_, k) => k).filter((k) => targetSets[k]!.has(layer));
      if (indices.length === 0) return null;
      if (batch !== w.shape[0]) throw new Error(`adapter weights are for ${w.shape[0]} images, the batch has ${batch}`);
      const stack = (which: 'A' | 'B', axis: number) => {
        const parts = indices.map((k) => param<tf.Tensor2D>(adapters[k]!.params, loraParamName(adapters[k]!.config.name, layer, which)));
        return (parts.length === 1 ? parts[0]! : tf.concat(parts, axis)) as tf.Tensor2D;
      };
      const a = stack('A', 1);
      const b = stack('B', 0);
      const rows = x2d.shape[0];
      const rankTotal = a.shape[1];
      const projected = tf.reshape(ops.matMul(x2d, a), [batch, rows / batch, rankTotal]);
      const scaled = tf.reshape(tf.mul(projected, tf.reshape(columnScale(indices), [batch, 1, rankTotal])), [rows, rankTotal]) as tf.Tensor2D;
      return Array.from({ length: parts }, (_, p) => ops.matMul(scaled, columnGroup(b, p, parts)));
    },
  };
}

/**
 * Folds adapters into the base weights for one image's blend:
 *   W' = W + Σ_k weights[k]·(α_k/r_k)·A_k·B_k
 * Returns a new record: merged layers are new tensors (dispose them when done, e.g. with
 * `disposeMerged`); all other entries are the base's own tensors, shared, not copied.
 */
// @testSeam: tested directly
export function mergeAdapters(base: Params, adapters: readonly LoraAdapter[], weights: readonly number[]): Record<string, tf.Tensor> {
  if (weights.length !== adapters.length) throw new Error(`mergeAdapters: ${adapters.length} adapters but ${weights.length} weights`);
  const merged: Record<string, tf.Tensor> = { ...base };
  const layers = new Set(adapters.flatMap((a) => a.config.targets));
  for (const layer of layers) {
    const baseWeight = param<tf.Tensor2D>(base, `${layer}.w`);
    merged[`${layer}.w`] = tf.tidy(() => {
      let sum: tf.Tensor2D = baseWeight;
      adapters.forEach((adapter, k) => {
        if (!adapter.config.targets.includes(layer) || weights[k] === 0) return;
        const a = param<tf.Tensor2D>(adapter.params, loraParamName(adapter.config.name, layer, 'A'));
        const b = param<tf.Tensor2D>(adapter.params, loraParamName(adapter.config.name, layer, 'B'));
        sum = tf.add(sum, tf.mul(ops.matMul(a, b), weights[k]! * loraScale(adapter.config)));
      });
      // Always a fresh tensor, so the caller can dispose every merged entry uniformly.
      return sum === baseWeight ? tf.clone(baseWeight) : sum;
    });
  }
  return merged;
}

/** Disposes what mergeAdapters created (the entries that differ from the base's tensors). */
// @testSeam: tested directly
export function disposeMerged(merged: Record<string, tf.Tensor>, base: Params): void {
  for (const [name, t] of Object.entries(merged)) if (base[name] !== t) t.dispose();
}
