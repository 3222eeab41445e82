/**
 * The browser face of the restore pipeline: ONNX Runtime's JavaScript API (onnxruntime-web in a
 * page or Web Worker; onnxruntime-node has the same API and serves the Node tests) on a folder
 * written by `abair model export-web`. No tfjs, no Node APIs: the runtime module is passed in.
 *
 * Per image, the same pipeline as Node (src/restore/pipeline.ts, over the ONNX runner in
 * src/restore/onnx-runner.ts): estimate → blend weights → merge adapters → tiles → blend → keep
 * the input where clean, with the same options and result names. Here the map comes from the same
 * backbone run as the restored pixels (`seg_logits`), and the input may be an RGBImage, RGBA
 * pixels (ImageData) or a Blob; the result offers `toImageData()` for a canvas.
 */
import { UsageError, UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import type { LoraSet } from '../restore/lora-merge.js';
import { createOnnxRunner, type OnnxRunner, type OnnxSession, type OnnxTensor } from '../restore/onnx-runner.js';
import { probabilityRecord, splitEstimate } from '../restore/modes.js';
import { runPipeline, type PipelineOptions, type PipelineResult } from '../restore/pipeline.js';
import type { WebModelManifest } from './manifest.js';
import { decodeImageBlob } from './decode-blob.js';
import { imageToRgba, rgbaToImage } from './pixels.js';
import type { WebModel } from './web-model.js';

export { loadWebModel, type WebModel, type WebModelReader } from './web-model.js';

/** The part of an ONNX Runtime tensor the restorer uses. */
export type OrtTensorLike = OnnxTensor;

/** The part of an ONNX Runtime InferenceSession the restorer uses. */
export type OrtSessionLike = OnnxSession;

/** The part of an ONNX Runtime module (`import * as ort from 'onnxruntime-web'`) the restorer uses. */
export interface OrtLike {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}

/** The same options as Node's restore() (src/restore/pipeline.ts PipelineOptions). */
export type BrowserRestoreOptions = PipelineOptions;

/** RGBA pixels, e.g. an ImageData (data: width·height·4 bytes). */
export interface RgbaPixels {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/**
 * An RGBImage (interleaved RGB floats in [0,1]), RGBA bytes such as an ImageData (alpha is
 * dropped), or an encoded image as a Blob (a picked file, a fetch() blob; decoded by the browser).
 */
export type BrowserRestoreInput = RGBImage | RgbaPixels | Blob;

/** What toImageData returns: an ImageData, typed by its shape so that code built without the DOM typings compiles too. */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

export interface BrowserRestoreResult extends PipelineResult {
  /** the restored image as opaque RGBA bytes (for new ImageData(bytes, width, height)) */
  toRgba(): Uint8ClampedArray;
  /** the restored image as an ImageData, for a canvas (pages and workers; a UsageError where there is no ImageData) */
  toImageData(): ImageDataLike;
}

export interface BrowserRestorer {
  /** degradation classes (one adapter each), the order of probabilities and weights */
  readonly classes: readonly string[];
  /** the segmentation head's classes (the map's colours 1…S), or null when the model gives no map */
  readonly segmentationClasses: readonly string[] | null;
  /** false when the model has no estimator: only explicit modes (adapter:…, weights:…) work */
  readonly hasEstimator: boolean;
  readonly manifest: WebModelManifest;
  /** the estimator's probabilities for the whole image, as in a restore result ({} when the model has no classes) */
  estimate(input: BrowserRestoreInput): Promise<Record<string, number>>;
  restore(input: BrowserRestoreInput, options?: BrowserRestoreOptions): Promise<BrowserRestoreResult>;
  /** releases the ONNX Runtime sessions; the restorer cannot be used afterwards */
  dispose(): Promise<void>;
}

export interface BrowserRestorerOptions {
  /** passed to InferenceSession.create for both graphs (e.g. { executionProviders: ['wasm'] }) */
  sessionOptions?: object;
}

async function toImage(input: BrowserRestoreInput): Promise<RGBImage> {
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const decoded = await decodeImageBlob(input, { name: (input as { name?: string }).name ? `'${(input as { name?: string }).name}'` : 'the image' });
    return rgbaToImage(decoded.data, decoded.width, decoded.height);
  }
  const { width, height, data } = (input ?? {}) as { width?: number; height?: number; data?: unknown };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 1 || height! < 1) {
    throw new UsageError(`image size must be positive integers, got ${String(width)}×${String(height)}`);
  }
  if ((data instanceof Uint8ClampedArray || data instanceof Uint8Array) && data.length === width! * height! * 4) return rgbaToImage(data, width!, height!);
  if (!(data instanceof Float32Array) || data.length !== width! * height! * 3) {
    throw new UsageError(`image data must be a Float32Array of ${width}×${height}×3 values (interleaved RGB in [0,1]) or ${width}×${height}×4 RGBA bytes`);
  }
  return input as RGBImage;
}

/** A web model's LoRA set, read from lora.bin (as float32 values) through the manifest's byte ranges. */
export function loraFromManifest(lora: Float32Array, manifest: Pick<WebModelManifest, 'weightInputs' | 'adapters'>): LoraSet {
  const floats = (range: { byteOffset: number; byteLength: number }) => lora.subarray(range.byteOffset / 4, (range.byteOffset + range.byteLength) / 4);
  return {
    scales: manifest.adapters.map((a) => a.scale),
    inputs: manifest.weightInputs.map((input) => ({
      name: input.name,
      shape: input.shape,
      base: floats(input),
      factors: manifest.adapters.map((adapter) => {
        const layer = adapter.layers.find((l) => l.input === input.name);
        return layer ? { rank: layer.rank, a: floats(layer.a), b: floats(layer.b) } : null;
      }),
    })),
  };
}

export async function createBrowserRestorer(ort: OrtLike, model: WebModel, options: BrowserRestorerOptions = {}): Promise<BrowserRestorer> {
  const { manifest, lora } = model;
  const { classes, segmentationClasses } = manifest;
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

  const runner: OnnxRunner = createOnnxRunner(
    {
      classes,
      estimatorInputSize: manifest.estimatorInputSize,
      cleanOutput: manifest.cleanOutput,
      cleanGate: manifest.cleanGate,
      swExponent: manifest.swExponent,
      keepClean: manifest.keepClean,
      padMultiple: manifest.padMultiple,
      lora: loraFromManifest(lora, manifest),
      // the map is over the head's own classes (the app's legend names them)
      segmentation: segmentationClasses ? { fromRestoreGraph: true, mapping: null } : null,
      noEstimator: () =>
        new UserError(`this model has no estimator, so modes sw and oh are not available: use adapter:<name> or weights:<name>=<w>,… (adapters: ${classes.join(', ')})`),
    },
    { restore: backbone, estimate: estimator },
    (data, dims) => new ort.Tensor('float32', data, dims),
  );

  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  async function restoreOne(input: BrowserRestoreInput, opts: BrowserRestoreOptions | undefined): Promise<BrowserRestoreResult> {
    if (disposed) throw new Error('this restorer has been disposed');
    const result = await runPipeline(runner, await toImage(input), opts);
    return {
      ...result,
      toRgba: () => imageToRgba(result.image),
      toImageData: () => {
        const ImageDataClass = (globalThis as { ImageData?: new (data: Uint8ClampedArray, width: number, height: number) => ImageDataLike }).ImageData;
        if (!ImageDataClass) throw new UsageError('toImageData() needs ImageData (a page or worker); use toRgba() here');
        return new ImageDataClass(imageToRgba(result.image), result.image.width, result.image.height);
      },
    };
  }

  return {
    classes,
    segmentationClasses,
    hasEstimator: estimator !== null,
    manifest,
    estimate(input) {
      // Through the queue too: one ONNX Runtime session must not run two graphs at once.
      const run = queue.then(async () => {
        if (disposed) throw new Error('this restorer has been disposed');
        const { probabilities, clean } = splitEstimate(await runner.estimate(await toImage(input)), classes.length);
        return probabilityRecord(probabilities, classes, clean);
      });
      queue = run.catch(() => undefined);
      return run;
    },
    restore(input, opts) {
      const run = queue.then(() => restoreOne(input, opts));
      queue = run.catch(() => undefined);
      return run;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      await runner.dispose();
    },
  };
}
