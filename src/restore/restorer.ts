/**
 * The Node face of the restore pipeline: `createRestorer()` → `restore(input)`.
 *
 * Per image: decode (file path, URL, encoded bytes, Blob, or raw RGB/RGBA pixels: decode-input.ts)
 * → the one pipeline (pipeline.ts: estimate, blend weights, merge adapters, tiles, blend, keep the
 * input where clean) → alpha re-attached untouched, metadata kept for `toBuffer`. Memory: the
 * decoded input and the output are each H·W·3 float32 (600 MB apiece for 50 MP), the tiler adds
 * only per-tile arrays and W + H weight sums; a map adds one more H·W·3 colour image.
 *
 * The model runner is loaded lazily on first use (or by `load()`), and calls to `restore` on one
 * restorer run one at a time, since `prepare` sets per-image state inside the runner.
 */
import type { RGBImage } from '../image/types.js';
import { encodeImage, type ImageFormat, type ImageInfo, type ImageMetadata } from '../io/image-io.js';
import type { OrtRuntime } from '../ort/runtime.js';
import { UsageError } from '../util/errors.js';
import { checkRestoreInput, decodeRestoreInput, type RestoreInput } from './decode-input.js';
import type { ModelRunner } from './model-runner.js';
import { loadDefaultRunner, loadRunnerFromFile } from './default-model.js';
import { resolvePipelineOptions, runPipeline, type PipelineOptions, type PipelineResult } from './pipeline.js';

export type { RawPixels, RestoreInput } from './decode-input.js';

export interface RestorerOptions {
  /** use this model runner (the caller keeps ownership: dispose() leaves it alone) */
  runner?: ModelRunner;
  /** load the model from this folder (or a weights file in it) instead of the shipped default */
  weights?: string;
  /**
   * the ONNX Runtime package: 'node' (onnxruntime-node), 'wasm' (onnxruntime-web's WebAssembly
   * build); default onnxruntime-node, else wasm with a note on stderr (like `abair restore --runtime`)
   */
  runtime?: OrtRuntime;
}

export interface RestoreOptions extends PipelineOptions {
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

export interface RestoreResult extends PipelineResult {
  /** the input's alpha (H·W in [0,1]), untouched, or null */
  alpha: Float32Array | null;
  /** the decoded input, for comparisons and the explain sheet */
  input: RGBImage;
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
  /** load (or return) the model runner; rejects with the loader's UserError when no model is available */
  load(): Promise<ModelRunner>;
  restore(input: RestoreInput, options?: RestoreOptions): Promise<RestoreResult>;
  /** dispose the runner if this restorer loaded it */
  dispose(): void;
}

export function createRestorer(options: RestorerOptions = {}): Restorer {
  let runnerPromise: Promise<ModelRunner> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const owned = !options.runner;

  function load(): Promise<ModelRunner> {
    if (disposed) return Promise.reject(new Error('this restorer has been disposed'));
    if (options.runner) return Promise.resolve(options.runner);
    const loadOptions = options.runtime ? { runtime: options.runtime } : {};
    runnerPromise ??= options.weights ? loadRunnerFromFile(options.weights, loadOptions) : loadDefaultRunner(loadOptions);
    runnerPromise.catch(() => (runnerPromise = null)); // a failed load may be retried
    return runnerPromise;
  }

  async function restoreOne(input: RestoreInput, opts: RestoreOptions | undefined): Promise<RestoreResult> {
    // Check the cheap things before decoding or loading anything.
    const { options: o } = resolvePipelineOptions(opts);
    const ro = o as RestoreOptions;
    ro.signal?.throwIfAborted();
    const maxPixels = ro.maxPixels;
    if (maxPixels !== undefined && !(Number.isFinite(maxPixels) && maxPixels >= 1)) throw new UsageError(`restore() option maxPixels must be a positive number, got ${String(maxPixels)}`);
    checkRestoreInput(input, maxPixels); // a wrong argument is refused before a model is loaded
    const runner = await load();
    const keepMetadata = ro.keepMetadata ?? true;
    const decoded = await decodeRestoreInput(input, { maxPixels, maxBytes: ro.maxBytes, signal: ro.signal, keepProfile: keepMetadata });
    const { image, alpha } = decoded;
    const bitDepth: 8 | 16 = decoded.info?.bitDepth === 16 ? 16 : 8;
    const metadata: ImageMetadata = keepMetadata ? decoded.metadata : {};
    const result = await runPipeline(runner, image, ro, decoded.name);
    const restored = result.image;
    return {
      ...result,
      alpha,
      input: image,
      bitDepth,
      metadata,
      inputInfo: decoded.info,
      notes: decoded.notes,
      toBuffer: (format, toBufferOptions = {}) =>
        encodeImage(restored, { format: format === 'jpg' ? 'jpeg' : format === 'tif' ? 'tiff' : format, alpha, bitDepth, metadata, ...toBufferOptions }),
    };
  }

  return {
    load,
    restore(input, opts) {
      const run = queue.then(() => restoreOne(input, opts));
      queue = run.catch(() => undefined);
      return run;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (owned && runnerPromise) runnerPromise.then((runner) => runner.dispose(), () => undefined);
    },
  };
}
