/**
 * Bit-depth reduction: keep the top b bits of each 8-bit channel (b=4: v & 0xF0), the paper's
 * "4-to-8-bit" task. Truncation, not rounding, as a low-bit ADC or a naive bit-shift does; it
 * produces banding in smooth gradients and a slight darkening (up to 2^(8-b)-1 levels).
 */
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { Degradation } from '../types.js';
import { resolveSeverity } from '../severity.js';

type BitdepthParams = { severity: number; bits: number };

const BITS_RANGE = [3, 6] as const;

export function reduceBitDepth(img: RGBImage, bits: number): RGBImage {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new Error(`bits must be an integer in 1..8, got ${bits}`);
  const mask = (0xff << (8 - bits)) & 0xff;
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    let v = Math.round(src[i]! * 255);
    v = v < 0 ? 0 : v > 255 ? 255 : v;
    out[i] = (v & mask) / 255;
  }
  return { width: img.width, height: img.height, data: out };
}

export const bitdepth: Degradation<BitdepthParams> = {
  name: 'bitdepth',
  description: 'bit-depth reduction: keep the top 6 (mild) to 3 (heavy) bits per channel',

  sample(rng: Rng, severity?: number): BitdepthParams {
    const s = resolveSeverity(rng, severity);
    const [bMin, bMax] = BITS_RANGE;
    return { severity: s, bits: Math.round(bMax - (bMax - bMin) * s) };
  },

  apply(img: RGBImage, params: BitdepthParams): RGBImage {
    return reduceBitDepth(img, params.bits);
  },
};
