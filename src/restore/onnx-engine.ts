/**
 * A RestorationEngine that runs the model folder's networks with ONNX Runtime (onnxruntime-node,
 * 2 intra-op threads) instead of tfjs: the graphs are exported in memory at load time from the
 * same forward code (src/onnx/export.ts), so a folder needs no .onnx files.
 *
 * Per image, `prepare` merges the blend into the LoRA-target 1×1 weights exactly as the tfjs engine
 * does (mergeAdapters) and passes them as graph inputs ('inputs', the default: measured faster
 * than adapter branches, docs/onnx.md); no re-export per image. Tiles run synchronously through a
 * worker thread (src/ort/sync-runner.ts), since the RestorationEngine contract is synchronous.
 * Inputs smaller than 8 pixels on a side are reflect-padded first (the graph's Pad cannot reflect
 * more than the image has), exactly as restoreBatch does.
 *
 * No tfjs anywhere on this path: the weights are read as plain arrays (readParts), merged in JS
 * (mergeAdaptersHost) and tiles are plain arrays, so restoring never loads tfjs.
 */
import type { RGBImage } from '../image/types.js';
import { SIZE_MULTIPLE, type BackboneConfig } from '../model/config.js';
import { mergeAdaptersHost, type HostWeights } from '../model/host-weights.js';
import { ADAPTER_WEIGHTS_INPUT, adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx, type AdaptersAs } from '../onnx/export.js';
import { loadOrt } from '../ort/runtime.js';
import { type HostTensor, SyncOrtRunner } from '../ort/sync-runner.js';
import type { RestorationEngine } from './engine.js';
import { estimatorCrops, meanRows } from './estimator-input.js';
import { describeModel, noEstimatorError, readParts, segmentationClassNames, segmentationMapping } from './model-folder.js';
import { clipUnit, cropTopLeft, reflectPadToMultiple } from './tile-ops.js';
import type { Raster } from './tile-plan.js';

export interface OnnxEngineOptions {
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
  restoreTileAsync(tile: Raster, signal?: AbortSignal): Promise<Raster>;
}


export async function createOnnxEngine(modelDir: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
  await loadOrt(); // fail early, with the reason, when the runtime cannot load here
  const { backbone, estimator, adapters, classes, ignored } = await readParts(modelDir);
  const config = backbone.config;
  const base: HostWeights = backbone.params;
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
    const merged = mergeAdaptersHost(base, adapters, weights, inputNames);
    blendFeeds = Object.fromEntries(inputNames.map((name) => [name, { data: merged[name]!, dims: [...base[name]!.shape] }]));
  };
  setBlend(new Float32Array(adapters.length));

  /** Runs `session` on one h×w×3 tile and returns output `fetch` at the tile's size. */
  const runTile = (session: string, tile: Raster, fetch: string): Raster => {
    const { width: w, height: h, channels } = tile;
    // Under 8 pixels the graph's reflect Pad would need more pixels than there are.
    const small = h < SIZE_MULTIPLE || w < SIZE_MULTIPLE;
    const input = small ? reflectPadToMultiple(tile.data, w, h, channels, SIZE_MULTIPLE) : { data: tile.data, width: w, height: h };
    const out = runner.run(session, { image: { data: input.data, dims: [1, input.height, input.width, channels] }, ...blendFeeds }, [fetch])[fetch]!;
    const outChannels = out.dims[3]!;
    return { width: w, height: h, channels: outChannels, data: cropTopLeft(out.data, input.width, w, h, outChannels) };
  };

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

    restoreTile(tile: Raster): Raster {
      assertLive();
      const restored = runTile('restore', tile, 'restored');
      clipUnit(restored.data);
      return restored;
    },

    async restoreTileAsync(tile: Raster, signal?: AbortSignal): Promise<Raster> {
      assertLive();
      const { width: w, height: h, channels } = tile;
      const small = h < SIZE_MULTIPLE || w < SIZE_MULTIPLE;
      const input = small ? reflectPadToMultiple(tile.data, w, h, channels, SIZE_MULTIPLE) : { data: tile.data, width: w, height: h };
      const out = (await runner.runAsync('restore', { image: { data: input.data, dims: [1, input.height, input.width, channels] }, ...blendFeeds }, ['restored'], signal))['restored']!;
      const outChannels = out.dims[3]!;
      const restored = { width: w, height: h, channels: outChannels, data: cropTopLeft(out.data, input.width, w, h, outChannels) };
      clipUnit(restored.data);
      return restored;
    },

    dispose(): void {
      if (disposed) return;
      disposed = true;
      runner.close();
    },
  };

  if (segNames) {
    engine.segmentTile = (tile: Raster): Raster => {
      assertLive();
      if (!segmentLoaded) {
        // Only --explain needs the head: export that graph on first use.
        runner.load('segment', exportBackboneOnnx(base, config, { adaptersAs: mode, adapters, segmentation: true }));
        segmentLoaded = true;
      }
      const logits = runTile('segment', tile, 'seg_logits');
      if (!mapping) return logits;
      return { ...logits, channels: 1 + classes.length, data: mapChannels(logits.data, logits.channels, mapping) };
    };
  }
  return engine;
}

/** Per pixel: logits [c] · select [c, cols] + bias [cols] (the segmentation head's classes → the engine's). */
function mapChannels(logits: Float32Array, c: number, mapping: { select: Float32Array; bias: Float32Array }): Float32Array {
  const cols = mapping.bias.length;
  const pixels = logits.length / c;
  const out = new Float32Array(pixels * cols);
  for (let p = 0; p < pixels; p++) {
    for (let j = 0; j < cols; j++) {
      let v = mapping.bias[j]!;
      for (let i = 0; i < c; i++) v += logits[p * c + i]! * mapping.select[i * cols + j]!;
      out[p * cols + j] = v;
    }
  }
  return out;
}
