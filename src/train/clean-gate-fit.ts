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
import { gateShare, namerProbability, type CleanGate, type CleanNamer, type HazeVetoRamp, type OptionalStatistic } from '../model/clean-gate.js';
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
  /**
   * the part of the keep share the gate's haze veto leaves on this sample (vetoLeft of its crop
   * statistics), when the fit is to see the veto (GateFitOptions.vetoInFit); absent: 1
   */
  left?: number;
}

export interface GateFitOptions {
  classes: readonly string[];
  /** the optional crop statistics the samples' features end with (default none) */
  statistics?: readonly OptionalStatistic[];
  /** the haze veto the gate carries (its share is the MLP's times what the veto leaves; the fit sees that only with vetoInFit; default none) */
  hazeVeto?: HazeVetoRamp | null;
  /** units of the hidden layer */
  hidden: number;
  /** full-batch Adam steps and learning rate */
  steps: number;
  lr: number;
  /** the PSNR cap in dB (the MSE floor is 10^(−cap/10)) */
  capDb: number;
  /** weight of the samples labelled 'clean' in the objective (others 1; default 1) */
  cleanWeight?: number;
  /**
   * fit the share the gate ships, the MLP's times the veto's `left`, rather than the MLP's alone.
   * Why: the veto already gives hazy photos to SW, so a fit that knows it need not hold back on
   * clean photos whose estimate looks like those hazy ones (docs/decisions.md)
   */
  vetoInFit?: boolean;
  /**
   * how much more a decibel lost against plain SW counts than one gained (default 1: alike). The
   * objective is the weighted mean of PSNR(g) − (harmWeight − 1)·max(0, PSNR(0) − PSNR(g)). Why:
   * users forgive a photo left as SW made it more than one made worse (docs/decisions.md)
   */
  harmWeight?: number;
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

/** A one-hidden-layer tanh MLP's parameters in one vector: w1 [f×h], b1 [h], w2 [h], b2. */
type MlpParameters = Float64Array;

/**
 * Full-batch Adam on a one-hidden-layer tanh MLP with h units over the standardised features `x`;
 * `dLoss(s, z)` is the loss's derivative in sample s's output logit z. Deterministic for `seed`.
 */
function trainMlp(x: readonly Float64Array[], h: number, o: { steps: number; lr: number; seed: string }, dLoss: (s: number, z: number) => number): MlpParameters {
  const f = x[0]!.length;
  const n = x.length;
  const rng = new Rng(o.seed);
  const size = f * h + 2 * h + 1;
  const p = new Float64Array(size);
  for (let i = 0; i < f * h; i++) p[i] = rng.normal() * INIT_SCALE;
  for (let i = 0; i < h; i++) p[f * h + h + i] = rng.normal() * INIT_SCALE;
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const grad = new Float64Array(size);
  const hid = new Float64Array(h);
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
      const dz = dLoss(s, z);
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
  return p;
}

/** The per-feature mean and standard deviation of the samples' features, and the standardised features. */
function standardise(samples: readonly Pick<GateSample, 'features'>[]): { mean: number[]; scale: number[]; x: Float64Array[] } {
  const f = samples[0]!.features.length;
  const n = samples.length;
  const mean = new Array<number>(f).fill(0);
  const scale = new Array<number>(f).fill(0);
  for (const s of samples) for (let i = 0; i < f; i++) mean[i]! += s.features[i]! / n;
  for (const s of samples) for (let i = 0; i < f; i++) scale[i]! += (s.features[i]! - mean[i]!) ** 2 / n;
  for (let i = 0; i < f; i++) scale[i] = Math.sqrt(scale[i]!) + 1e-9;
  const x = samples.map((s) => Float64Array.from({ length: f }, (_, i) => (s.features[i]! - mean[i]!) / scale[i]!));
  return { mean, scale, x };
}

/** The MLP head stored in a gate (w1, b1, w2, b2) from one parameter vector. */
function head(p: MlpParameters, f: number, h: number): CleanNamer {
  return {
    hidden: h,
    w1: Array.from(p.subarray(0, f * h)),
    b1: Array.from(p.subarray(f * h, f * h + h)),
    w2: Array.from(p.subarray(f * h + h, f * h + 2 * h)),
    b2: p[f * h + 2 * h]!,
  };
}

/** The gate that maximises the (weighted) mean capped blend PSNR over `samples`, and that mean before (g = 0) and after. */
export function fitCleanGate(samples: readonly GateSample[], o: GateFitOptions): { gate: CleanGate; before: number; after: number } {
  if (samples.length === 0) throw new Error('fitCleanGate: no samples');
  const f = samples[0]!.features.length;
  const h = o.hidden;
  const { mean, scale, x } = standardise(samples);
  const floor = 10 ** (-o.capDb / 10);
  const weightOf = (s: GateSample) => (s.label === 'clean' ? (o.cleanWeight ?? 1) : 1);
  const totalWeight = samples.reduce((acc, s) => acc + weightOf(s), 0);
  const dbPerLn = 10 / Math.LN10;
  const leftOf = (s: GateSample) => (o.vetoInFit ? (s.left ?? 1) : 1);
  const harmWeight = o.harmWeight ?? 1;
  if (!(harmWeight >= 1) || !Number.isFinite(harmWeight)) throw new Error(`fitCleanGate: harmWeight must be a finite number ≥ 1 (got ${harmWeight})`);
  const p = trainMlp(x, h, { steps: o.steps, lr: o.lr, seed: `clean-gate:${o.seed}` }, (s, z) => {
    const sigma = 1 / (1 + Math.exp(-z));
    const left = leftOf(samples[s]!);
    const g = left * sigma;
    const { a: A, b: B, c: C } = samples[s]!;
    const mse = g * g * A + (1 - g) * (1 - g) * B + 2 * g * (1 - g) * C + floor;
    // under plain SW's PSNR (g = 0: mse B) the slope counts harmWeight times
    const harm = mse > B + floor ? harmWeight : 1;
    // loss = weighted mean of 10·log10(mse): its derivative in z through g = left·σ(z)
    return ((harm * weightOf(samples[s]!) * dbPerLn * (2 * g * A - 2 * (1 - g) * B + 2 * (1 - 2 * g) * C)) / mse / totalWeight) * left * sigma * (1 - sigma);
  });
  const { hidden: _h, ...fitted } = head(p, f, h);
  const gate: CleanGate = {
    classes: [...o.classes],
    statistics: [...(o.statistics ?? [])],
    hazeVeto: o.hazeVeto ?? null,
    hidden: h,
    mean,
    scale,
    ...fitted,
  };
  const meanPsnr = (share: (s: GateSample) => number) => samples.reduce((acc, s) => acc + weightOf(s) * blendPsnr(s, share(s), o.capDb), 0) / totalWeight;
  return { gate, before: meanPsnr(() => 0), after: meanPsnr((s) => leftOf(s) * gateShare(gate, s.features)) };
}

/** A sample counts as clean for the namer if it is undegraded or its input is at least this close to the clean image. */
export const NAMER_CLEAN_DB = 40;

/** The namer's label of a sample: 1 for clean (undegraded, or a degradation that left it at ≥ NAMER_CLEAN_DB), else 0. */
// @testSeam: tested directly
export function namerLabel(s: Pick<GateSample, 'a' | 'label'>): number {
  return s.label === 'clean' || s.a <= 10 ** (-NAMER_CLEAN_DB / 10) ? 1 : 0;
}

/**
 * The namer of a fitted gate: a second head over the gate's standardised features, fitted by
 * binary cross-entropy to namerLabel. Returns the gate with it, and the share of samples it
 * labels right at 0.5.
 */
export function fitCleanNamer(gate: CleanGate, samples: readonly GateSample[], o: { hidden: number; steps: number; lr: number; seed: number }): { gate: CleanGate; accuracy: number } {
  if (samples.length === 0) throw new Error('fitCleanNamer: no samples');
  const f = gate.mean.length;
  const x = samples.map((s) => Float64Array.from({ length: f }, (_, i) => (s.features[i]! - gate.mean[i]!) / gate.scale[i]!));
  const labels = samples.map(namerLabel);
  const n = samples.length;
  const p = trainMlp(x, o.hidden, { steps: o.steps, lr: o.lr, seed: `clean-namer:${o.seed}` }, (s, z) => (1 / (1 + Math.exp(-z)) - labels[s]!) / n);
  const named = { ...gate, namer: head(p, f, o.hidden) };
  const right = samples.reduce((acc, s, i) => acc + ((namerProbability(named.namer, named, s.features) >= 0.5 ? 1 : 0) === labels[i] ? 1 : 0), 0);
  return { gate: named, accuracy: right / n };
}
