/**
 * The RestorationEngine over ABAIR weight files: backbone (+ segmentation head), one LoRA adapter
 * per degradation and the estimator, as written by src/model/weights.ts into one folder.
 *
 * Per image, `prepare` folds the blend into the base weights once (W + Σ wₖ·(α/r)·Aₖ·Bₖ, see
 * mergeAdapters), so every tile then costs exactly one plain backbone forward whatever the number
 * of adapters. All-zero weights use the base weights as they are.
 *
 * Degraded folders are still usable:
 *   - adapters but no estimator: explicit modes (adapter:<name>, weights:…) work; `estimate`
 *     throws a UserError saying sw/oh need the estimator (`hasEstimator` is false, and the restorer
 *     does not call `estimate` for explicit modes on such an engine);
 *   - backbone only: `classes` is empty and every image gets the base model.
 * Adapters the estimator has no class for are not loaded (they could never be weighted by sw/oh,
 * and explicit modes name engine classes); they are listed in `ignoredAdapters`.
 *
 * Segmentation (--explain): the head's channels are named by the backbone sidecar's
 * `provenance.segClasses` (a list of names) when present, else — when the head has as many
 * classes as the CutMix default — by DEFAULT_CLASSES (rain, haze, noise, blur, lowlight), which
 * is what Phase I trains with; otherwise the engine offers no segmentTile. The logits are
 * reordered to the engine's classes by name; an engine class the head does not know gets a
 * constant logit of −30 (probability ≈ 0) and head classes the engine lacks are dropped, so the
 * explain map's softmax is over clean + the engine's classes only.
 */
import { promises as fs } from 'node:fs';
import { initEngine, tf, type BackendName } from '../tfjs/backend.js';
import { matMul } from '../tfjs/ops.js';
import type { RGBImage } from '../image/types.js';
import { UserError } from '../util/errors.js';
import { toParams } from '../model/weights.js';
import {
  disposeMerged,
  disposeParams,
  estimateProbabilities,
  mergeAdapters,
  restoreBatch,
  type BackboneConfig,
  type LoadedAdapter,
  type LoadedBackbone,
  type LoadedEstimator,
  type Params,
} from '../model/index.js';
import type { RestorationEngine } from './engine.js';
import { tensorTileFn } from './tensor-tiles.js';
import { estimatorCrops, meanRows } from './estimator-input.js';
import { describeModel, noEstimatorError, readParts, segmentationClassNames, segmentationMapping } from './model-folder.js';

export { describeModel, noEstimatorError, readParts, segmentationClassNames, segmentationMapping, type HostParts } from './model-folder.js';

export { estimatorCrops, estimatorInput, meanRows } from './estimator-input.js';

export interface ModelEngineOptions {
  /** initialise this backend first (default: keep the current one, or wasm if none is set up) */
  backend?: BackendName;
}

export interface ModelEngine extends RestorationEngine {
  /** the folder the weights came from */
  readonly dir: string;
  readonly config: BackboneConfig;
  /** false when the folder has no estimator.safetensors: only explicit modes can be used */
  readonly hasEstimator: boolean;
  /** the estimator's SW exponent (1 without an estimator) */
  readonly swExponent: number;
  /** the estimator's keep-clean setting (false without an estimator) */
  readonly keepClean: boolean;
  /** adapter names found in the folder but not used because the estimator has no class for them */
  readonly ignoredAdapters: readonly string[];
  /** names of the segmentation head's classes (index 1 + k), or null when segmentTile is not offered */
  readonly segmentationClasses: readonly string[] | null;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

async function ensureBackend(backend: BackendName | undefined): Promise<void> {
  if (backend) {
    await initEngine({ backend });
    return;
  }
  const current = tf.engine().backendName as BackendName | null;
  await initEngine({ backend: current ?? 'wasm' });
}

/** Loads every part of a model folder (checked, see readParts) as tfjs variables. */
export async function loadParts(dir: string): Promise<{
  backbone: LoadedBackbone;
  estimator: LoadedEstimator | null;
  adapters: LoadedAdapter[];
  classes: string[];
  ignored: string[];
}> {
  const parts = await readParts(dir);
  const backbone: LoadedBackbone = { ...parts.backbone, params: toParams(parts.backbone.params) };
  const estimator: LoadedEstimator | null = parts.estimator ? { ...parts.estimator, params: toParams(parts.estimator.params) } : null;
  const adapters: LoadedAdapter[] = parts.adapters.map((a) => ({ ...a, params: toParams(a.params) }));
  return { backbone, estimator, adapters, classes: parts.classes, ignored: parts.ignored };
}

/** A RestorationEngine over the ABAIR weights in `modelDir` (see the file comment for the folder layout). */
export async function createModelEngine(modelDir: string, options: ModelEngineOptions = {}): Promise<ModelEngine> {
  if (!(await exists(modelDir))) throw new UserError(`${modelDir}: model folder not found`);
  await ensureBackend(options.backend);
  const { backbone, estimator, adapters, classes, ignored } = await loadParts(modelDir);
  const config = backbone.config;
  const base: Params = backbone.params;
  let merged: Record<string, tf.Tensor> | null = null;
  let disposed = false;

  const segNames = classes.length > 0 ? segmentationClassNames(config, backbone.provenance) : null;
  const mapping = segNames ? segmentationMapping(segNames, classes) : null;
  const current = (): Params => merged ?? base;
  const assertLive = () => {
    if (disposed) throw new Error('this model engine has been disposed');
  };

  const engine: ModelEngine = {
    ...describeModel(modelDir, config, classes, estimator, ignored, segNames),

    async estimate(image: RGBImage): Promise<Float32Array> {
      assertLive();
      if (classes.length === 0) return new Float32Array(0);
      if (!estimator) {
        throw noEstimatorError(modelDir, classes);
      }
      // Native-resolution crops, as the estimator was trained (estimator-input.ts), averaged.
      const size = estimator.config.inputSize;
      const crops = estimatorCrops(image, size);
      const input = tf.tensor4d(crops.data, [crops.count, size, size, 3]);
      try {
        return meanRows(estimateProbabilities(estimator.params, estimator.config, input).flat(), crops.count);
      } finally {
        input.dispose();
      }
    },

    async prepare(weights: Float32Array): Promise<void> {
      assertLive();
      if (weights.length !== classes.length) throw new Error(`prepare: ${weights.length} adapter weights for ${classes.length} classes`);
      if (merged) disposeMerged(merged, base);
      merged = null;
      if (weights.some((w) => w !== 0)) merged = mergeAdapters(base, adapters, Array.from(weights));
    },

    restoreTile: tensorTileFn((tile) => {
      assertLive();
      const { restored } = restoreBatch(current(), config, tile, { releaseIntermediates: true });
      return tf.clipByValue(restored, 0, 1) as tf.Tensor4D;
    }),

    dispose(): void {
      if (disposed) return;
      disposed = true;
      if (merged) disposeMerged(merged, base);
      merged = null;
      disposeParams(base);
      for (const adapter of adapters) disposeParams(adapter.params);
      if (estimator) disposeParams(estimator.params);
    },
  };

  if (segNames) {
    engine.segmentTile = tensorTileFn((tile) => {
      assertLive();
      const logits = restoreBatch(current(), config, tile, { segmentation: true, releaseIntermediates: true }).segLogits!;
      if (!mapping) return logits;
      const [, h, w, c] = logits.shape;
      const cols = 1 + classes.length;
      const flat = tf.reshape(logits, [h * w, c]) as tf.Tensor2D;
      const picked = tf.add(matMul(flat, tf.tensor2d(mapping.select, [c, cols])), tf.tensor1d(mapping.bias));
      return tf.reshape(picked, [1, h, w, cols]) as tf.Tensor4D;
    });
  }
  return engine;
}
