/**
 * A RestorationEngine that runs the model folder's networks with ONNX Runtime (onnxruntime-node,
 * 2 intra-op threads) instead of tfjs: the graphs are exported in memory at load time from the
 * same forward code (src/onnx/export.ts), so a folder needs no .onnx files.
 *
 * Per image, `prepare` merges the blend into the LoRA-target 1×1 weights exactly as the tfjs engine
 * does (mergeAdapters) and passes them as graph inputs ('inputs', the default: measured faster
 * than adapter branches, docs/onnx.md); no re-export per image. Tiles run synchronously through a
 * worker thread (src/onnx/sync-runner.ts), since the RestorationEngine contract is synchronous.
 * Inputs smaller than 8 pixels on a side are reflect-padded with tfjs first (the graph's Pad
 * cannot reflect more than the image has), exactly as restoreBatch does.
 */
import { initEngine, tf, type BackendName } from '../engine/backend.js';
import type { RGBImage } from '../image/types.js';
import { disposeMerged, disposeParams, mergeAdapters, SIZE_MULTIPLE, type BackboneConfig, type Params } from '../model/index.js';
import { cropTo, reflectPadToMultiple } from '../model/padding.js';
import { ADAPTER_WEIGHTS_INPUT, adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx, type AdaptersAs } from '../onnx/export.js';
import { loadOrt } from '../onnx/runtime.js';
import { type HostTensor, SyncOrtRunner } from '../onnx/sync-runner.js';
import type { RestorationEngine } from './engine.js';
import { describeModel, estimatorCrops, loadParts, meanRows, noEstimatorError, segmentationClassNames, segmentationMapping } from './model-engine.js';

export interface OnnxEngineOptions {
  /** tfjs backend for the tile tensors the restorer exchanges (default: current, else wasm). */
  backend?: BackendName;
  /** How per-image adapter blends reach the graph (default 'inputs'). */
  adaptersAs?: Exclude<AdaptersAs, 'none'>;
  /** ONNX Runtime intra-op threads (default 2). */
  threads?: number;
}

export interface OnnxEngine extends RestorationEngine {
  readonly dir: string;
  readonly config: BackboneConfig;
  readonly hasEstimator: boolean;
  readonly swExponent: number;
  readonly keepClean: boolean;
  readonly ignoredAdapters: readonly string[];
  readonly segmentationClasses: readonly string[] | null;
  readonly engineName: 'onnx';
  /** a tile without blocking the thread: an abort rejects at once (SyncOrtRunner.runAsync) */
  restoreTileAsync(tile: tf.Tensor4D, signal?: AbortSignal): Promise<tf.Tensor4D>;
}

const host = (t: tf.Tensor): HostTensor => ({ data: Float32Array.from(t.dataSync() as Float32Array), dims: [...t.shape] });

export async function createOnnxEngine(modelDir: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
  await loadOrt(); // fail early, with the reason, when the runtime cannot load here
  const current = tf.engine().backendName as BackendName | null;
  await initEngine({ backend: options.backend ?? current ?? 'wasm' });
  const { backbone, estimator, adapters, classes, ignored } = await loadParts(modelDir);
  const config = backbone.config;
  const base: Params = backbone.params;
  const segNames = classes.length > 0 ? segmentationClassNames(config, backbone.provenance) : null;
  const mapping = segNames ? segmentationMapping(segNames, classes) : null;
  const mode = adapters.length === 0 ? 'none' : (options.adaptersAs ?? 'inputs');
  const inputNames = mode === 'inputs' ? adapterInputNames(config, adapters) : [];

  const runner = new SyncOrtRunner(options.threads);
  let segmentLoaded = false;
  let blendFeeds: Record<string, HostTensor> = {};
  let disposed = false;
  try {
    runner.load('restore', exportBackboneOnnx(base, config, { adaptersAs: mode, adapters }));
    if (estimator) runner.load('estimate', exportEstimatorOnnx(estimator.params, estimator.config));
  } catch (err) {
    runner.close();
    throw err;
  }
  const assertLive = () => {
    if (disposed) throw new Error('this ONNX engine has been disposed');
  };

  const setBlend = (weights: Float32Array) => {
    if (mode === 'branches') {
      blendFeeds = { [ADAPTER_WEIGHTS_INPUT]: { data: Float32Array.from(weights), dims: [1, weights.length] } };
      return;
    }
    if (mode === 'none') return;
    const merged = mergeAdapters(base, adapters, Array.from(weights));
    try {
      blendFeeds = Object.fromEntries(inputNames.map((name) => [name, host(merged[name]!)]));
    } finally {
      disposeMerged(merged, base);
    }
  };
  setBlend(new Float32Array(adapters.length));

  /** Runs `session` on one [1,h,w,3] tile and returns output `fetch` as a tensor of the tile's size. */
  const runTile = (session: string, tile: tf.Tensor4D, fetch: string): tf.Tensor4D =>
    tf.tidy(() => {
      const [, h, w] = tile.shape;
      // Under 8 pixels the graph's reflect Pad would need more pixels than there are.
      const input = h < SIZE_MULTIPLE || w < SIZE_MULTIPLE ? reflectPadToMultiple(tile, SIZE_MULTIPLE) : tile;
      const out = runner.run(session, { image: host(input), ...blendFeeds }, [fetch])[fetch]!;
      return cropTo(tf.tensor4d(out.data, out.dims as [number, number, number, number]), h, w);
    });

  const engine: OnnxEngine = {
    engineName: 'onnx',
    ...describeModel(modelDir, config, classes, estimator, ignored, segNames),

    async estimate(image: RGBImage): Promise<Float32Array> {
      assertLive();
      if (classes.length === 0) return new Float32Array(0);
      if (!estimator) {
        throw noEstimatorError(modelDir, classes);
      }
      // The same native-resolution crops as the tfjs engine, cut on the JS side (the full image
      // never enters either runtime), in one run: the graph's batch dimension is dynamic.
      const size = estimator.config.inputSize;
      const crops = estimatorCrops(image, size);
      const out = runner.run('estimate', { image: { data: crops.data, dims: [crops.count, size, size, 3] } }, ['probabilities']);
      return meanRows(out['probabilities']!.data, crops.count);
    },

    async prepare(weights: Float32Array): Promise<void> {
      assertLive();
      if (weights.length !== classes.length) throw new Error(`prepare: ${weights.length} adapter weights for ${classes.length} classes`);
      setBlend(weights);
    },

    restoreTile(tile: tf.Tensor4D): tf.Tensor4D {
      assertLive();
      return tf.tidy(() => tf.clipByValue(runTile('restore', tile, 'restored'), 0, 1) as tf.Tensor4D);
    },

    async restoreTileAsync(tile: tf.Tensor4D, signal?: AbortSignal): Promise<tf.Tensor4D> {
      assertLive();
      const [, h, w] = tile.shape;
      const padded = h < SIZE_MULTIPLE || w < SIZE_MULTIPLE ? reflectPadToMultiple(tile, SIZE_MULTIPLE) : tile;
      let image: HostTensor;
      try {
        image = host(padded);
      } finally {
        if (padded !== tile) padded.dispose();
      }
      const out = (await runner.runAsync('restore', { image, ...blendFeeds }, ['restored'], signal))['restored']!;
      return tf.tidy(() => tf.clipByValue(cropTo(tf.tensor4d(out.data, out.dims as [number, number, number, number]), h, w), 0, 1) as tf.Tensor4D);
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      runner.close();
      disposeParams(base);
      for (const adapter of adapters) disposeParams(adapter.params);
      if (estimator) disposeParams(estimator.params);
    },
  };

  if (segNames) {
    engine.segmentTile = (tile: tf.Tensor4D): tf.Tensor4D => {
      assertLive();
      if (!segmentLoaded) {
        // Only --explain needs the head: export that graph on first use.
        runner.load('segment', exportBackboneOnnx(base, config, { adaptersAs: mode, adapters, segmentation: true }));
        segmentLoaded = true;
      }
      return tf.tidy(() => {
        const logits = runTile('segment', tile, 'seg_logits');
        if (!mapping) return logits;
        const [, h, w, c] = logits.shape;
        const cols = 1 + classes.length;
        const flat = tf.reshape(logits, [h * w, c]) as tf.Tensor2D;
        const picked = tf.add(tf.matMul(flat, tf.tensor2d(mapping.select, [c, cols])), tf.tensor1d(mapping.bias));
        return tf.reshape(picked, [1, h, w, cols]) as tf.Tensor4D;
      });
    };
  }
  return engine;
}
