/**
 * Restoration with ONNX Runtime's JavaScript API (onnxruntime-web in a page or Web Worker;
 * onnxruntime-node has the same API and serves the Node tests) on a folder written by
 * `abair model export-web`. No tfjs, no Node APIs: the runtime module is passed in.
 *
 * Per image, the same steps as the Node restorer (src/restore/restorer.ts):
 *   estimator probabilities averaged over a 3×3 grid of native-resolution crops (estimatorCrops,
 *   as it was trained) → adapter weights by mode (adapterWeightsFor) → adapters merged into the
 *   1×1 weights once (mergeLora) → feathered tiles (tile-plan.ts: same plan, ramps and
 *   normalisation) through the backbone graph with the merged weights as inputs, each tile
 *   clipped to [0, 1] before blending.
 * Tiles under `padMultiple` pixels on a side are reflect-padded here (the graph's reflect Pad
 * cannot add more than the tile has). The degradation map comes from the same backbone run
 * (seg_logits): softmax over clean + the head's own classes, mixed with the palette, blended like
 * the image. Between tiles the restorer yields to the event loop, so a worker sees a cancel message.
 */
import { UsageError, UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { estimatorCrops, meanRows } from '../restore/estimator-input.js';
import { adapterWeightsFor, cleanShareFor, formatMode, parseMode, splitEstimate, type RestoreMode } from '../restore/modes.js';
import { pullTowardInput } from '../model/soft-weights.js';
import { mapPalette } from '../restore/palette.js';
import { addWeightedTile, copyTile, normaliseBlend, planGrid, resolveTiling } from '../restore/tile-plan.js';
import { mergeLora } from './lora-merge.js';
import type { WebModelManifest } from './manifest.js';
import { clipUnit, cropTopLeft, logitsToColours, reflectPadToMultiple } from './tile-ops.js';
import type { WebModel } from './web-model.js';

export { loadWebModel, type WebModel, type WebModelReader } from './web-model.js';

/** The part of an ONNX Runtime tensor the restorer uses. */
export interface OrtTensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The part of an ONNX Runtime InferenceSession the restorer uses. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>, fetches: readonly string[]): Promise<Readonly<Record<string, OrtTensorLike>>>;
  release(): Promise<void>;
}

/** The part of an ONNX Runtime module (`import * as ort from 'onnxruntime-web'`) the restorer uses. */
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

export interface BrowserRestoreOptions {
  /** 'sw' (default) | 'oh' | 'adapter:<name>' | 'weights:<name>=<w>,…', or a parsed mode */
  mode?: string | RestoreMode;
  /** sw only: pull the restoration back toward the input by the clean share (default: the model's keepClean) */
  keepClean?: boolean;
  /** default 512 */
  tileSize?: number;
  /** default 32 (at most tileSize / 2) */
  overlap?: number;
  /** also compute the per-pixel degradation map (needs a segmentation head: see segmentationClasses) */
  map?: boolean;
  /** after every tile: (tiles done, tiles total) */
  onProgress?: (done: number, total: number) => void;
  /** checked before every tile; an abort rejects with signal.reason (an AbortError by default) */
  signal?: AbortSignal;
}

export interface BrowserRestoreResult {
  image: RGBImage;
  /** the degradation map's colours (clean = CLEAN_COLOUR, head class k = classColour(k)), or null when not asked or not available */
  map: RGBImage | null;
  /** estimator probabilities in `classes` order (NaN when the mode did not need them and the model has no estimator) */
  probabilities: Float32Array;
  /** p(clean), the estimator's "nothing needs restoring" output; NaN when not estimated or the model has none */
  clean: number;
  /** adapter weights used, in `classes` order */
  weights: Float32Array;
  /** the share of the input kept (sw with keep-clean, as the Node restorer's cleanShare); 0 otherwise */
  cleanShare: number;
  /** the mode as text, e.g. 'sw', 'adapter:rain', 'weights:rain=0.7,haze=0.3' */
  mode: string;
}

export interface BrowserRestorer {
  /** degradation classes (one adapter each), the order of probabilities and weights */
  readonly classes: readonly string[];
  /** the segmentation head's classes (the map's colours 1…S), or null when the model gives no map */
  readonly segmentationClasses: readonly string[] | null;
  /** false when the model has no estimator: only explicit modes (adapter:…, weights:…) work */
  readonly hasEstimator: boolean;
  readonly manifest: WebModelManifest;
  /** estimator probabilities for the whole image, averaged over its crops ([] when the model has no classes) */
  estimate(image: RGBImage): Promise<Float32Array>;
  restore(image: RGBImage, options?: BrowserRestoreOptions): Promise<BrowserRestoreResult>;
  /** releases the ONNX Runtime sessions; the restorer cannot be used afterwards */
  dispose(): Promise<void>;
}

export interface BrowserRestorerOptions {
  /** passed to InferenceSession.create for both graphs (e.g. { executionProviders: ['wasm'] }) */
  sessionOptions?: object;
}

function checkImage(image: RGBImage): void {
  const { width, height, data } = image ?? ({} as Partial<RGBImage>);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 1 || height! < 1) {
    throw new UsageError(`image size must be positive integers, got ${String(width)}×${String(height)}`);
  }
  if (!(data instanceof Float32Array) || data.length !== width! * height! * 3) {
    throw new UsageError(`image data must be a Float32Array of ${width}×${height}×3 values (interleaved RGB in [0,1])`);
  }
}

function float32Output(outputs: Readonly<Record<string, OrtTensorLike>>, name: string, dims: readonly number[]): Float32Array {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`the graph returned no '${name}' output`);
  if (tensor.dims.length !== dims.length || tensor.dims.some((d, i) => d !== dims[i])) {
    throw new Error(`the graph's '${name}' output has shape [${tensor.dims.join(',')}], expected [${dims.join(',')}]`);
  }
  if (!(tensor.data instanceof Float32Array)) throw new Error(`the graph's '${name}' output is not float32`);
  return tensor.data;
}

/** Lets queued events (a worker's cancel message, timers) run between tiles. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export async function createBrowserRestorer(ort: OrtLike, model: WebModel, options: BrowserRestorerOptions = {}): Promise<BrowserRestorer> {
  const { manifest, lora } = model;
  const { classes, segmentationClasses, padMultiple } = manifest;
  const sessionOptions = options.sessionOptions ?? {};
  if (manifest.estimatorInputSize !== null && !model.estimator) throw new UserError('the model manifest names an estimator but no estimator.onnx bytes were given');

  const backbone = await ort.InferenceSession.create(model.backbone, sessionOptions);
  let estimator: OrtSessionLike | null = null;
  try {
    const wanted = ['image', ...manifest.weightInputs.map((w) => w.name)];
    const missing = wanted.filter((name) => !backbone.inputNames.includes(name));
    if (missing.length > 0 || backbone.inputNames.length !== wanted.length) {
      throw new UserError(`backbone.onnx does not fit model.json: graph inputs [${backbone.inputNames.join(', ')}], manifest needs [${wanted.join(', ')}] (files from different exports?)`);
    }
    const outputs = segmentationClasses ? ['restored', 'seg_logits'] : ['restored'];
    if (outputs.some((name) => !backbone.outputNames.includes(name))) {
      throw new UserError(`backbone.onnx does not fit model.json: graph outputs [${backbone.outputNames.join(', ')}], manifest needs [${outputs.join(', ')}]`);
    }
    if (manifest.estimatorInputSize !== null) estimator = await ort.InferenceSession.create(model.estimator!, sessionOptions);
  } catch (err) {
    await backbone.release();
    throw err;
  }

  const palette = segmentationClasses ? mapPalette(segmentationClasses.length) : null;
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const assertLive = () => {
    if (disposed) throw new Error('this restorer has been disposed');
  };

  async function estimate(image: RGBImage): Promise<Float32Array> {
    assertLive();
    checkImage(image);
    if (classes.length === 0) return new Float32Array(0);
    if (!estimator) {
      throw new UserError(`this model has no estimator, so modes sw and oh are not available: use adapter:<name> or weights:<name>=<w>,… (adapters: ${classes.join(', ')})`);
    }
    // The Node engines' input: native-resolution crops in one batch, probabilities averaged.
    const size = manifest.estimatorInputSize!;
    const crops = estimatorCrops(image, size);
    const input = new ort.Tensor('float32', crops.data, [crops.count, size, size, 3]);
    const out = await estimator.run({ image: input }, ['probabilities']);
    const outputs = classes.length + (manifest.cleanOutput ? 1 : 0);
    return meanRows(float32Output(out, 'probabilities', [crops.count, outputs]), crops.count);
  }

  /** Runs the backbone on one tile; returns its restored pixels (clipped) and, when asked, the map colours. */
  async function runTile(data: Float32Array, width: number, height: number, weightFeeds: Record<string, OrtTensorLike>, withMap: boolean) {
    const small = width < padMultiple || height < padMultiple;
    const input = small ? reflectPadToMultiple(data, width, height, 3, padMultiple) : { data, width, height };
    const fetches = withMap ? ['restored', 'seg_logits'] : ['restored'];
    const out = await backbone.run({ image: new ort.Tensor('float32', input.data, [1, input.height, input.width, 3]), ...weightFeeds }, fetches);
    const restored = float32Output(out, 'restored', [1, input.height, input.width, 3]);
    const pixels = clipUnit(Float32Array.from(cropTopLeft(restored, input.width, width, height, 3)));
    if (!withMap) return { pixels, colours: null };
    const channels = 1 + segmentationClasses!.length;
    const logits = float32Output(out, 'seg_logits', [1, input.height, input.width, channels]);
    return { pixels, colours: logitsToColours(cropTopLeft(logits, input.width, width, height, channels), channels, palette!) };
  }

  async function restoreOne(image: RGBImage, opts: BrowserRestoreOptions): Promise<BrowserRestoreResult> {
    assertLive();
    opts.signal?.throwIfAborted();
    // The cheap checks first, before any model work.
    const mode = typeof opts.mode === 'object' ? opts.mode : parseMode(opts.mode ?? 'sw');
    const tiling = resolveTiling({ tileSize: opts.tileSize, overlap: opts.overlap });
    checkImage(image);

    // Without an estimator, explicit modes still work (probabilities then read NaN: not estimated).
    const needsEstimate = estimator !== null || mode.kind === 'sw' || mode.kind === 'oh';
    const { probabilities, clean } = classes.length === 0 || !needsEstimate
      ? { probabilities: new Float32Array(classes.length).fill(Number.NaN), clean: Number.NaN }
      : splitEstimate(await estimate(image), classes.length);
    const weights = classes.length === 0 ? new Float32Array(0) : adapterWeightsFor(mode, probabilities, classes, manifest.swExponent);
    const weightFeeds: Record<string, OrtTensorLike> = {};
    for (const [name, merged] of mergeLora(lora, manifest, weights)) {
      weightFeeds[name] = new ort.Tensor('float32', merged, manifest.weightInputs.find((w) => w.name === name)!.shape);
    }

    const withMap = opts.map === true && segmentationClasses !== null;
    const { width, height } = image;
    const grid = planGrid(width, height, tiling);
    const src = { width, height, channels: 3, data: image.data };
    const restored = new Float32Array(width * height * 3);
    const map = withMap ? new Float32Array(width * height * 3) : null;
    let done = 0;
    for (let j = 0; j < grid.ys.length; j++) {
      for (let i = 0; i < grid.xs.length; i++) {
        opts.signal?.throwIfAborted();
        assertLive();
        const tx = grid.xs[i]!;
        const ty = grid.ys[j]!;
        const tile = await runTile(copyTile(src, tx, ty), tx.size, ty.size, weightFeeds, withMap);
        addWeightedTile(restored, width, 3, tile.pixels, tx, ty, grid.wxs[i]!, grid.wys[j]!);
        if (map) addWeightedTile(map, width, 3, tile.colours!, tx, ty, grid.wxs[i]!, grid.wys[j]!);
        done++;
        opts.onProgress?.(done, grid.total);
        await nextTurn();
      }
    }
    normaliseBlend(restored, grid, 3);
    if (map) normaliseBlend(map, grid, 3);
    const cleanShare = cleanShareFor(mode, probabilities, opts.keepClean ?? manifest.keepClean, manifest.swExponent, clean);
    pullTowardInput(restored, image.data, cleanShare);
    return {
      image: { width, height, data: restored },
      map: map ? { width, height, data: map } : null,
      probabilities,
      clean,
      weights,
      cleanShare,
      mode: formatMode(mode),
    };
  }

  return {
    classes,
    segmentationClasses,
    hasEstimator: estimator !== null,
    manifest,
    estimate(image) {
      // Through the queue too: one ONNX Runtime session must not run two graphs at once.
      const run = queue.then(() => estimate(image));
      queue = run.catch(() => undefined);
      return run;
    },
    restore(image, opts = {}) {
      const run = queue.then(() => restoreOne(image, opts));
      queue = run.catch(() => undefined);
      return run;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      await backbone.release();
      await estimator?.release();
    },
  };
}
