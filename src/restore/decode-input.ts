/**
 * Turning whatever a library caller hands `restore()` into pixels, with the same one-line errors
 * as a file path gets:
 *
 *   - a file path, or a file: URL (string or URL object);
 *   - an http(s) URL (string or URL object), fetched with the global fetch (Node ≥ 18), at most
 *     `maxBytes`, honouring the abort signal;
 *   - encoded bytes: Buffer / Uint8Array / any typed-array view / ArrayBuffer (what
 *     `await (await fetch(u)).arrayBuffer()` gives);
 *   - a Blob or File (Node 20 has both);
 *   - raw pixels like ImageData: `{ data, width, height, channels? }` with 8-bit interleaved RGB
 *     or RGBA; without `channels` it follows from data.length (ImageData has no such field).
 *
 * Every kind is held to the same pixel limit (raw pixels before any allocation, encoded images from
 * their header), and anything else (null, a number, `{ width: -1 }`) is a UsageError saying what is
 * accepted, never an internal TypeError.
 */
import { fileURLToPath } from 'node:url';
import type { RGBImage } from '../image/types.js';
import { DEFAULT_MAX_PIXELS, ImageReadError, readImage, type ImageInfo } from '../io/image-read.js';
import type { ImageMetadata } from '../io/metadata.js';
import { UsageError } from '../util/errors.js';

/** Raw pixels, like ImageData: interleaved 8-bit RGB or RGBA. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA); default: data.length / (width·height) */
  channels?: 3 | 4;
}

/** What `restore()` accepts (see the file comment). */
export type RestoreInput = string | URL | Uint8Array | ArrayBuffer | ArrayBufferView | Blob | RawPixels;

interface DecodeInputOptions {
  /** refuse inputs with more pixels than this (default 100 000 000, as readImage) */
  maxPixels?: number;
  /** refuse downloads and Blobs larger than this many bytes (default 512 MiB) */
  maxBytes?: number;
  signal?: AbortSignal;
  /** keep an RGB file's own ICC colours and return its metadata (ReadOptions.keepProfile; default false) */
  keepProfile?: boolean;
}

interface DecodedInput {
  image: RGBImage;
  alpha: Float32Array | null;
  /** the decoded file's header facts; null for raw pixels */
  info: ImageInfo | null;
  /** how messages name this input: the path, the URL, the Blob's name or '(image data)' */
  name: string;
  /** one line each for what the caller should know (e.g. only the first of several frames was used) */
  notes: string[];
  /** the file's EXIF, ICC profile and XMP (ImageMetadata); empty for raw pixels */
  metadata: ImageMetadata;
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

const ACCEPTED = 'a file path, an http(s) or file URL, a Buffer/Uint8Array/ArrayBuffer, a Blob, or raw pixels { data, width, height, channels? }';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object with keys {${Object.keys(value as object).slice(0, 5).join(', ')}}`;
  if (typeof value === 'string') return `'${value}'`;
  return `${typeof value} ${String(value)}`;
}

function badInput(value: unknown, why = ''): UsageError {
  return new UsageError(`restore() input must be ${ACCEPTED}${why ? `: ${why}` : ''}; got ${describe(value)}`);
}

function isRawPixelsLike(input: object): boolean {
  return 'data' in input || 'width' in input || 'height' in input;
}

/** Validates raw pixels (size, channels, data) against the pixel limit, before any allocation. */
function checkRawPixels(raw: RawPixels, maxPixels = DEFAULT_MAX_PIXELS): { width: number; height: number; channels: 3 | 4 } {
  const { width, height, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UsageError(`raw pixels: width and height must be positive integers, got ${String(width)}×${String(height)}`);
  }
  if (width * height > maxPixels) {
    throw new ImageReadError(`(raw pixels): image is ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new UsageError(`raw pixels: data must be a Uint8Array or Uint8ClampedArray of 8-bit RGB or RGBA samples, got ${data === undefined ? 'no data' : describe(data)}`);
  }
  const channels = raw.channels ?? data.length / (width * height);
  if (channels !== 3 && channels !== 4) {
    throw new UsageError(
      raw.channels === undefined
        ? `raw pixels: data has ${data.length} bytes, which is neither ${width}×${height}×3 nor ×4`
        : `raw pixels must have 3 (RGB) or 4 (RGBA) channels, got ${String(raw.channels)}`,
    );
  }
  if (data.length !== width * height * channels) throw new UsageError(`raw pixels: data has ${data.length} bytes, expected ${width}×${height}×${channels}`);
  return { width, height, channels };
}

/** Raw RGB/RGBA bytes → RGBImage + alpha (validated by checkRawPixels first). */
// @testSeam: tested directly
export function fromRawPixels(raw: RawPixels, maxPixels = DEFAULT_MAX_PIXELS): { image: RGBImage; alpha: Float32Array | null } {
  const { width, height, channels } = checkRawPixels(raw, maxPixels);
  const { data } = raw;
  const rgb = new Float32Array(width * height * 3);
  const alpha = channels === 4 ? new Float32Array(width * height) : null;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * channels + c]! / 255;
    if (alpha) alpha[p] = data[p * 4 + 3]! / 255;
  }
  return { image: { width, height, data: rgb }, alpha };
}

function tooLarge(name: string, bytes: number, maxBytes: number): ImageReadError {
  return new ImageReadError(`${name}: ${bytes} bytes is more than the limit of ${maxBytes} bytes for a download or Blob`);
}

/** Downloads `url` into memory, refusing more than `maxBytes` (from Content-Length, then while streaming). */
async function download(url: URL, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const name = url.href;
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ImageReadError(`${name}: cannot download (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ImageReadError(`${name}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(name, declared, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          await response.body.cancel().catch(() => {});
          throw tooLarge(name, total, maxBytes);
        }
        chunks.push(chunk);
      }
    }
  } catch (err) {
    if (err instanceof ImageReadError || (err as Error).name === 'AbortError') throw err;
    throw new ImageReadError(`${name}: download failed (${(err as Error).message.split('\n')[0]})`);
  }
  return Buffer.concat(chunks, total);
}

/** An http(s)/file URL from a string, or null when the string is a plain path. */
function urlOf(text: string): URL | null {
  if (!/^(https?|file):/i.test(text)) return null;
  try {
    return new URL(text);
  } catch {
    throw new ImageReadError(`${text}: not a valid URL`);
  }
}

async function decodeUrl(url: URL, options: DecodeInputOptions, maxPixels: number): Promise<{ loaded: Awaited<ReturnType<typeof readImage>>; name: string }> {
  if (url.protocol === 'file:') {
    const file = fileURLToPath(url);
    return { loaded: await readImage(file, { maxPixels, keepProfile: options.keepProfile ?? false }), name: file };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImageReadError(`${url.href}: only http(s) and file URLs can be read (got ${url.protocol})`);
  const bytes = await download(url, options.maxBytes ?? DEFAULT_MAX_BYTES, options.signal);
  options.signal?.throwIfAborted();
  return { loaded: await readImage(bytes, { maxPixels, name: url.href, keepProfile: options.keepProfile ?? false }), name: url.href };
}

type InputKind = 'path' | 'url' | 'bytes' | 'blob' | 'raw';

/**
 * Which kind of input this is, refusing (UsageError / ImageReadError) what cannot be one, and raw
 * pixels that are malformed or over the pixel limit: cheap, so a caller can check before loading a model.
 */
export function checkRestoreInput(input: unknown, maxPixels = DEFAULT_MAX_PIXELS): InputKind {
  if (typeof input === 'string') {
    if (input.trim() === '') throw badInput(input, 'the path is empty');
    return urlOf(input) ? 'url' : 'path';
  }
  if (input instanceof URL) return 'url';
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input) || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) return 'bytes';
  if (typeof Blob !== 'undefined' && input instanceof Blob) return 'blob';
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && isRawPixelsLike(input)) {
    checkRawPixels(input as RawPixels, maxPixels);
    return 'raw';
  }
  throw badInput(input);
}

/** Decodes any accepted input (see the file comment); throws UsageError / ImageReadError with one line. */
export async function decodeRestoreInput(input: unknown, options: DecodeInputOptions = {}): Promise<DecodedInput> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isFinite(maxPixels) || maxPixels < 1) throw new UsageError(`maxPixels must be a positive number, got ${String(options.maxPixels)}`);
  let loaded: Awaited<ReturnType<typeof readImage>>;
  let name: string;
  const keepProfile = options.keepProfile ?? false;
  switch (checkRestoreInput(input, maxPixels)) {
    case 'path':
      name = input as string;
      loaded = await readImage(name, { maxPixels, keepProfile });
      break;
    case 'url':
      ({ loaded, name } = await decodeUrl(input instanceof URL ? input : urlOf(input as string)!, options, maxPixels));
      break;
    case 'bytes':
      name = '(image data)';
      loaded = await readImage(input as ArrayBuffer, { maxPixels, name, keepProfile });
      break;
    case 'blob': {
      const blob = input as Blob & { name?: unknown };
      name = typeof blob.name === 'string' && blob.name ? blob.name : '(Blob)';
      const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
      if (blob.size > maxBytes) throw tooLarge(name, blob.size, maxBytes);
      loaded = await readImage(new Uint8Array(await blob.arrayBuffer()), { maxPixels, name, keepProfile });
      break;
    }
    case 'raw': {
      const { image, alpha } = fromRawPixels(input as RawPixels, maxPixels);
      return { image, alpha, info: null, name: '(raw pixels)', notes: [], metadata: {} };
    }
  }
  const notes: string[] = [];
  if (loaded.info.frames) {
    notes.push(`${name} has ${loaded.info.frames} ${loaded.info.format === 'tiff' ? 'pages' : 'frames'}; only the first is restored`);
  }
  return { image: loaded.image, alpha: loaded.alpha, info: loaded.info, name, notes, metadata: loaded.metadata };
}
