/** Conversions between the float [0,1] image and 8-bit samples (sharp and bit-depth work on bytes). */
import type { RGBImage } from '../image/types.js';

/** Round to the nearest 8-bit value, clamping out-of-range floats. */
export function toUint8(img: RGBImage): Uint8Array {
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i]! * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

export function fromUint8(bytes: Uint8Array, width: number, height: number): RGBImage {
  if (bytes.length !== width * height * 3) throw new Error(`expected ${width * height * 3} bytes, got ${bytes.length}`);
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! / 255;
  return { width, height, data };
}
