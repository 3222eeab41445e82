/**
 * A Blob (a picked file, a fetch() response's blob()) → RGBA bytes, with the browser's own decoders
 * (createImageBitmap), so every format the browser reads works; the EXIF orientation is applied as
 * the browser shows the image. The pixel count is read from the header first where the format
 * allows (image-size.ts), so an oversized picture is refused before its full decode.
 *
 * The DOM is reached through globalThis with structural types: the library compiles without the
 * DOM typings, and where there is no createImageBitmap (Node) the error says what to pass instead.
 */
import { UsageError, UserError } from '../util/errors.js';
import { probeImageSize } from './image-size.js';

export interface DecodedRgba {
  width: number;
  height: number;
  /** width·height·4 bytes; alpha forced to 255 (the model restores colour only) */
  data: Uint8ClampedArray;
}

interface BitmapLike {
  readonly width: number;
  readonly height: number;
  close(): void;
}
interface ContextLike {
  drawImage(image: BitmapLike, x: number, y: number): void;
  getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d', options?: object): ContextLike | null;
}
interface BrowserGlobals {
  createImageBitmap?: (blob: Blob, options?: object) => Promise<BitmapLike>;
  OffscreenCanvas?: new (width: number, height: number) => CanvasLike;
  document?: { createElement(tag: 'canvas'): CanvasLike };
}

/** How much of the blob is read to find the size in its header (JPEG metadata can come first). */
const HEADER_BYTES = 1024 * 1024;

function context2d(g: BrowserGlobals, width: number, height: number): ContextLike {
  const options = { willReadFrequently: true };
  const canvas = g.OffscreenCanvas ? new g.OffscreenCanvas(width, height) : g.document?.createElement('canvas');
  if (canvas && !g.OffscreenCanvas) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas?.getContext('2d', options);
  if (!context) throw new UserError('this browser cannot create a 2D canvas to read the image');
  return context;
}

export interface DecodeBlobOptions {
  /** Refuse images above this many pixels (default: no limit). */
  maxPixels?: number;
  /** The name errors use (default: "the image"). */
  name?: string;
}

export async function decodeImageBlob(blob: Blob, options: DecodeBlobOptions = {}): Promise<DecodedRgba> {
  const g = globalThis as BrowserGlobals;
  const name = options.name ?? 'the image';
  if (!g.createImageBitmap) throw new UsageError('decoding a Blob needs createImageBitmap (a browser page or worker); pass ImageData or RGB pixels instead');
  if (blob.type && !blob.type.startsWith('image/')) throw new UserError(`${name} is not an image (${blob.type})`);
  if (blob.size === 0) throw new UserError(`${name} is empty (0 bytes)`);
  const max = options.maxPixels ?? Infinity;
  const tooMany = (w: number, h: number) => new UserError(`${name} is ${w}×${h} (${((w * h) / 1e6).toFixed(1)} MP), above the limit of ${(max / 1e6).toFixed(0)} MP`);
  const probed = probeImageSize(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
  if (probed && probed.width * probed.height > max) throw tooMany(probed.width, probed.height);
  let bitmap: BitmapLike;
  try {
    bitmap = await g.createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch {
    throw new UserError(`cannot decode ${name}: it is not an image format this browser can read`);
  }
  try {
    const { width, height } = bitmap;
    if (width === 0 || height === 0) throw new UserError(`${name} is empty (${width}×${height})`);
    if (width * height > max) throw tooMany(width, height);
    const context = context2d(g, width, height);
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, width, height).data;
    for (let i = 3; i < data.length; i += 4) data[i] = 255;
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}
