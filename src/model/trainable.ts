/**
 * Factory for the data-parallel trainer (src/tfjs/parallel): `createTrainable(config)` builds one
 * replica (params + a mean-over-rows loss) inside each worker. Frozen parts are built from a fixed
 * seed or loaded from a file, so every worker holds identical copies.
 *
 * Batch entries: `input` and `target` [N,H,W,3] float32 (H, W multiples of 8); Phase I may add
 * `seg` [N,H,W] int32 class labels (0 = clean, k = degradation class k).
 *
 *   phase 'backbone' (Phase I): loss = mean|restored − target| + segWeight · CE(seg logits, seg)
 *   phase 'adapter'  (Phase II): backbone frozen, only the named adapter is trained, same L1 loss
 *   phase 'estimator' (Phase III): only the estimator trains; batch {input, labels [N,K] multi-hot};
 *                     loss = mean binary cross-entropy of estimatorLogits vs labels (no backbone)
 *
 * `loss: 'charbonnier'` replaces L1 by sqrt((x−y)² + ε²) (ε = 1e-3), smooth at 0 like Restormer's.
 */
import { tf } from '../tfjs/backend.js';
import { createBackbone, forwardBackbone, loraTargets } from './backbone.js';
import { type BackboneConfig, presetConfig } from './config.js';
import { createEstimator, type EstimatorConfig, estimatorLogits } from './estimator.js';
import { createAdapter, type TrainableLoraAdapter } from './lora.js';
import { disposeParams, type ParamStore, type Params } from './params.js';
import { loadBackbone } from './weights.js';

import type { RestorationLoss } from './config.js';

export type { RestorationLoss };

export interface ModelTrainableConfig {
  phase: 'backbone' | 'adapter' | 'estimator';
  /** Restoration loss of phases 'backbone' and 'adapter' (default 'l1'). */
  loss?: RestorationLoss;
  /** Phase III: the estimator's architecture and classes. */
  estimator?: EstimatorConfig;
  /** Architecture: a preset name or a full config (ignored when `backboneFile` is given). */
  preset?: string;
  config?: BackboneConfig;
  /** Backbone weights to start from (Phase I resume) or to freeze (Phase II). */
  backboneFile?: string;
  seed?: number;
  /** Phase I: weight of the segmentation cross-entropy (default 0.1; 0 = no head loss). */
  segWeight?: number;
  /** Phase II: adapter name, rank (default 4) and alpha (default rank). */
  adapter?: { name: string; rank?: number; alpha?: number };
}

export interface ModelTrainable {
  params: ParamStore;
  /** What the worker does not train (Phase II: the frozen backbone). */
  frozen: Params;
  config: BackboneConfig;
  loss(batch: Record<string, tf.Tensor>): tf.Scalar;
  /** Phases 'backbone'/'adapter': the restored images (adapter fully on), for validation. */
  restore?(input: tf.Tensor4D): tf.Tensor4D;
  /** Phase 'adapter': the adapter being trained (its config names the file it is saved to). */
  adapter?: TrainableLoraAdapter;
  /** Phase 'estimator': the estimator's architecture and classes. */
  estimator?: EstimatorConfig;
  /** Phase 'estimator': logits [N,K], for validation. */
  logits?(input: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

const CHARBONNIER_EPS = 1e-3;

function restorationLoss(kind: RestorationLoss): (restored: tf.Tensor, target: tf.Tensor) => tf.Tensor {
  if (kind === 'charbonnier') {
    return (restored, target) => tf.mean(tf.sqrt(tf.add(tf.square(tf.sub(restored, target)), CHARBONNIER_EPS * CHARBONNIER_EPS)));
  }
  if (kind !== 'l1') throw new Error(`unknown restoration loss '${String(kind)}' (known: l1, charbonnier)`);
  return (restored, target) => tf.mean(tf.abs(tf.sub(restored, target)));
}

/** Phase III replica: the estimator alone, trained with multi-label binary cross-entropy. */
function estimatorTrainable(options: ModelTrainableConfig): ModelTrainable {
  if (!options.estimator) throw new Error("phase 'estimator' needs estimator: EstimatorConfig");
  const config = options.estimator;
  const params = createEstimator(config, `estimator:${options.seed ?? 0}`);
  return {
    params,
    frozen: {},
    // no backbone in this phase; the field is kept for the interface's sake
    config: presetConfig('tiny'),
    loss(batch) {
      const logits = estimatorLogits(params, config, batchEntry<tf.Tensor4D>(batch, 'input'));
      const labels = batchEntry(batch, 'labels');
      // Numerically stable BCE with logits: max(z,0) − z·y + log(1 + e^(−|z|)).
      const perEntry = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
      return tf.mean(perEntry) as tf.Scalar;
    },
    estimator: config,
    logits: (input) => estimatorLogits(params, config, input),
    dispose: () => undefined,
  };
}

function batchEntry<T extends tf.Tensor>(batch: Record<string, tf.Tensor>, name: string): T {
  const t = batch[name];
  if (!t) throw new Error(`training batch has no '${name}' entry`);
  return t as T;
}

export async function createTrainable(options: ModelTrainableConfig): Promise<ModelTrainable> {
  if (options.phase === 'estimator') return estimatorTrainable(options);
  const seed = options.seed ?? 0;
  let config: BackboneConfig;
  let backbone: ParamStore;
  if (options.backboneFile) {
    const loaded = await loadBackbone(options.backboneFile, options.config ?? (options.preset ? presetConfig(options.preset) : undefined));
    config = loaded.config;
    backbone = loaded.params;
  } else {
    config = options.config ?? presetConfig(options.preset ?? 'tiny');
    backbone = createBackbone(config, seed);
  }

  const l1 = restorationLoss(options.loss ?? 'l1');

  if (options.phase === 'backbone') {
    const segWeight = options.segWeight ?? 0.1;
    const useSeg = segWeight > 0 && config.segClasses > 0;
    return {
      params: backbone,
      frozen: {},
      config,
      loss(batch) {
        const out = forwardBackbone(backbone, config, batchEntry(batch, 'input'), { segmentation: useSeg && 'seg' in batch });
        let loss = l1(out.restored, batchEntry(batch, 'target'));
        if (out.segLogits) {
          const classes = config.segClasses + 1;
          const labels = tf.oneHot(tf.reshape(batchEntry(batch, 'seg'), [-1]) as tf.Tensor1D, classes);
          const logProbs = tf.logSoftmax(tf.reshape(out.segLogits, [-1, classes]));
          const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(labels, logProbs), -1)));
          loss = tf.add(loss, tf.mul(crossEntropy, segWeight));
        }
        return loss as tf.Scalar;
      },
      restore: (input) => forwardBackbone(backbone, config, input).restored,
      dispose: () => undefined,
    };
  }

  if (!options.adapter) throw new Error("phase 'adapter' needs adapter: {name}");
  const adapterOptions: { rank?: number; alpha?: number; seed: string } = { seed: `lora:${options.adapter.name}:${seed}` };
  if (options.adapter.rank !== undefined) adapterOptions.rank = options.adapter.rank;
  if (options.adapter.alpha !== undefined) adapterOptions.alpha = options.adapter.alpha;
  const adapter = createAdapter(options.adapter.name, loraTargets(config), adapterOptions);
  return {
    params: adapter.params,
    frozen: backbone,
    adapter,
    config,
    loss(batch) {
      const input = batchEntry<tf.Tensor4D>(batch, 'input');
      const weights = tf.ones([input.shape[0], 1]) as tf.Tensor2D;
      const out = forwardBackbone(backbone, config, input, { blend: { adapters: [adapter], weights } });
      return l1(out.restored, batchEntry(batch, 'target')) as tf.Scalar;
    },
    restore(input) {
      const weights = tf.ones([input.shape[0], 1]) as tf.Tensor2D;
      return forwardBackbone(backbone, config, input, { blend: { adapters: [adapter], weights } }).restored;
    },
    dispose: () => disposeParams(backbone),
  };
}
