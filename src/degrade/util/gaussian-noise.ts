/**
 * Fast standard-normal draws for per-pixel noise. Box–Muller costs a log, a sqrt and a sin/cos per
 * pair, which dominates a degradation that needs millions of draws; instead one 32-bit draw picks
 * one of 2^16 equal-probability quantiles of N(0,1). The result is a 65 536-level discretisation of
 * the normal distribution (tails cut at ≈ ±4.3σ), indistinguishable for image noise, and still
 * fully determined by the Rng stream.
 */
import type { Rng } from '../../util/rng.js';

const TABLE_BITS = 16;

/** Inverse standard-normal CDF (Acklam's rational approximation, relative error < 1.2e−9). */
// @testSeam: tested directly (helpers.test.ts)
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

let table: Float32Array | null = null;

function quantileTable(): Float32Array {
  if (!table) {
    const size = 1 << TABLE_BITS;
    table = new Float32Array(size);
    for (let i = 0; i < size; i++) table[i] = normalQuantile((i + 0.5) / size);
  }
  return table;
}

/** Fill `out` with standard-normal draws (two per 32-bit random word). */
export function fillNormal(rng: Rng, out: Float32Array): Float32Array {
  const t = quantileTable();
  const n = out.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const u = rng.nextUint32();
    out[i] = t[u >>> 16]!;
    out[i + 1] = t[u & 0xffff]!;
  }
  if (i < n) out[i] = t[rng.nextUint32() >>> 16]!;
  return out;
}
