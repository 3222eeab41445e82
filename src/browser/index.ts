/**
 * The browser API of abair (`import … from 'abair/browser'`): restoration with onnxruntime-web on
 * a folder written by `abair model export-web`. Nothing here imports Node APIs, tfjs, sharp or an
 * ONNX Runtime package; the caller passes its `ort` module in:
 *
 *   import * as ort from 'onnxruntime-web';
 *   const model = await loadWebModel((name) => fetch(`model/${name}`).then(async (r) => new Uint8Array(await r.arrayBuffer())));
 *   const restorer = await createBrowserRestorer(ort, model);
 *   const { image, map, probabilities } = await restorer.restore(rgbImage, { mode: 'sw', map: true, tileSize: 256 });
 */
export {
  createBrowserRestorer,
  loadWebModel,
  type BrowserRestoreOptions,
  type BrowserRestorer,
  type BrowserRestorerOptions,
  type BrowserRestoreResult,
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
export { mergeLora } from './lora-merge.js';
export { imageToRgba, rgbaToImage } from './pixels.js';
export { CLEAN_COLOUR, classColour, uniformMapColour, type Colour } from '../restore/palette.js';
export { MODE_SYNTAX, formatMode, parseMode, formatProbabilities, type RestoreMode } from '../restore/modes.js';
export { countTiles, DEFAULT_OVERLAP, DEFAULT_TILE_SIZE } from '../restore/tile-plan.js';
export { UsageError, UserError } from '../util/errors.js';
export type { RGBImage } from '../image/types.js';
