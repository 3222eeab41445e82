/**
 * Encoding and writing images: PNG (8- or 16-bit), JPEG and WebP, chosen by file extension.
 *
 * Alpha given beside the image is re-attached for PNG and WebP. JPEG cannot store alpha: it is
 * dropped (the colour values are written as they are, not composited over any background).
 * Values are clipped to [0,1] and rounded to the nearest code; NaN is written as 0.
 */
import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { assertWritableTarget, writeFileAtomic } from '../util/atomic-write.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface EncodeOptions {
  format: ImageFormat;
  /** H·W in [0,1]; kept for PNG/WebP, dropped for JPEG */
  alpha?: Float32Array | null;
  /** JPEG/WebP quality 1-100, default 95 */
  quality?: number;
  /** PNG only: 8 (default) or 16 bits per channel */
  bitDepth?: 8 | 16;
}

const EXTENSIONS: Record<string, ImageFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

/** The output format for a path, from its extension (case-insensitive). */
export function formatFromPath(file: string): ImageFormat {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    const shown = ext ? `extension '${ext}'` : 'no extension';
    throw new UserError(`cannot write ${file}: ${shown} is not a writable image format (use ${Object.keys(EXTENSIONS).join(', ')})`);
  }
  return format;
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

/** Encodes to an in-memory file of the given format. */
export async function encodeImage(image: RGBImage, options: EncodeOptions): Promise<Buffer> {
  const { format } = options;
  const quality = options.quality ?? 95;
  const bitDepth = options.bitDepth ?? 8;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new UserError(`quality must be an integer from 1 to 100, got ${quality}`);
  if (bitDepth !== 8 && bitDepth !== 16) throw new UserError(`bit depth must be 8 or 16, got ${String(bitDepth)}`);
  if (bitDepth === 16 && format !== 'png') throw new UserError(`16-bit output is only possible for PNG, not ${format}`);
  checkImage(image, options.alpha);

  const alpha = format === 'jpeg' ? null : (options.alpha ?? null);
  const wide = bitDepth === 16;
  const samples = interleave(image, alpha, wide);
  // sharp infers 16-bit raw input from a Uint16Array; rgb16 makes the PNG encoder keep 16 bits.
  let pipeline = sharp(samples, { raw: { width: image.width, height: image.height, channels: alpha ? 4 : 3 } });
  if (wide) pipeline = pipeline.toColourspace('rgb16');
  switch (format) {
    case 'png':
      return pipeline.png().toBuffer();
    case 'jpeg':
      // sharp's defaults (4:2:0 chroma, baseline) match common libjpeg encoders, which the
      // JPEG-artefact benchmarks assume.
      return pipeline.jpeg({ quality }).toBuffer();
    case 'webp':
      // exact: keep colour under fully transparent pixels, so alpha really is "re-attached".
      return pipeline.webp({ quality, exact: true }).toBuffer();
    default:
      throw new UserError(`unknown image format '${String(format)}'`);
  }
}

/**
 * Writes an image atomically; the format comes from the extension. Refuses to replace an
 * existing file unless `overwrite` is true, also one that appears while this one is encoded.
 */
export async function writeImage(
  file: string,
  image: RGBImage,
  options: Partial<EncodeOptions> & { overwrite?: boolean } = {},
): Promise<void> {
  const format = formatFromPath(file);
  if (options.format && options.format !== format) {
    throw new UserError(`cannot write ${file}: the extension says ${format} but format ${options.format} was asked for`);
  }
  await assertWritableTarget(file, { overwrite: options.overwrite });
  const bytes = await encodeImage(image, { ...options, format });
  // exclusive: a file created meanwhile (another writer) is not replaced, the write fails instead
  await writeFileAtomic(file, bytes, { exclusive: !options.overwrite });
}
