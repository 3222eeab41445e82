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
import type { BackendName } from '../engine/backend-name.js';
import type { RGBImage } from '../image/types.js';
import { encodeImage, readImage, type ImageFormat } from '../io/image-io.js';
import { UsageError } from '../util/errors.js';
import type { RestorationEngine } from './engine.js';
import { loadDefaultEngine, loadEngineFromFile, type EngineRuntime } from './default-model.js';
import { adapterWeightsFor, byClass, cleanShareFor, parseMode, type RestoreMode } from './modes.js';
import { pullTowardInput } from '../model/soft-weights.js';
import { countTiles, resolveTiling, restoreTiled, type TilingOptions } from './tiling.js';
import { segmentationColourFn } from './explain.js';

/** Raw pixels, like ImageData: interleaved RGB or RGBA bytes. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

export type RestoreInput = string | Uint8Array | RawPixels;

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
  /** refuse decoded inputs larger than this many pixels (default: readImage's, 100 MP) */
  maxPixels?: number;
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
  toBuffer(format: ImageFormat | 'jpg'): Promise<Buffer>;
}

export interface Restorer {
  /** load (or return) the engine; rejects with the loader's UserError when no model is available */
  load(): Promise<RestorationEngine>;
  restore(input: RestoreInput, options?: RestoreOptions): Promise<RestoreResult>;
  /** dispose the engine if this restorer loaded it */
  dispose(): void;
}

function isRawPixels(input: RestoreInput): input is RawPixels {
  return typeof input === 'object' && !(input instanceof Uint8Array) && 'data' in input;
}

/** Raw RGB/RGBA bytes → RGBImage + alpha. */
export function fromRawPixels(raw: RawPixels): { image: RGBImage; alpha: Float32Array | null } {
  const { width, height, channels, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new UsageError(`raw image size must be positive integers, got ${width}×${height}`);
  if (channels !== 3 && channels !== 4) throw new UsageError(`raw images must have 3 (RGB) or 4 (RGBA) channels, got ${String(channels)}`);
  if (data.length !== width * height * channels) throw new UsageError(`raw image data has ${data.length} bytes, expected ${width}×${height}×${channels}`);
  const rgb = new Float32Array(width * height * 3);
  const alpha = channels === 4 ? new Float32Array(width * height) : null;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * channels + c]! / 255;
    if (alpha) alpha[p] = data[p * 4 + 3]! / 255;
  }
  return { image: { width, height, data: rgb }, alpha };
}

export function createRestorer(options: RestorerOptions = {}): Restorer {
  let enginePromise: Promise<RestorationEngine> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const owned = !options.engine;

  async function loadEngine(): Promise<RestorationEngine> {
    if (options.engine) {
      // An injected engine brings its own runtime; a tfjs one may still want its backend set here.
      if (options.backend) await (await import('../engine/backend.js')).initEngine({ backend: options.backend });
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
    opts.signal?.throwIfAborted();
    // Check the cheap things before decoding or loading anything.
    const mode = typeof opts.mode === 'object' ? opts.mode : parseMode(opts.mode ?? 'sw');
    const tiling: TilingOptions = { ...resolveTiling({ tileSize: opts.tileSize, overlap: opts.overlap, margin: opts.margin, feather: opts.feather }) };
    const engine = await load();
    const decoded = isRawPixels(input) ? fromRawPixels(input) : await readImage(input, { maxPixels: opts.maxPixels });
    const { image, alpha } = decoded;
    opts.signal?.throwIfAborted();

    const classes = engine.classes;
    // An engine without an estimator still serves explicit modes (probabilities then read NaN:
    // not estimated); one without adapters (backbone only) restores with its base weights whatever the mode.
    const needsEstimate = engine.hasEstimator !== false || mode.kind === 'sw' || mode.kind === 'oh';
    const probabilities = classes.length === 0 || !needsEstimate ? new Float32Array(classes.length).fill(Number.NaN) : await engine.estimate(image);
    const weights = classes.length === 0 ? new Float32Array(0) : adapterWeightsFor(mode, probabilities, classes, engine.swExponent);
    await engine.prepare(weights);

    const segment = opts.explain && engine.segmentTile ? engine.segmentTile.bind(engine) : null;
    const tiles = countTiles(image.width, image.height, tiling);
    const total = segment ? 2 * tiles : tiles;
    const restored = await restoreTiled(image, (tile) => engine.restoreTile(tile), {
      ...tiling,
      signal: opts.signal,
      onProgress: opts.onProgress && ((done) => opts.onProgress!(done, total)),
    });
    const cleanShare = cleanShareFor(mode, probabilities, opts.keepClean ?? engine.keepClean ?? false, engine.swExponent);
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
      probabilities: byClass(probabilities, classes),
      adapterWeights: byClass(weights, classes),
      cleanShare,
      degradationMap,
      toBuffer: (format) => encodeImage(restored, { format: format === 'jpg' ? 'jpeg' : format, alpha }),
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
