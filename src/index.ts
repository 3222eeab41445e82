/**
 * Public library API of abair: restoring (on ONNX Runtime), degradations, metrics, image and
 * weight-file I/O. Nothing here loads TensorFlow.js or names its types; training is the CLI's
 * (`abair train`, `abair add-degradation`, on ONNX Runtime too).
 */
export {
  createRestorer,
  type Restorer,
  type RestorerOptions,
  type RestoreOptions,
  type RestoreResult,
  type RestoreInput,
  type RawPixels,
  type ToBufferOptions,
} from './restore/restorer.js';
export type { PipelineOptions, PipelineResult } from './restore/pipeline.js';
export type { ModelRunner, TileResult } from './restore/model-runner.js';
export type { OrtRuntime } from './ort/runtime.js';
export { parseMode, adapterWeightsFor, type RestoreMode } from './restore/modes.js';
export { psnr, ssim, toY, centerCropToMultiple, type MetricOptions, type MetricSpace, type SsimWindow } from './metrics/index.js';
export {
  readImage,
  writeImage,
  encodeImage,
  encodeImageWithNotes,
  type LoadedImage,
  type ImageInfo,
  type ImageMetadata,
  type ImageFormat,
  type EncodeOptions,
  type EncodedImage,
} from './io/image-io.js';
export { encodeSafetensors, decodeSafetensors, loadSafetensors, saveSafetensors } from './io/safetensors.js';
export type { RGBImage } from './image/types.js';
export { Rng } from './util/rng.js';
export {
  DEGRADATIONS,
  DEGRADATION_NAMES,
  getDegradation,
  applyDegradation,
  applyDegradations,
  parseDegradationSpec,
  registerDegradation,
  allDegradationNames,
} from './degrade/registry.js';
export { fromDefinition, loadGenerator, checkGenerator, validateDegradationName } from './degrade/custom.js';
export { degradationCutMix, sampleSingle, sampleMixed, type LabelledSample } from './degrade/cutmix.js';
export type { BuiltinDegradationName, Degradation, DegradationDefinition, DegradationName, DegradationParams, DefinitionResult } from './degrade/types.js';
