/**
 * Image I/O for abair: the one module other code imports to read, write and convert images.
 * Reading lives in image-read.ts (sharp + a BMP fallback), writing in image-write.ts, tensor
 * conversion in image-tensor.ts; this file only gathers them.
 */
export { readImage, readImageInfo, ImageReadError, type ImageInfo, type LoadedImage, type ReadOptions } from './image-read.js';
export {
  encodeImage,
  encodeImageWithNotes,
  writeImage,
  formatFromPath,
  checkQuality,
  isLossy,
  DEFAULT_QUALITY,
  WRITABLE_EXTENSIONS,
  type EncodeOptions,
  type EncodedImage,
  type ImageFormat,
  type WriteResult,
} from './image-write.js';
export type { ImageMetadata } from './metadata.js';
export { imageToTensor, tensorToImage } from './image-tensor.js';
