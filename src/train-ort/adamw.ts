/**
 * The arithmetic of one data-parallel update, on plain Float32Arrays so that it is exact to
 * reason about: every worker runs it on its own slice of the flat parameter vector, in double
 * precision, and rounds once to float32 — so the result does not depend on how many workers
 * share the work, and all replicas read back the same bits.
 */
import type { AdamWOptions } from './host-batch.js';
import type { ParamLayout } from './param-layout.js';

export type ResolvedAdamW = Required<Omit<AdamWOptions, 'clipNorm'>> & { clipNorm: number | null };

export function resolveAdamW(o: AdamWOptions): ResolvedAdamW {
  const r: ResolvedAdamW = {
    lr: o.lr,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0,
    clipNorm: o.clipNorm ?? null,
  };
  if (!(r.lr >= 0)) throw new Error(`learning rate must be >= 0, got ${o.lr}`);
  if (!(r.beta1 >= 0 && r.beta1 < 1 && r.beta2 >= 0 && r.beta2 < 1)) throw new Error('betas must be in [0, 1)');
  if (!(r.eps > 0)) throw new Error('eps must be > 0');
  if (!(r.weightDecay >= 0)) throw new Error('weightDecay must be >= 0');
  if (r.clipNorm !== null && !(r.clipNorm > 0)) throw new Error('clipNorm must be > 0');
  return r;
}

/**
 * out[i] = Σ_k weights[k]·slots[k][offset_k + i] for i in [start, end), summed in slot order;
 * returns Σ out[i]² (this slice's share of the squared global norm).
 */
export function averageSlots(
  slots: readonly Float32Array[],
  weights: readonly number[],
  start: number,
  end: number,
  out: Float32Array,
): number {
  // slot by slot into a double accumulator: sequential reads of each slot (fast), and still one
  // rounding to float32 per element at the end, in the same order whatever the range split
  const acc = scratch(end - start);
  acc.fill(0);
  slots.forEach((slot, k) => {
    const w = weights[k];
    if (w === 0) return;
    for (let i = start, j = 0; i < end; i++, j++) acc[j] += w * slot[i];
  });
  let sumSq = 0;
  for (let i = start, j = 0; i < end; i++, j++) {
    out[i] = acc[j];
    sumSq += out[i] * out[i];
  }
  return sumSq;
}

let scratchBuf = new Float64Array(0);
function scratch(n: number): Float64Array {
  if (scratchBuf.length < n) scratchBuf = new Float64Array(n);
  return scratchBuf.subarray(0, n);
}

/** Scale that brings a gradient of norm `norm` down to `clipNorm` (1 when no clipping applies). */
export function clipScale(norm: number, clipNorm: number | null): number {
  if (clipNorm === null || norm <= clipNorm) return 1;
  return clipNorm / (norm + 1e-6);
}

/**
 * AdamW update (decoupled weight decay, bias-corrected moments) of params/m/v in [start, end),
 * using grad·gradScale; `step` is the 1-based update count.
 */
export function adamwUpdate(
  layout: ParamLayout,
  start: number,
  end: number,
  bufs: { params: Float32Array; m: Float32Array; v: Float32Array; grad: Float32Array },
  opt: ResolvedAdamW,
  step: number,
  gradScale: number,
): void {
  const { params, m, v, grad } = bufs;
  const { lr, beta1, beta2, eps, weightDecay } = opt;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  for (const e of layout.entries) {
    const lo = Math.max(start, e.offset);
    const hi = Math.min(end, e.offset + e.size);
    if (lo >= hi) continue;
    const decay = e.decays ? 1 - lr * weightDecay : 1;
    for (let i = lo; i < hi; i++) {
      const g = grad[i] * gradScale;
      const mi = beta1 * m[i] + (1 - beta1) * g;
      const vi = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i] * decay - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }
}
