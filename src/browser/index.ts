/**
 * The browser API of abair (`import … from 'abair/browser'`): restoration with onnxruntime-web on
 * a folder written by `abair model export-web`. Nothing here imports Node APIs, tfjs, sharp or an
 * ONNX Runtime package; the caller passes its `ort` module in:
 *
 *   import * as ort from 'onnxruntime-web';
 *   const model = await loadWebModel((name) => fetch(`model/${name}`).then(async (r) => new Uint8Array(await r.arrayBuffer())));
 *   const restorer = await createBrowserRestorer(ort, model);
 *   const result = await restorer.restore(imageData, { mode: 'sw', map: true, tileSize: 256, onProgress, signal });
 *   ctx.putImageData(result.toImageData(), 0, 0); // result.probabilities, result.weights, result.map as in Node
 */
export {
  createBrowserRestorer,
  loadWebModel,
  type BrowserRestoreOptions,
  type BrowserRestorer,
  type BrowserRestorerOptions,
  type BrowserRestoreInput,
  type BrowserRestoreResult,
  type RgbaPixels,
  type ImageDataLike,
  loraFromManifest,
  type OrtLike,
  type OrtSessionLike,
  type OrtTensorLike,
  type WebModel,
  type WebModelReader,
} from './restorer.js';
export {
  parseWebManifest,
  WEB_MODEL_FILES,
  WEB_MODEL_FORMAT,
  WEB_MODEL_VERSION,
  type ByteRange,
  type WebAdapter,
  type WebAdapterLayer,
  type WebModelManifest,
  type WebModelProvenance,
  type WebWeightInput,
} from './manifest.js';
export { mergeLora, type LoraSet } from '../restore/lora-merge.js';
export type { PipelineOptions, PipelineResult } from '../restore/pipeline.js';
export { imageToRgba, rgbaToImage } from './pixels.js';
export { decodeImageBlob, type DecodeBlobOptions, type DecodedRgba } from './decode-blob.js';
export { CLEAN_COLOUR, classColour, uniformMapColour, type Colour } from '../restore/palette.js';
export { MODE_SYNTAX, formatMode, parseMode, formatProbabilities, type RestoreMode } from '../restore/modes.js';
export { countTiles, DEFAULT_OVERLAP, DEFAULT_TILE_SIZE, type Feather } from '../restore/tile-plan.js';
export { UsageError, UserError } from '../util/errors.js';
export type { RGBImage } from '../image/types.js';
