/**
 * Encoding and writing images: PNG, JPEG, WebP, AVIF, TIFF and BMP, chosen by file extension.
 *
 * What each format keeps (anything it cannot keep is dropped with a one-line note in
 * `EncodedImage.notes`, never silently):
 *
 * | format | alpha | bits per channel | ICC profile | EXIF | XMP |
 * |---|---|---|---|---|---|
 * | PNG  | yes | 8 or 16 | yes | yes | yes |
 * | TIFF | yes | 8 or 16 | yes | no (sharp's TIFF writer has none) | yes |
 * | AVIF | yes | 8, or 12 for 16-bit images | yes | yes | yes |
 * | WebP | yes | 8 | yes | yes | yes |
 * | JPEG | no  | 8 | yes | yes | yes |
 * | BMP  | yes (32-bit) | 8 | no: pixels converted to sRGB | no | no |
 *
 * Values are clipped to [0,1] and rounded to the nearest code; NaN is written as 0. JPEG drops
 * alpha without compositing the colours over a background. TIFF is written losslessly (deflate;
 * sharp's own default would be lossy JPEG-in-TIFF).
 *
 * Metadata: sharp attaches EXIF/ICC/XMP only from its input, and our pixels come in raw; so PNG
 * gets the chunks inserted after encoding (png-chunks.ts), and the other formats are encoded
 * from such a PNG (stored uncompressed, it only carries the samples and the metadata into sharp).
 */
import path from 'node:path';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { assertWritableTarget, writeFileAtomic } from '../util/atomic-write.js';
import { encodeBmp } from './bmp.js';
import { hasMetadata, type ImageMetadata } from './metadata.js';
import { withPngMetadata } from './png-chunks.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'avif' | 'tiff' | 'bmp';

const DEFAULT_QUALITY = 95;

export interface EncodeOptions {
  format: ImageFormat;
  /** H·W in [0,1]; kept where the format can hold it (all but JPEG) */
  alpha?: Float32Array | null;
  /** JPEG/WebP/AVIF quality, an integer 1-100 (default 95); lossless formats ignore it */
  quality?: number;
  /**
   * 8 (default) or 16 bits per channel. 16 is written as 16 bits to PNG and TIFF, as 12 bits
   * to AVIF, and as 8 bits (with a note) to JPEG, WebP and BMP.
   */
  bitDepth?: 8 | 16;
  /** EXIF, ICC profile and XMP to attach (readImage's `metadata`); the pixels are in `metadata.icc` */
  metadata?: ImageMetadata;
  /** drop EXIF, XMP and the profile; pixels in another profile are converted to sRGB first */
  strip?: boolean;
}

export interface EncodedImage {
  bytes: Buffer;
  /** one line each: what the format could not keep (alpha, bits, metadata) */
  notes: string[];
}

interface FormatTraits {
  label: string;
  alpha: boolean;
  /** most bits per channel it stores */
  bits: 8 | 12 | 16;
  icc: boolean;
  exif: boolean;
  xmp: boolean;
  lossy: boolean;
}

const TRAITS: Record<ImageFormat, FormatTraits> = {
  png: { label: 'PNG', alpha: true, bits: 16, icc: true, exif: true, xmp: true, lossy: false },
  tiff: { label: 'TIFF', alpha: true, bits: 16, icc: true, exif: false, xmp: true, lossy: false },
  avif: { label: 'AVIF', alpha: true, bits: 12, icc: true, exif: true, xmp: true, lossy: true },
  webp: { label: 'WebP', alpha: true, bits: 8, icc: true, exif: true, xmp: true, lossy: true },
  jpeg: { label: 'JPEG', alpha: false, bits: 8, icc: true, exif: true, xmp: true, lossy: true },
  bmp: { label: 'BMP', alpha: true, bits: 8, icc: false, exif: false, xmp: false, lossy: false },
};

/** True for the formats `quality` applies to. */
export function isLossy(format: ImageFormat): boolean {
  return TRAITS[format].lossy;
}

const EXTENSIONS: Record<string, ImageFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.avif': 'avif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
};

/** The extensions writeImage accepts, e.g. for help texts. */
export const WRITABLE_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS);

/** The output format for a path, from its extension (case-insensitive). */
export function formatFromPath(file: string): ImageFormat {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    const shown = ext ? `extension '${ext}'` : 'no extension';
    throw new UserError(`cannot write ${file}: ${shown} is not a writable image format (use ${WRITABLE_EXTENSIONS.join(', ')})`);
  }
  return format;
}

/** Checks a quality value: an integer from 1 to 100. */
function checkQuality(quality: number): void {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new UserError(`quality must be an integer from 1 to 100, got ${quality}`);
}

function checkImage(image: RGBImage, alpha: Float32Array | null | undefined): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UserError(`cannot encode an image of size ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new UserError(`image data has ${data.length} values, expected ${width}×${height}×3 = ${width * height * 3}`);
  }
  if (alpha && alpha.length !== width * height) {
    throw new UserError(`alpha has ${alpha.length} values, expected ${width}×${height} = ${width * height}`);
  }
}

/** [0,1] float → integer code in [0, max]; NaN → 0. */
function quantise(value: number, max: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return max;
  return Math.round(value * max);
}

/** Interleaves RGB(+A) into integer samples of the requested width. */
function interleave(image: RGBImage, alpha: Float32Array | null, wide: boolean): Uint8Array | Uint16Array {
  const count = image.width * image.height;
  const channels = alpha ? 4 : 3;
  const max = wide ? 65535 : 255;
  const out = wide ? new Uint16Array(count * channels) : new Uint8Array(count * channels);
  const { data } = image;
  for (let i = 0, o = 0; i < count; i++) {
    out[o++] = quantise(data[i * 3], max);
    out[o++] = quantise(data[i * 3 + 1], max);
    out[o++] = quantise(data[i * 3 + 2], max);
    if (alpha) out[o++] = quantise(alpha[i], max);
  }
  return out;
}

interface Samples {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

function isWide(samples: Samples): boolean {
  return samples.data instanceof Uint16Array;
}

/** A sharp pipeline over raw samples; rgb16 makes the encoders keep 16 bits. */
function rawPipeline(samples: Samples): Sharp {
  const { data, width, height, channels } = samples;
  const wide = isWide(samples);
  return sharp(data, { raw: { width, height, channels, ...(wide ? { depth: 'ushort' as const } : {}) } }).toColourspace(wide ? 'rgb16' : 'srgb');
}

/** An uncompressed PNG of the samples with the metadata attached: how metadata gets into sharp. */
async function carrierPng(samples: Samples, metadata: ImageMetadata): Promise<Buffer> {
  const png = await rawPipeline(samples).png({ compressionLevel: 0 }).toBuffer();
  return withPngMetadata(png, metadata);
}

/** The samples converted from their ICC profile to sRGB (same bit depth and channels). */
async function toSrgb(samples: Samples, icc: Buffer): Promise<Samples> {
  const wide = isWide(samples);
  // sharp converts an input with a profile to sRGB (8-bit) or Display P3 (16-bit) on load; the
  // output transform brings the 16-bit case on to sRGB too.
  let pipeline = sharp(await carrierPng(samples, { icc }));
  if (wide) pipeline = pipeline.withIccProfile('srgb', { attach: false });
  const { data, info } = await pipeline
    .toColourspace(wide ? 'rgb16' : 'srgb')
    .raw({ depth: wide ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== samples.channels) throw new Error(`internal: sRGB conversion gave ${info.channels} channels, expected ${samples.channels}`);
  const converted = wide ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : new Uint8Array(data);
  return { ...samples, data: converted };
}

/** Encodes to an in-memory file of the given format, saying what the format could not keep. */
export async function encodeImageWithNotes(image: RGBImage, options: EncodeOptions): Promise<EncodedImage> {
  const { format } = options;
  const traits = TRAITS[format];
  if (!traits) throw new UserError(`unknown image format '${String(format)}'`);
  const quality = options.quality ?? DEFAULT_QUALITY;
  const bitDepth = options.bitDepth ?? 8;
  checkQuality(quality);
  if (bitDepth !== 8 && bitDepth !== 16) throw new UserError(`bit depth must be 8 or 16, got ${String(bitDepth)}`);
  checkImage(image, options.alpha);
  const notes: string[] = [];

  let alpha = options.alpha ?? null;
  if (alpha && !traits.alpha) {
    notes.push(`${traits.label} cannot hold transparency: alpha dropped`);
    alpha = null;
  }
  const wide = bitDepth === 16 && traits.bits > 8;
  if (bitDepth === 16 && traits.bits < 16) {
    notes.push(`${traits.label} holds ${traits.bits} bits per channel: the 16-bit image is written at ${traits.bits} bits (.png or .tif keep 16)`);
  }

  let samples: Samples = { data: interleave(image, alpha, wide), width: image.width, height: image.height, channels: alpha ? 4 : 3 };
  const source = options.metadata ?? {};
  const keep: ImageMetadata = {};
  if (source.icc?.length) {
    if (options.strip || !traits.icc) {
      samples = await toSrgb(samples, source.icc);
      if (!options.strip) notes.push(`${traits.label} cannot hold a colour profile: colours converted to sRGB`);
    } else {
      keep.icc = source.icc;
    }
  }
  if (!options.strip) {
    const dropped: string[] = [];
    if (source.exif?.length) {
      if (traits.exif) keep.exif = source.exif;
      else dropped.push('EXIF');
    }
    if (source.xmp?.length) {
      if (traits.xmp) keep.xmp = source.xmp;
      else dropped.push('XMP');
    }
    if (dropped.length > 0) notes.push(`${traits.label} output cannot keep ${dropped.join(' or ')}: dropped`);
  }

  if (format === 'bmp') {
    return { bytes: Buffer.from(encodeBmp(samples.data as Uint8Array, samples.width, samples.height, samples.channels)), notes };
  }
  if (format === 'png') {
    return { bytes: withPngMetadata(await rawPipeline(samples).png().toBuffer(), keep), notes };
  }
  let pipeline = rawPipeline(samples);
  if (hasMetadata(keep)) {
    // keepIccProfile also stops sharp from converting the carrier's pixels to sRGB on load
    pipeline = sharp(await carrierPng(samples, keep)).keepIccProfile().keepExif().keepXmp().toColourspace(wide ? 'rgb16' : 'srgb');
  }
  switch (format) {
    case 'jpeg':
      // sharp's defaults (4:2:0 chroma, baseline) match common libjpeg encoders, which the
      // JPEG-artefact benchmarks assume.
      return { bytes: await pipeline.jpeg({ quality }).toBuffer(), notes };
    case 'webp':
      // exact: keep colour under fully transparent pixels, so alpha really is "re-attached".
      return { bytes: await pipeline.webp({ quality, exact: true }).toBuffer(), notes };
    case 'avif':
      return { bytes: await pipeline.avif({ quality, bitdepth: wide ? 12 : 8 }).toBuffer(), notes };
    case 'tiff':
      return { bytes: await pipeline.tiff({ compression: 'deflate', predictor: 'horizontal' }).toBuffer(), notes };
    default:
      throw new UserError(`unknown image format '${String(format)}'`);
  }
}

/** Encodes to an in-memory file of the given format (what it cannot keep is dropped: see encodeImageWithNotes). */
export async function encodeImage(image: RGBImage, options: EncodeOptions): Promise<Buffer> {
  return (await encodeImageWithNotes(image, options)).bytes;
}

interface WriteResult {
  /** what the format could not keep, one line each */
  notes: string[];
}

/**
 * Writes an image atomically; the format comes from the extension. Refuses to replace an
 * existing file unless `overwrite` is true, also one that appears while this one is encoded.
 */
export async function writeImage(
  file: string,
  image: RGBImage,
  options: Partial<EncodeOptions> & { overwrite?: boolean } = {},
): Promise<WriteResult> {
  const format = formatFromPath(file);
  if (options.format && options.format !== format) {
    throw new UserError(`cannot write ${file}: the extension says ${format} but format ${options.format} was asked for`);
  }
  await assertWritableTarget(file, { overwrite: options.overwrite });
  const { bytes, notes } = await encodeImageWithNotes(image, { ...options, format });
  // exclusive: a file created meanwhile (another writer) is not replaced, the write fails instead
  await writeFileAtomic(file, bytes, { exclusive: !options.overwrite });
  return { notes };
}
