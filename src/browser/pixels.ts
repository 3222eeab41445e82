/**
 * RGBA bytes (ImageData, canvas) ↔ RGBImage. Alpha is dropped on the way in (the model is RGB) and
 * written opaque on the way out; bytes are value / 255 in and round(value · 255) out, as the Node
 * reader and writer do.
 */
import { UsageError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';

/** RGBA bytes (e.g. ImageData.data) → RGBImage. */
export function rgbaToImage(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RGBImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new UsageError(`image size must be positive integers, got ${width}×${height}`);
  if (rgba.length !== width * height * 4) throw new UsageError(`RGBA data has ${rgba.length} bytes, expected ${width}×${height}×4`);
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    data[p * 3] = rgba[p * 4]! / 255;
    data[p * 3 + 1] = rgba[p * 4 + 1]! / 255;
    data[p * 3 + 2] = rgba[p * 4 + 2]! / 255;
  }
  return { width, height, data };
}

/** RGBImage → opaque RGBA bytes (for new ImageData(bytes, width, height)); values outside [0,1] and NaN are clamped. */
export function imageToRgba(image: RGBImage): Uint8ClampedArray {
  const { width, height, data } = image;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[p * 3 + c]!;
      rgba[p * 4 + c] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}
