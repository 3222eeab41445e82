/**
 * Fitting the clean gate (src/model/clean-gate.ts) to restorations whose errors are known.
 *
 * Each sample is one image: its gate features and three numbers that give the blended output's
 * mean squared error against the clean image for any keep share g without restoring again —
 * with a = input − clean and b = SW output − clean per value, A = mean(a²), B = mean(b²),
 * C = mean(a·b), and mse(g) = g²A + (1 − g)²B + 2g(1 − g)C. The fit maximises the mean PSNR of the
 * blends, 10·log10(1 / (mse + floor)): the floor caps what a sample can gain (a clean photo kept
 * whole would otherwise be worth unbounded decibels and buy them with losses on degraded ones).
 * Full batch, Adam, a one-hidden-layer tanh MLP; deterministic for a seed.
 */
import { gateShare, type CleanGate, type OptionalStatistic } from '../model/clean-gate.js';
import { Rng } from '../util/rng.js';

export interface GateSample {
  features: ArrayLike<number>;
  /** mean (input − clean)² */
  a: number;
  /** mean (SW − clean)² */
  b: number;
  /** mean (input − clean)·(SW − clean) */
  c: number;
  /** what the sample is (e.g. 'clean', 'haze', 'blur+noise'), for reports */
  label?: string;
}

export interface GateFitOptions {
  classes: readonly string[];
  /** the optional crop statistics the samples' features end with (default none) */
  statistics?: readonly OptionalStatistic[];
  /** the haze veto the gate carries (not part of the fit: applied to its share afterwards; default none) */
  hazeVeto?: { from: number; to: number } | null;
  /** units of the hidden layer */
  hidden: number;
  /** full-batch Adam steps and learning rate */
  steps: number;
  lr: number;
  /** the PSNR cap in dB (the MSE floor is 10^(−cap/10)) */
  capDb: number;
  /** weight of the samples labelled 'clean' in the objective (others 1; default 1) */
  cleanWeight?: number;
  seed: number;
}

const INIT_SCALE = 0.3;
const WEIGHT_DECAY = 1e-4;

/** PSNR in dB of the blend with keep share g, from a sample's A, B, C (peak 1), under the floor of `capDb`. */
// @testSeam: tested directly
export function blendPsnr(s: Pick<GateSample, 'a' | 'b' | 'c'>, g: number, capDb: number): number {
  const mse = g * g * s.a + (1 - g) * (1 - g) * s.b + 2 * g * (1 - g) * s.c;
  return -10 * Math.log10(Math.max(mse, 0) + 10 ** (-capDb / 10));
}

/** The gate that maximises the (weighted) mean capped blend PSNR over `samples`, and that mean before (g = 0) and after. */
export function fitCleanGate(samples: readonly GateSample[], o: GateFitOptions): { gate: CleanGate; before: number; after: number } {
  if (samples.length === 0) throw new Error('fitCleanGate: no samples');
  const f = samples[0]!.features.length;
  const n = samples.length;
  const h = o.hidden;
  const mean = new Array<number>(f).fill(0);
  const scale = new Array<number>(f).fill(0);
  for (const s of samples) for (let i = 0; i < f; i++) mean[i]! += s.features[i]! / n;
  for (const s of samples) for (let i = 0; i < f; i++) scale[i]! += (s.features[i]! - mean[i]!) ** 2 / n;
  for (let i = 0; i < f; i++) scale[i] = Math.sqrt(scale[i]!) + 1e-9;
  const x = samples.map((s) => Float64Array.from({ length: f }, (_, i) => (s.features[i]! - mean[i]!) / scale[i]!));

  const rng = new Rng(`clean-gate:${o.seed}`);
  // parameters in one vector: w1 [f×h], b1 [h], w2 [h], b2
  const size = f * h + 2 * h + 1;
  const p = new Float64Array(size);
  for (let i = 0; i < f * h; i++) p[i] = rng.normal() * INIT_SCALE;
  for (let i = 0; i < h; i++) p[f * h + h + i] = rng.normal() * INIT_SCALE;
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const grad = new Float64Array(size);
  const hid = new Float64Array(h);
  const floor = 10 ** (-o.capDb / 10);
  const weightOf = (s: GateSample) => (s.label === 'clean' ? (o.cleanWeight ?? 1) : 1);
  const totalWeight = samples.reduce((acc, s) => acc + weightOf(s), 0);
  const dbPerLn = 10 / Math.LN10;
  for (let t = 1; t <= o.steps; t++) {
    grad.fill(0);
    for (let s = 0; s < n; s++) {
      const xs = x[s]!;
      let z = p[size - 1]!;
      for (let k = 0; k < h; k++) {
        let a = p[f * h + k]!;
        for (let i = 0; i < f; i++) a += xs[i]! * p[i * h + k]!;
        hid[k] = Math.tanh(a);
        z += hid[k]! * p[f * h + h + k]!;
      }
      const g = 1 / (1 + Math.exp(-z));
      const { a: A, b: B, c: C } = samples[s]!;
      const mse = g * g * A + (1 - g) * (1 - g) * B + 2 * g * (1 - g) * C + floor;
      // loss = weighted mean of 10·log10(mse): its derivative in z through g
      const dz = ((weightOf(samples[s]!) * dbPerLn * (2 * g * A - 2 * (1 - g) * B + 2 * (1 - 2 * g) * C)) / mse / totalWeight) * g * (1 - g);
      grad[size - 1]! += dz;
      for (let k = 0; k < h; k++) {
        grad[f * h + h + k]! += dz * hid[k]!;
        const da = dz * p[f * h + h + k]! * (1 - hid[k]! * hid[k]!);
        grad[f * h + k]! += da;
        for (let i = 0; i < f; i++) grad[i * h + k]! += da * xs[i]!;
      }
    }
    for (let i = 0; i < size; i++) {
      const gi = grad[i]! + (i < f * h || (i >= f * h + h && i < size - 1) ? WEIGHT_DECAY * p[i]! : 0);
      m[i] = 0.9 * m[i]! + 0.1 * gi;
      v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
      p[i]! -= (o.lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  const gate: CleanGate = {
    classes: [...o.classes],
    statistics: [...(o.statistics ?? [])],
    hazeVeto: o.hazeVeto ?? null,
    hidden: h,
    mean,
    scale,
    w1: Array.from(p.subarray(0, f * h)),
    b1: Array.from(p.subarray(f * h, f * h + h)),
    w2: Array.from(p.subarray(f * h + h, f * h + 2 * h)),
    b2: p[size - 1]!,
  };
  const meanPsnr = (share: (s: GateSample) => number) => samples.reduce((acc, s) => acc + weightOf(s) * blendPsnr(s, share(s), o.capDb), 0) / totalWeight;
  return { gate, before: meanPsnr(() => 0), after: meanPsnr((s) => gateShare(gate, s.features)) };
}
