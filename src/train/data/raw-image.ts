/**
 * Training images kept as 8-bit RGB (a quarter of the float32 size): the whole training set stays
 * in memory decoded, and only the patch a batch needs is converted to float.
 */
import sharp from 'sharp';
import { UserError } from '../../util/errors.js';
import type { RGBImage } from '../../image/types.js';

/** Interleaved HWC RGB, one byte per sample (value / 255 is the float pixel). */
export interface Uint8Image {
  width: number;
  height: number;
  /** length width·height·3 */
  data: Uint8Array;
}

/**
 * Decodes a file to 8-bit RGB with sharp: EXIF orientation applied, alpha dropped, gray and CMYK
 * converted to sRGB, 16-bit sources rounded to 8 bits (training patches do not need more).
 */
export async function decodeUint8(file: string): Promise<Uint8Image> {
  try {
    const { data, info } = await sharp(file, { limitInputPixels: 200_000_000 })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const pixels = info.width * info.height;
    const rgb = info.channels === 3 ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : toRgb(data, info.channels, pixels);
    return { width: info.width, height: info.height, data: rgb };
  } catch (err) {
    throw new UserError(`${file}: cannot decode image (${(err as Error).message.split('\n')[0]})`);
  }
}

/** Replicates gray / drops extra bands, for the rare decoder output that is not 3 channels. */
function toRgb(data: Uint8Array, channels: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) out[3 * i + c] = data[i * channels + (channels < 3 ? 0 : c)]!;
  }
  return out;
}

/** Float image in [0,1] → 8-bit (rounded, clamped): used to make in-memory sources for tests. */
function toUint8Image(img: RGBImage): Uint8Image {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, img.data[i]!)) * 255);
  return { width: img.width, height: img.height, data };
}

export function toFloatImage(img: Uint8Image): RGBImage {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i]! / 255;
  return { width: img.width, height: img.height, data };
}
