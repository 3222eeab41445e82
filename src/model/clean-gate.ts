/**
 * The clean gate: the share g of the input that SW keeps (output = g·input + (1 − g)·SW), read
 * from what the estimator said about each of its crops and from the crops' dark-channel level.
 *
 * Why a gate on top of the estimator and not its own "clean" output: the estimator averages its
 * probabilities over a 3×3 grid of crops and, alone, cannot tell mild haze or a textured photo from
 * a clean one (hazy held-out crops got p(clean) ≈ 0.45, docs/decisions.md). Two cues it does not
 * combine itself separate them better: a real degradation is claimed on every crop, a false claim
 * on a clean photo usually by one or two (so the per-crop minimum and maximum of each logit), and
 * the dark channel that haze lifts. A small MLP reads those and is fitted to what the keep share
 * is for — the PSNR of the blended output against the clean photo, capped so that clean photos
 * cannot buy their last decibels with the degraded ones (src/train/phases/clean-gate.ts) — not to
 * a clean/degraded label, so it also keeps the input where SW would make a mild degradation worse.
 *
 * The keep share answers "how much of the input is best kept", not "is this photo clean": where SW
 * gains nothing (a mild blur the tiny model cannot sharpen) keeping is free and the gate keeps. So
 * a gate may carry a second head over the same features, the namer, fitted to clean/degraded
 * labels: its probability is the p(clean) reported beside the classes and the one that names the
 * photo clean; the keep share still decides the blend (docs/decisions.md, "The clean namer").
 *
 * Stored as `clean-gate.json` in the model folder, beside the estimator it was fitted to (its
 * sha256 is recorded and checked: a retrained estimator needs a refitted gate). Plain arrays: no
 * tfjs, no Node APIs, so the browser runs the same code.
 */
import { lumaContrast, speckFraction } from '../image/crop-texture.js';
import { darkChannelQuantiles } from '../image/dark-channel.js';
import { hazeVeto } from './haze-veto.js';

/** The gate's file in a model folder. */
export const CLEAN_GATE_FILE = 'clean-gate.json';
export const CLEAN_GATE_FORMAT = 'abair-clean-gate';
export const CLEAN_GATE_VERSION = 1;

/**
 * What a gate reads of the estimator's crops themselves, beside the estimator's outputs.
 * Why the 1st percentile of the dark channel as well as the 10th: haze lifts even the darkest
 * pixels, while the 10th percentile of a clean photo with much sky or a white wall is high too
 * (what it gained on held-out crops: docs/decisions.md).
 */
export interface CropStatistics {
  /** the pooled dark channel at its 10th percentile (darkChannelLevel): every gate reads it */
  dark: number;
  /** at its 1st percentile: read by gates that list 'dark01' */
  dark01: number;
  /** the fraction of bright-speck pixels (speckFraction): read by gates that list 'specks' */
  specks: number;
  /** the crops' mean luma standard deviation (lumaContrast): read by gates that list 'contrast' */
  contrast: number;
}

/** The statistics a gate may read beyond `dark`, appended to its features in the order it lists them. */
export const OPTIONAL_STATISTICS = ['dark01', 'specks', 'contrast'] as const;
export type OptionalStatistic = (typeof OPTIONAL_STATISTICS)[number];

/** The statistics of `count` estimator crops of size² ([count, size, size, 3]). */
export function cropStatistics(crops: Float32Array, count: number, size: number): CropStatistics {
  const [dark, dark01] = darkChannelQuantiles(crops, count, size, [0.1, 0.01]);
  return { dark: dark!, dark01: dark01!, specks: speckFraction(crops, count, size), contrast: lumaContrast(crops, count, size) };
}

/** A one-hidden-layer tanh MLP head over the gate's standardised features, sigmoid output. */
export interface CleanNamer {
  hidden: number;
  /** [features × hidden], row-major */
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number;
}

/** The dark-channel levels a haze veto may read: the 10th percentile (`dark`) or the 1st (`dark01`). */
export const VETO_LEVELS = ['dark', 'dark01'] as const;
export type VetoLevel = (typeof VETO_LEVELS)[number];

/**
 * A haze veto's ramp on one dark-channel level (absent `level`: the 10th percentile, as in files
 * from before it could be chosen). Why the 1st percentile may serve: haze lifts even a photo's
 * darkest pixels, sky and white walls only some (docs/decisions.md).
 */
export interface HazeVetoRamp {
  from: number;
  to: number;
  level?: VetoLevel;
}

/** What a haze veto leaves of the keep share for crops with `stats`: 1 − hazeVeto(level, from, to); 1 without a veto. */
export function vetoLeft(veto: HazeVetoRamp | null, stats: CropStatistics): number {
  return veto ? 1 - hazeVeto(stats[veto.level ?? 'dark'], veto.from, veto.to) : 1;
}

/** The fitted gate: a one-hidden-layer tanh MLP over standardised features, sigmoid output. */
export interface CleanGate {
  /** the estimator classes it reads, in the estimator's order */
  classes: string[];
  /** the optional crop statistics it reads (absent in files written before there were any: none) */
  statistics: OptionalStatistic[];
  /**
   * the haze veto on its share, or null: the share × vetoLeft (1 − hazeVeto of the dark-channel
   * level it names, the 10th percentile by default, from, to). Why: what the
   * gate still keeps of hazy photos the dark level alone gives back (docs/decisions.md)
   */
  hazeVeto: HazeVetoRamp | null;
  hidden: number;
  /** per-feature standardisation of the training features: (x − mean) / scale */
  mean: number[];
  scale: number[];
  /** [features × hidden], row-major */
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number;
  /** the namer: p(clean) as a label, over the same standardised features; absent or null in gates without one */
  namer?: CleanNamer | null;
  /**
   * with a namer: the keep share is raised to namerKeep(p(clean), from, to) where that is larger;
   * absent or null: the share alone (docs/decisions.md, "A sure namer keeps the photo")
   */
  namerKeep?: { from: number; to: number } | null;
}

/** Probabilities are clamped this far from 0 and 1 before their logits are taken. */
const P_CLAMP = 1e-4;
/** The dark-channel level (in [0, 1]) enters ×10, on the scale of the logits. */
const DARK_SCALE = 10;

const clampP = (p: number) => Math.min(Math.max(p, P_CLAMP), 1 - P_CLAMP);
const logit = (p: number) => {
  const q = clampP(p);
  return Math.log(q / (1 - q));
};

/**
 * Features per image for `classCount` classes: mean-probability logits, dark level, log Π(1 − p̄),
 * per-crop min and max logits, then the `optional` statistics.
 */
// @testSeam: tested directly
export function gateFeatureCount(classCount: number, optional = 0): number {
  return 3 * classCount + 2 + optional;
}

/**
 * The gate's features of one image. `rows` holds the estimator's per-crop outputs, `count` rows
 * of `stride` values (stride = classCount, or classCount + 1 when the estimator also outputs
 * p(clean), which the gate does not read); `stats` are cropStatistics of the same crops, of which
 * `optional` are appended (each ×10, like the dark level).
 */
export function gateFeatures(rows: ArrayLike<number>, count: number, stride: number, classCount: number, stats: CropStatistics, optional: readonly OptionalStatistic[] = []): Float64Array {
  if (!Number.isInteger(count) || count < 1 || rows.length !== count * stride || stride < classCount) {
    throw new Error(`gateFeatures: ${rows.length} values are not ${count} rows of ${stride} (${classCount} classes)`);
  }
  const k = classCount;
  const out = new Float64Array(gateFeatureCount(k, optional.length));
  let keepAll = 0;
  for (let j = 0; j < k; j++) {
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < count; r++) {
      const p = rows[r * stride + j]!;
      sum += p;
      const l = logit(p);
      if (l < lo) lo = l;
      if (l > hi) hi = l;
    }
    const mean = sum / count;
    out[j] = logit(mean);
    keepAll += Math.log(1 - clampP(mean));
    out[k + 2 + j] = lo;
    out[2 * k + 2 + j] = hi;
  }
  out[k] = stats.dark * DARK_SCALE;
  out[k + 1] = keepAll;
  for (const [i, name] of optional.entries()) out[3 * k + 2 + i] = stats[name] * DARK_SCALE;
  return out;
}

/** The gate's keep share for one image's features, in (0, 1). */
export function gateShare(gate: CleanGate, features: ArrayLike<number>): number {
  return headOutput(gate, gate, features, 'gateShare');
}

/** The namer's p(clean) for one image's features (the gate's standardisation), in (0, 1). */
export function namerProbability(namer: CleanNamer, gate: Pick<CleanGate, 'mean' | 'scale'>, features: ArrayLike<number>): number {
  return headOutput(namer, gate, features, 'namerProbability');
}

function headOutput(head: CleanNamer, norm: Pick<CleanGate, 'mean' | 'scale'>, features: ArrayLike<number>, what: string): number {
  const f = norm.mean.length;
  if (features.length !== f) throw new Error(`${what}: ${features.length} features, the gate reads ${f}`);
  let z = head.b2;
  for (let h = 0; h < head.hidden; h++) {
    let a = head.b1[h]!;
    for (let i = 0; i < f; i++) a += ((features[i]! - norm.mean[i]!) / norm.scale[i]!) * head.w1[i * head.hidden + h]!;
    z += Math.tanh(a) * head.w2[h]!;
  }
  return 1 / (1 + Math.exp(-z));
}

/**
 * Both of a gate's answers for one image: the keep share — the gate's MLP on the features of the
 * estimator's per-crop `rows` and the crops' `stats`, times what its haze veto leaves — and p(clean), the namer's
 * probability (the keep share itself for a gate without a namer). The haze veto scales both: alone,
 * the namer called 24 % of hazy held-out probe photos clean (docs/decisions.md, "The clean namer").
 * A gate with a namerKeep then raises the share to what a sure p(clean) asks for.
 */
export function gateOutputs(gate: CleanGate, rows: ArrayLike<number>, count: number, stride: number, stats: CropStatistics): { keep: number; clean: number } {
  const features = gateFeatures(rows, count, stride, gate.classes.length, stats, gate.statistics);
  const left = vetoLeft(gate.hazeVeto, stats);
  const share = gateShare(gate, features) * left;
  if (!gate.namer) return { keep: share, clean: share };
  const clean = namerProbability(gate.namer, gate, features) * left;
  const keep = gate.namerKeep ? Math.max(share, namerKeep(clean, gate.namerKeep.from, gate.namerKeep.to)) : share;
  return { keep, clean };
}

/**
 * The keep share a namer's p(clean) asks for: 0 at or below `from`, 1 at or above `to`, linear
 * between. Why: the keep share is fitted to PSNR over the training generators, and on some clean
 * photos it stays low (0.03–0.06) where the namer is sure they are clean (p 0.98–0.99); a sure
 * namer keeps the input (docs/decisions.md, "A sure namer keeps the photo").
 */
export function namerKeep(clean: number, from: number, to: number): number {
  if (!(to > from)) throw new RangeError(`namer keep: 'to' (${to}) must be above 'from' (${from})`);
  return Math.min(1, Math.max(0, (clean - from) / (to - from)));
}

const isNumbers = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Checks a gate read from JSON (the `gate` record of clean-gate.json, or a web manifest's copy)
 * against the estimator's classes; returns it typed, or throws an Error that says what is wrong.
 */
export function checkCleanGate(value: unknown, classes: readonly string[]): CleanGate {
  if (typeof value !== 'object' || value === null) throw new Error('the clean gate is not an object');
  const g = value as Record<string, unknown>;
  const gateClasses = g['classes'];
  if (!Array.isArray(gateClasses) || gateClasses.length !== classes.length || gateClasses.some((c, i) => c !== classes[i])) {
    throw new Error(`the clean gate reads classes [${Array.isArray(gateClasses) ? gateClasses.join(', ') : '?'}], the estimator has [${classes.join(', ')}]`);
  }
  const hidden = g['hidden'];
  if (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden < 1) throw new Error('the clean gate: hidden must be a positive integer');
  const statistics = g['statistics'] ?? [];
  if (!Array.isArray(statistics) || statistics.some((x) => !(OPTIONAL_STATISTICS as readonly unknown[]).includes(x)) || new Set(statistics).size !== statistics.length) {
    throw new Error(`the clean gate: statistics must be distinct names among ${OPTIONAL_STATISTICS.join(', ')}`);
  }
  const range = checkRange(g['hazeVeto'] ?? null, 'hazeVeto');
  const level = range ? (g['hazeVeto'] as Record<string, unknown>)['level'] : undefined;
  if (level !== undefined && !(VETO_LEVELS as readonly unknown[]).includes(level)) throw new Error(`the clean gate: hazeVeto.level must be one of ${VETO_LEVELS.join(', ')}`);
  const veto: HazeVetoRamp | null = range ? { ...range, ...(level !== undefined && level !== 'dark' ? { level: level as VetoLevel } : {}) } : null;
  const keepRamp = checkRange(g['namerKeep'] ?? null, 'namerKeep');
  const f = gateFeatureCount(classes.length, statistics.length);
  for (const [name, n] of [['mean', f], ['scale', f], ['w1', f * hidden], ['b1', hidden], ['w2', hidden]] as const) {
    if (!isNumbers(g[name], n)) throw new Error(`the clean gate: ${name} must be ${n} finite numbers`);
  }
  const namer = checkNamer(g['namer'] ?? null, f);
  if ((g['scale'] as number[]).some((s) => !(s > 0))) throw new Error('the clean gate: every scale must be above 0');
  if (typeof g['b2'] !== 'number' || !Number.isFinite(g['b2'])) throw new Error('the clean gate: b2 must be a finite number');
  if (keepRamp && !namer) throw new Error('the clean gate: namerKeep needs a namer');
  return { classes: [...classes], statistics: statistics as OptionalStatistic[], hazeVeto: veto, hidden, mean: g['mean'] as number[], scale: g['scale'] as number[], w1: g['w1'] as number[], b1: g['b1'] as number[], w2: g['w2'] as number[], b2: g['b2'], ...(namer ? { namer } : {}), ...(keepRamp ? { namerKeep: keepRamp } : {}) };
}

/** A {from, to} ramp read from JSON (null: none), 0 ≤ from < to ≤ 1; throws an Error naming the field. */
function checkRange(value: unknown, name: string): { from: number; to: number } | null {
  if (value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof value !== 'object' || typeof v['from'] !== 'number' || typeof v['to'] !== 'number' || !(v['from'] >= 0 && v['to'] > v['from'] && v['to'] <= 1)) {
    throw new Error(`the clean gate: ${name} must be null or {from, to} with 0 ≤ from < to ≤ 1`);
  }
  return { from: v['from'], to: v['to'] };
}

/** A namer read from JSON (null: none) for `f` features; throws an Error that says what is wrong. */
function checkNamer(value: unknown, f: number): CleanNamer | null {
  if (value === null) return null;
  if (typeof value !== 'object') throw new Error('the clean gate: namer must be an object or null');
  const n = value as Record<string, unknown>;
  const hidden = n['hidden'];
  if (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden < 1) throw new Error('the clean gate: namer.hidden must be a positive integer');
  for (const [name, len] of [['w1', f * hidden], ['b1', hidden], ['w2', hidden]] as const) {
    if (!isNumbers(n[name], len)) throw new Error(`the clean gate: namer.${name} must be ${len} finite numbers`);
  }
  if (typeof n['b2'] !== 'number' || !Number.isFinite(n['b2'])) throw new Error('the clean gate: namer.b2 must be a finite number');
  return { hidden, w1: n['w1'] as number[], b1: n['b1'] as number[], w2: n['w2'] as number[], b2: n['b2'] };
}
