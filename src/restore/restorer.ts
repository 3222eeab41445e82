/**
 * The library entry point: `createRestorer()` → `restore(image)`.
 *
 * Pipeline per image: decode (file path, encoded bytes, or raw RGB/RGBA pixels) → estimator on
 * the whole image (a grid of native-resolution crops) → adapter weights by mode → engine.prepare → tiled restoration with feathered
 * blending → alpha re-attached untouched. Memory: the decoded input and the output are each
 * H·W·3 float32 (600 MB apiece for 50 MP), the tiler adds only per-tile tensors and W + H weight
 * sums; --explain adds one more H·W·3 colour map.
 *
 * The engine is loaded lazily on first use (or by `load()`), and calls to `restore` on one
 * restorer run one at a time, since `prepare` sets per-image state inside the engine.
 */
import type { BackendName } from '../tfjs/backend-name.js';
import type { RGBImage } from '../image/types.js';
import { encodeImage, type ImageFormat, type ImageInfo, type ImageMetadata } from '../io/image-io.js';
import { UsageError, UserError } from '../util/errors.js';
import { checkRestoreInput, decodeRestoreInput, type RestoreInput } from './decode-input.js';
import type { RestorationEngine } from './engine.js';
import { loadDefaultEngine, loadEngineFromFile, type EngineRuntime } from './default-model.js';
import { adapterWeightsFor, byClass, cleanShareFor, parseMode, probabilityRecord, splitEstimate, type RestoreMode } from './modes.js';
import { pullTowardInput } from '../model/soft-weights.js';
import { countTiles, resolveTiling, restoreTiled, type TilingOptions } from './tiling.js';
import { segmentationColourFn } from './explain.js';

export type { RawPixels, RestoreInput } from './decode-input.js';
export { fromRawPixels } from './decode-input.js';

export interface RestorerOptions {
  /** use this engine (the caller keeps ownership: dispose() leaves it alone) */
  engine?: RestorationEngine;
  /** load the model from this weights file instead of the shipped default */
  weights?: string;
  /** TensorFlow.js backend to initialise, for runtime 'tfjs' (default 'wasm'); restoring on ONNX Runtime loads no tfjs */
  backend?: BackendName;
  /**
   * run the model with ONNX Runtime ('onnx', default: 2.7–2.9× faster than tfjs here, same outputs
   * within 1e-4; onnxruntime-node, or onnxruntime-web's wasm build with a note on stderr when the
   * native package is not installed) or TensorFlow.js ('tfjs'), like `abair restore --engine`
   */
  runtime?: EngineRuntime;
}

export interface RestoreOptions extends Pick<TilingOptions, 'feather' | 'margin'> {
  /** 'sw' (default) | 'oh' | 'adapter:<name>' | 'weights:<name>=<w>,…', or a parsed mode */
  mode?: string | RestoreMode;
  /**
   * sw only: pull the restoration back toward the input by the estimated chance that nothing is
   * wrong (RestoreResult.cleanShare), so clean photos are left nearly alone. Default: the model's
   * setting (`abair model set-blend --keep-clean`).
   */
  keepClean?: boolean;
  /** default 512 */
  tileSize?: number;
  /** default 32 */
  overlap?: number;
  /** tiles done / total (the degradation map's tiles count too when `explain` is set) */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** also compute the per-pixel degradation colour map (needs engine.segmentTile) */
  explain?: boolean;
  /** refuse inputs larger than this many pixels, whatever their kind (default: readImage's, 100 MP) */
  maxPixels?: number;
  /**
   * keep the input's EXIF, ICC profile and XMP for the output (RestoreResult.metadata), with an
   * RGB image's colours left in its own profile (default true); false converts to sRGB and drops them
   */
  keepMetadata?: boolean;
  /** refuse downloads (URL inputs) and Blobs larger than this many bytes (default 512 MiB) */
  maxBytes?: number;
}

export interface ToBufferOptions {
  /** JPEG/WebP/AVIF quality 1-100 (default 95) */
  quality?: number;
  /** drop the input's metadata (colours converted to sRGB) */
  strip?: boolean;
}

export interface RestoreResult {
  image: RGBImage;
  /** the input's alpha (H·W in [0,1]), untouched, or null */
  alpha: Float32Array | null;
  /** the decoded input, for comparisons and the explain sheet */
  input: RGBImage;
  probabilities: Record<string, number>;
  adapterWeights: Record<string, number>;
  /** the share of the input kept (sw with keep-clean: the estimated chance nothing is wrong, as a blend weight); 0 otherwise */
  cleanShare: number;
  /** per-pixel colour map (explain.ts palette) when `explain` was asked and the engine can segment; else null */
  degradationMap: RGBImage | null;
  /** the input's bit depth (16 for 16-bit files: PNG and TIFF outputs keep it) */
  bitDepth: 8 | 16;
  /** the input's EXIF (orientation reset to 1: the pixels are upright), ICC profile and XMP */
  metadata: ImageMetadata;
  /** the decoded file's header facts (bit depth, format, frames, …); null for raw pixels */
  inputInfo: ImageInfo | null;
  /** one line each for what the caller should know, e.g. that only the first frame of an animation was restored */
  notes: string[];
  /** the result encoded with the input's bit depth and metadata */
  toBuffer(format: ImageFormat | 'jpg' | 'tif', options?: ToBufferOptions): Promise<Buffer>;
}

export interface Restorer {
  /** load (or return) the engine; rejects with the loader's UserError when no model is available */
  load(): Promise<RestorationEngine>;
  restore(input: RestoreInput, options?: RestoreOptions): Promise<RestoreResult>;
  /** dispose the engine if this restorer loaded it */
  dispose(): void;
}

/** Index of the first NaN or ±Inf value, or -1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

function checkOptions(opts: unknown): RestoreOptions {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) throw new UsageError(`restore() options must be an object, got ${Array.isArray(opts) ? 'an array' : typeof opts}`);
  const o = opts as RestoreOptions;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new UsageError('restore() option signal must be an AbortSignal');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new UsageError('restore() option onProgress must be a function');
  return o;
}

export function createRestorer(options: RestorerOptions = {}): Restorer {
  let enginePromise: Promise<RestorationEngine> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const owned = !options.engine;

  async function loadEngine(): Promise<RestorationEngine> {
    if (options.engine) {
      // An injected engine brings its own runtime; a tfjs one may still want its backend set here.
      if (options.backend) await (await import('../tfjs/backend.js')).initEngine({ backend: options.backend });
      return options.engine;
    }
    const load = { backend: options.backend, runtime: options.runtime ?? 'onnx' };
    return options.weights ? loadEngineFromFile(options.weights, load) : loadDefaultEngine(load);
  }

  function load(): Promise<RestorationEngine> {
    if (disposed) return Promise.reject(new Error('this restorer has been disposed'));
    enginePromise ??= loadEngine();
    enginePromise.catch(() => (enginePromise = null)); // a failed load may be retried
    return enginePromise;
  }

  async function restoreOne(input: RestoreInput, opts: RestoreOptions): Promise<RestoreResult> {
    opts = checkOptions(opts);
    opts.signal?.throwIfAborted();
    // Check the cheap things before decoding or loading anything.
    const mode = typeof opts.mode === 'object' ? opts.mode : parseMode(opts.mode ?? 'sw');
    const tiling: TilingOptions = { ...resolveTiling({ tileSize: opts.tileSize, overlap: opts.overlap, margin: opts.margin, feather: opts.feather }) };
    const maxPixels = opts.maxPixels;
    if (maxPixels !== undefined && !(Number.isFinite(maxPixels) && maxPixels >= 1)) throw new UsageError(`restore() option maxPixels must be a positive number, got ${String(maxPixels)}`);
    checkRestoreInput(input, maxPixels); // a wrong argument is refused before a model is loaded
    const engine = await load();
    const keepMetadata = opts.keepMetadata ?? true;
    const decoded = await decodeRestoreInput(input, { maxPixels: opts.maxPixels, maxBytes: opts.maxBytes, signal: opts.signal, keepProfile: keepMetadata });
    const { image, alpha } = decoded;
    const bitDepth: 8 | 16 = decoded.info?.bitDepth === 16 ? 16 : 8;
    const metadata: ImageMetadata = keepMetadata ? decoded.metadata : {};
    opts.signal?.throwIfAborted();

    const classes = engine.classes;
    // An engine without an estimator still serves explicit modes (probabilities then read NaN:
    // not estimated); one without adapters (backbone only) restores with its base weights whatever the mode.
    const needsEstimate = engine.hasEstimator !== false || mode.kind === 'sw' || mode.kind === 'oh';
    const estimated = classes.length === 0 || !needsEstimate ? null : await engine.estimate(image);
    // NaN estimates would blend as uniform weights and be reported as if they were real.
    if (estimated && firstNonFinite(estimated) >= 0) {
      throw new UserError(`${decoded.name}: the estimator returned non-finite probabilities (NaN/Inf): its weights are damaged`);
    }
    const { probabilities, clean } = estimated
      ? splitEstimate(estimated, classes.length)
      : { probabilities: new Float32Array(classes.length).fill(Number.NaN), clean: Number.NaN };
    opts.signal?.throwIfAborted();
    const weights = classes.length === 0 ? new Float32Array(0) : adapterWeightsFor(mode, probabilities, classes, engine.swExponent);
    await engine.prepare(weights);
    opts.signal?.throwIfAborted();

    const segment = opts.explain && engine.segmentTile ? engine.segmentTile.bind(engine) : null;
    const tiles = countTiles(image.width, image.height, tiling);
    const total = segment ? 2 * tiles : tiles;
    const restored = await restoreTiled(image, (tile) => engine.restoreTile(tile), {
      ...tiling,
      signal: opts.signal,
      // an engine that can run a tile asynchronously lets an abort through in the middle of one
      ...(engine.restoreTileAsync ? { runAsync: engine.restoreTileAsync.bind(engine) } : {}),
      onProgress: opts.onProgress && ((done) => opts.onProgress!(done, total)),
    });
    // A NaN or Inf weight turns the whole output into NaN, which would be written as black.
    const bad = firstNonFinite(restored.data);
    if (bad >= 0) {
      const pixel = Math.floor(bad / 3);
      throw new UserError(`${decoded.name}: the model produced non-finite values (NaN/Inf; first at pixel ${pixel % image.width},${Math.floor(pixel / image.width)}): its weights are damaged`);
    }
    const cleanShare = cleanShareFor(mode, probabilities, opts.keepClean ?? engine.keepClean ?? false, engine.swExponent, clean);
    pullTowardInput(restored.data, image.data, cleanShare);
    const degradationMap = segment
      ? await restoreTiled(image, segmentationColourFn(segment, classes.length), {
          ...tiling,
          signal: opts.signal,
          onProgress: opts.onProgress && ((done) => opts.onProgress!(tiles + done, total)),
        })
      : null;

    return {
      image: restored,
      alpha,
      input: image,
      probabilities: probabilityRecord(probabilities, classes, clean),
      adapterWeights: byClass(weights, classes),
      cleanShare,
      degradationMap,
      bitDepth,
      metadata,
      inputInfo: decoded.info,
      notes: decoded.notes,
      toBuffer: (format, options = {}) =>
        encodeImage(restored, { format: format === 'jpg' ? 'jpeg' : format === 'tif' ? 'tiff' : format, alpha, bitDepth, metadata, ...options }),
    };
  }

  return {
    load,
    restore(input, opts = {}) {
      const run = queue.then(() => restoreOne(input, opts));
      queue = run.catch(() => undefined);
      return run;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (owned && enginePromise) enginePromise.then((engine) => engine.dispose(), () => undefined);
    },
  };
}
