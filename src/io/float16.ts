/**
 * IEEE 754 half precision (binary16) ↔ float32, for F16 tensors in weight files.
 * Layout: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decodes half-precision bit patterns; subnormals, ±Inf and NaN included (exact). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24; // zero / subnormal
    else if (exponent === 0x1f) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** Encodes to half precision, rounding to nearest even; overflow → ±Inf, NaN kept as NaN. */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    const mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0);
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // Subnormal half (or zero): shift the mantissa with its implicit 1 into 10 bits.
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mantissa | 0x800000;
      const shift = 14 - e;
      let half = m >>> shift;
      const rest = m & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      // Round to nearest even; a carry into the exponent is the correct result (up to Inf).
      if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
      out[i] = sign | half;
    }
  }
  return out;
}
