/** The training data pipeline: image sources, batch builders, prefetching, validation sets. */
export { imageSourceFromFiles, imageSourceFromImages, listImages, openImageFolders, type ImageFolderOptions, type ImageSource, type ListedImage } from './image-source.js';
export { openCheckedPairs, openPairFolders, pairSourceFromImages, pairsDigest, resolvePairFolders, splitPairs, subsetPairs, type PairSource } from './pairs.js';
export { splitByPathHash, pathHashUnit, type Split } from './holdout.js';
export { decodeUint8, toFloatImage, toUint8Image, type Uint8Image } from './raw-image.js';
export { extractPatch, planCrop, type CropPlan, type RescalePolicy } from './patch.js';
export {
  adapterBatch,
  estimatorBatch,
  pairsBatch,
  pretrainBatch,
  DEFAULT_CLEAN_FRACTION,
  DEGRADE_STREAM,
  PRETRAIN_MIX,
  MIXED_LABELS,
  type MixedLabels,
  type AdapterOptions,
  type EstimatorOptions,
  type PatchOptions,
  type PretrainOptions,
} from './batches.js';
export { Prefetcher } from './prefetcher.js';
export { validationSet, type ValidationOptions } from './validation.js';
