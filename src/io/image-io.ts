/**
 * Image I/O for abair: the one module other code imports to read, write and convert images.
 * Reading lives in image-read.ts (sharp + a BMP fallback), writing in image-write.ts; this file
 * only gathers them. Tensor conversion (image-tensor.ts) is imported from there: it loads tfjs,
 * which image I/O and restoring must not.
 */
export { readImage, readImageInfo, ImageReadError, type ImageInfo, type LoadedImage } from './image-read.js';
export {
  encodeImage,
  encodeImageWithNotes,
  writeImage,
  formatFromPath,
  isLossy,
  WRITABLE_EXTENSIONS,
  type EncodeOptions,
  type EncodedImage,
  type ImageFormat,
} from './image-write.js';
export type { ImageMetadata } from './metadata.js';
