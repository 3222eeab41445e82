/**
 * Factory for the data-parallel trainer (src/engine/parallel): `createTrainable(config)` builds one
 * replica (params + a mean-over-rows loss) inside each worker. Frozen parts are built from a fixed
 * seed or loaded from a file, so every worker holds identical copies.
 *
 * Batch entries: `input` and `target` [N,H,W,3] float32 (H, W multiples of 8); Phase I may add
 * `seg` [N,H,W] int32 class labels (0 = clean, k = degradation class k).
 *
 *   phase 'backbone' (Phase I): loss = mean|restored − target| + segWeight · CE(seg logits, seg)
 *   phase 'adapter'  (Phase II): backbone frozen, only the named adapter is trained, same L1 loss
 */
import { tf } from '../engine/backend.js';
import { createBackbone, forwardBackbone, loraTargets } from './backbone.js';
import { type BackboneConfig, presetConfig } from './config.js';
import { createAdapter } from './lora.js';
import { disposeParams, type ParamStore, type Params } from './params.js';
import { loadBackbone } from './weights.js';

export interface ModelTrainableConfig {
  phase: 'backbone' | 'adapter';
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
  dispose(): void;
}

function batchEntry<T extends tf.Tensor>(batch: Record<string, tf.Tensor>, name: string): T {
  const t = batch[name];
  if (!t) throw new Error(`training batch has no '${name}' entry`);
  return t as T;
}

export async function createTrainable(options: ModelTrainableConfig): Promise<ModelTrainable> {
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

  const l1 = (restored: tf.Tensor, target: tf.Tensor) => tf.mean(tf.abs(tf.sub(restored, target)));

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
    config,
    loss(batch) {
      const input = batchEntry<tf.Tensor4D>(batch, 'input');
      const weights = tf.ones([input.shape[0], 1]) as tf.Tensor2D;
      const out = forwardBackbone(backbone, config, input, { blend: { adapters: [adapter], weights } });
      return l1(out.restored, batchEntry(batch, 'target')) as tf.Scalar;
    },
    dispose: () => disposeParams(backbone),
  };
}
