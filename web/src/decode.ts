/**
 * Decoding a picked or dropped file into RGBA bytes with the browser's own decoders, so every
 * format the browser reads works (PNG, JPEG, WebP, AVIF, GIF's first frame, BMP…). The EXIF
 * orientation is applied as the browser applies it when displaying the image, so the restored
 * image is upright like the preview.
 *
 * The file size and, for PNG/JPEG/WebP/GIF/BMP, the pixel count (read from the header) are checked
 * before the browser decodes anything, so an oversized picture is refused without first
 * allocating its full decode; other formats are checked right after decoding.
 */
import { probeImageSize } from '../../src/browser/image-size.js';

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

/** How much of the file is read to find the size in its header (JPEG metadata can come first). */
const HEADER_BYTES = 1024 * 1024;

function tooManyPixels(name: string, width: number, height: number): Error {
  return new Error(`${name} is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the browser app takes up to ${MAX_PIXELS / 1e6} MP — use the command line (abair restore) for larger images`);
}

function drawingContext(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  const options: CanvasRenderingContext2DSettings = { willReadFrequently: true };
  if (typeof OffscreenCanvas !== 'undefined') {
    const context = new OffscreenCanvas(width, height).getContext('2d', options);
    if (context) return context;
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', options);
  if (!context) throw new Error('this browser cannot create a 2D canvas');
  return context;
}

export async function decodeImageFile(file: Blob & { name?: string }): Promise<DecodedImage> {
  const name = file.name ? `'${file.name}'` : 'the file';
  if (file.type && !file.type.startsWith('image/')) throw new Error(`${name} is not an image (${file.type})`);
  if (file.size === 0) throw new Error(`${name} is empty (0 bytes)`);
  if (file.size > MAX_FILE_BYTES) {
    throw new Error(`${name} is ${(file.size / 1e6).toFixed(0)} MB; the browser app takes files up to ${MAX_FILE_BYTES / 1024 / 1024} MB — use the command line (abair restore) for larger ones`);
  }
  const probed = probeImageSize(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
  if (probed && probed.width * probed.height > MAX_PIXELS) throw tooManyPixels(name, probed.width, probed.height);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`cannot decode ${name}: it is not an image format this browser can read`);
  }
  try {
    const { width, height } = bitmap;
    if (width === 0 || height === 0) throw new Error(`${name} is empty (${width}×${height})`);
    if (width * height > MAX_PIXELS) throw tooManyPixels(name, width, height);
    const context = drawingContext(width, height);
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
    return { width, height, rgba };
  } finally {
    bitmap.close();
  }
}
