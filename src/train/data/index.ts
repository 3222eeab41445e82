/** The training data pipeline: image sources, batch builders, prefetching, validation sets. */
export { openImageFolders, type ImageSource } from './image-source.js';
export { openCheckedPairs, openPairFolders, pairsDigest, resolvePairFolders, splitPairs, type PairSource } from './pairs.js';
export { adapterBatch, estimatorBatch, pairsBatch, pretrainBatch, DEFAULT_CLEAN_FRACTION, MIXED_LABELS, type MixedLabels } from './batches.js';
export { Prefetcher } from './prefetcher.js';
export { validationSet } from './validation.js';
