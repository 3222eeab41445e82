/**
 * Reading images into the shared RGBImage (float32 RGB in [0,1]) with sharp, plus a BMP fallback.
 *
 * - EXIF orientation is applied, so pixels are as a viewer shows them; the EXIF/XMP returned in
 *   `metadata` then say orientation 1.
 * - 16-bit sources keep their precision (decoded as ushort / 65535), 8-bit ones are / 255.
 * - Colour: pixels are converted to sRGB from an embedded profile, unless `keepProfile` asks
 *   for an RGB image's own values (returned with its profile in `metadata.icc`, so a writer can
 *   attach it again and nothing is converted twice or clipped to the sRGB gamut).
 * - Grayscale is replicated to RGB; `info.channels` still tells what the file held.
 * - Alpha is returned separately and untouched (not premultiplied, not composited).
 * - Broken inputs are refused with one line naming the file: missing, empty, truncated, not an
 *   image, HEIC/HEVC (this build of sharp decodes AVIF but not HEVC), or larger than `maxPixels`
 *   (checked from the header, before pixels are decoded).
 * - Animated GIF/WebP and multi-page TIFF decode their first frame; `info.frames` says how many
 *   there were, so callers can say so.
 */
import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { BmpFormatError, decodeBmp, isBmp, readBmpHeader } from './bmp.js';
import { iccColourSpace, withExifOrientation, withXmpOrientation, type ImageMetadata } from './metadata.js';

export interface ImageInfo {
  /** after EXIF orientation, i.e. the size of the decoded image */
  width: number;
  height: number;
  /** channels in the source file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (or CMYK) */
  channels: number;
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  /** 'png', 'jpeg', 'webp', 'tiff', 'bmp', 'gif', ... */
  format: string;
  /** EXIF orientation tag (1-8) as stored in the file, before it was applied; absent if none */
  orientation?: number;
  /** frames or pages in the file when more than one (animated GIF/WebP, multi-page TIFF); only the first is decoded */
  frames?: number;
}

export interface LoadedImage {
  image: RGBImage;
  /** H·W alpha in [0,1], or null when the source has none */
  alpha: Float32Array | null;
  info: ImageInfo;
  /** EXIF, ICC profile and XMP of the file (empty for BMP and files without any) */
  metadata: ImageMetadata;
}

interface ReadOptions {
  /** refuse images with more pixels than this (default 100 000 000) */
  maxPixels?: number;
  /**
   * keep an RGB image's values in its own ICC profile (returned as `metadata.icc`) instead of
   * converting them to sRGB; gray and CMYK images are converted to sRGB either way (default false)
   */
  keepProfile?: boolean;
  /** how messages name an input given as bytes (default '(image data)') */
  name?: string;
}

/** Encoded image bytes in any of the forms a caller may hold them. */
type ImageBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** A file that cannot be read as an image; the message is one line naming the file. */
export class ImageReadError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReadError';
  }
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

interface Source {
  bytes: Buffer;
  /** how messages name the input */
  name: string;
}

async function loadSource(input: string | ImageBytes, name = '(image data)'): Promise<Source> {
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) {
    return { bytes: Buffer.from(input), name };
  }
  if (ArrayBuffer.isView(input)) return { bytes: Buffer.from(input.buffer, input.byteOffset, input.byteLength), name };
  if (typeof input !== 'string') {
    throw new ImageReadError(`expected an image file path or encoded image bytes, got ${input === null ? 'null' : typeof input}`);
  }
  if (input === '') throw new ImageReadError('empty file name');
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(input);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not an image' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ImageReadError(`${input}: ${reason}`);
  }
  return { bytes, name: input };
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

/** ISO-BMFF brands of HEVC-coded HEIF files (AVIF files carry 'avif'/'avis' instead). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);

/** Whether the bytes are a HEIF file whose pictures are HEVC (HEIC), from its ftyp box. */
function isHeic(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || String.fromCharCode(...bytes.subarray(4, 8)) !== 'ftyp') return false;
  const size = Math.min(bytes.length, new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) || bytes.length, 256);
  const brands: string[] = [];
  for (let at = 8; at + 4 <= size; at += 4) if (at !== 12) brands.push(String.fromCharCode(...bytes.subarray(at, at + 4)));
  if (brands.some((b) => b === 'avif' || b === 'avis')) return false;
  return brands.some((b) => HEVC_BRANDS.has(b));
}

/** Maps a sharp failure to a one-line user message. */
function decodeFailure(source: Source, err: unknown): ImageReadError {
  const message = firstLine(err instanceof Error ? err.message : String(err));
  if (isHeic(source.bytes)) {
    return new ImageReadError(`${source.name}: HEIC/HEVC is not supported by this build (convert it to JPEG or PNG first)`);
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageReadError(`${source.name}: not a recognised image (readable: PNG, JPEG, WebP, TIFF, BMP, GIF, HEIF/AVIF)`);
  }
  if (/pixel limit/i.test(message)) return new ImageReadError(`${source.name}: image is larger than the pixel limit`);
  if (/premature end|truncat|read error|corrupt|unexpected end|end of (file|stream)/i.test(message)) {
    return new ImageReadError(`${source.name}: truncated or corrupt image (${message})`);
  }
  return new ImageReadError(`${source.name}: cannot decode image (${message})`);
}

function checkPixelLimit(source: Source, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ImageReadError(
      `${source.name}: image is ${width}×${height} = ${width * height} pixels, more than the limit of ${maxPixels}`,
    );
  }
}

function checkNotEmpty(source: Source): void {
  if (source.bytes.length === 0) throw new ImageReadError(`${source.name}: empty file (0 bytes)`);
}

function bmpInfo(source: Source): ImageInfo {
  try {
    const header = readBmpHeader(source.bytes);
    return { width: header.width, height: header.height, channels: header.hasAlpha ? 4 : 3, bitDepth: 8, hasAlpha: header.hasAlpha, format: 'bmp' };
  } catch (err) {
    if (err instanceof BmpFormatError) throw new ImageReadError(`${source.name}: ${err.message}`);
    throw err;
  }
}

const SIXTEEN_BIT_DEPTHS = new Set(['ushort', 'short', 'uint', 'int', 'float', 'double']);

async function sharpInfo(source: Source): Promise<ImageInfo> {
  return (await sharpHeader(source)).info;
}

async function sharpHeader(source: Source): Promise<{ info: ImageInfo; meta: Metadata }> {
  let meta: Metadata;
  try {
    // Header only: no pixel limit here, so huge images get our own clear size message.
    meta = await sharp(source.bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeFailure(source, err);
  }
  if (!meta.width || !meta.height || !meta.format) throw new ImageReadError(`${source.name}: image header has no size`);
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const info: ImageInfo = {
    width: oriented.width,
    height: oriented.height,
    channels: meta.channels ?? 3,
    // Anything wider than 8 bits is decoded through 16-bit RGB, which keeps it exact up to 16.
    bitDepth: meta.depth && SIXTEEN_BIT_DEPTHS.has(meta.depth) ? 16 : 8,
    hasAlpha: meta.hasAlpha ?? false,
    format: meta.format,
    ...(meta.orientation !== undefined ? { orientation: meta.orientation } : {}),
    ...(meta.pages !== undefined && meta.pages > 1 ? { frames: meta.pages } : {}),
  };
  return { info, meta };
}

/** Reads only the header: size, channels, bit depth, alpha, format and EXIF orientation. */
export async function readImageInfo(input: string | ImageBytes, options: Pick<ReadOptions, 'name'> = {}): Promise<ImageInfo> {
  const source = await loadSource(input, options.name);
  checkNotEmpty(source);
  return isBmp(source.bytes) ? bmpInfo(source) : sharpInfo(source);
}

/** Splits interleaved RGB(A) samples into the float image and optional alpha plane. */
function toLoaded(samples: ArrayLike<number>, width: number, height: number, channels: number, scale: number, info: ImageInfo, metadata: ImageMetadata = {}): LoadedImage {
  if (channels !== 3 && channels !== 4) throw new Error(`internal: expected 3 or 4 decoded channels, got ${channels}`);
  const count = width * height;
  const data = new Float32Array(count * 3);
  const alpha = channels === 4 ? new Float32Array(count) : null;
  const inv = 1 / scale;
  for (let i = 0, s = 0; i < count; i++, s += channels) {
    data[i * 3] = samples[s] * inv;
    data[i * 3 + 1] = samples[s + 1] * inv;
    data[i * 3 + 2] = samples[s + 2] * inv;
    if (alpha) alpha[i] = samples[s + 3] * inv;
  }
  return { image: { width, height, data }, alpha, info, metadata };
}

function readBmp(source: Source, maxPixels: number): LoadedImage {
  const info = bmpInfo(source);
  checkPixelLimit(source, info.width, info.height, maxPixels);
  try {
    const { pixels, channels } = decodeBmp(source.bytes);
    return toLoaded(pixels, info.width, info.height, channels, 255, info);
  } catch (err) {
    if (err instanceof BmpFormatError) throw new ImageReadError(`${source.name}: ${err.message}`);
    throw err;
  }
}

/** Native-endian 16-bit samples (what sharp emits), copied only if the buffer is misaligned. */
function ushortView(data: Buffer): Uint16Array {
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.byteLength >> 1);
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return new Uint16Array(copy.buffer);
}

/** The file's metadata as it applies to the decoded pixels (orientation applied; `icc` only when the pixels are in it). */
function decodedMetadata(meta: Metadata, info: ImageInfo, nativeProfile: boolean): ImageMetadata {
  const rotated = info.orientation !== undefined && info.orientation !== 1;
  const metadata: ImageMetadata = {};
  if (meta.exif?.length) metadata.exif = rotated ? withExifOrientation(meta.exif, 1) : meta.exif;
  if (meta.xmp?.length) metadata.xmp = rotated ? withXmpOrientation(meta.xmp, 1) : meta.xmp;
  if (nativeProfile && meta.icc?.length) metadata.icc = meta.icc;
  return metadata;
}

async function readWithSharp(source: Source, options: Required<Omit<ReadOptions, 'name'>>): Promise<LoadedImage> {
  const { info, meta } = await sharpHeader(source);
  checkPixelLimit(source, info.width, info.height, options.maxPixels);
  const wide = info.bitDepth === 16;
  // The file's own values only for RGB pixels with an RGB profile: gray and CMYK must become RGB.
  const rgb = meta.space === 'srgb' || meta.space === 'rgb16';
  const nativeProfile = options.keepProfile && rgb && meta.icc !== undefined && iccColourSpace(meta.icc) === 'RGB';
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(source.bytes, { failOn: 'truncated', limitInputPixels: options.maxPixels, ignoreIcc: nativeProfile })
      .autoOrient()
      // Converting to (16-bit) sRGB replicates gray, converts CMYK / ICC profiles, keeps alpha.
      .toColourspace(wide ? 'rgb16' : 'srgb');
    // sharp converts a 16-bit RGB image with a profile to Display P3, not sRGB: go on to sRGB.
    if (wide && rgb && meta.icc && !nativeProfile) pipeline = pipeline.withIccProfile('srgb', { attach: false });
    decoded = await pipeline.raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeFailure(source, err);
  }
  const { data, info: out } = decoded;
  const samples = wide ? ushortView(data) : data;
  return toLoaded(samples, out.width, out.height, out.channels, wide ? 65535 : 255, info, decodedMetadata(meta, info, nativeProfile));
}

/** Decodes an image file (or its bytes) into RGB float32 in [0,1] plus optional alpha. */
export async function readImage(input: string | ImageBytes, options: ReadOptions = {}): Promise<LoadedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const source = await loadSource(input, options.name);
  checkNotEmpty(source);
  return isBmp(source.bytes) ? readBmp(source, maxPixels) : readWithSharp(source, { maxPixels, keepProfile: options.keepProfile ?? false });
}
