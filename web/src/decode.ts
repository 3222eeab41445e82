/**
 * Decoding a picked or dropped file into RGBA bytes: the library's decodeImageBlob
 * (src/browser/decode-blob.ts: the browser's own decoders, EXIF orientation as displayed, the pixel
 * count checked from the header before decoding), with the app's limits on file size and pixels.
 */
import { decodeImageBlob } from '../../src/browser/decode-blob.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** width·height·4 bytes; alpha forced to 255 (the model restores colour only) */
  rgba: Uint8ClampedArray;
}

/**
 * Above this the worker's buffers (about 48 bytes per pixel: input, output and map as floats and
 * bytes) approach what a browser tab may allocate. The CLI has no such limit.
 */
export const MAX_PIXELS = 24_000_000;

/** Files above this are refused unread (a 24 MP image is far smaller in any format the app reads). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export async function decodeImageFile(file: Blob & { name?: string }): Promise<DecodedImage> {
  const name = file.name ? `'${file.name}'` : 'the file';
  if (file.size > MAX_FILE_BYTES) {
    throw new Error(`${name} is ${(file.size / 1e6).toFixed(0)} MB; the browser app takes files up to ${MAX_FILE_BYTES / 1024 / 1024} MB — use the command line (abair restore) for larger ones`);
  }
  try {
    const { width, height, data } = await decodeImageBlob(file, { name, maxPixels: MAX_PIXELS });
    return { width, height, rgba: data };
  } catch (err) {
    // the library's limit message, with where to go instead
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(/above the limit/.test(message) ? `${message}; the browser app takes up to ${MAX_PIXELS / 1e6} MP — use the command line (abair restore) for larger images` : message);
  }
}
