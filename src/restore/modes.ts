/**
 * Inference modes: how the estimator's per-class probabilities become the adapter weights that
 * the model runner merges for one image.
 *
 *   sw                      soft weights: the softmax of the estimator's logits, times its
 *                           swExponent (softWeights in src/model/soft-weights.ts), a convex blend of trained adapters. The
 *                           estimator is multi-label (independent sigmoids), so its raw
 *                           probabilities can sum to more than 1 or to almost 0; dividing them by
 *                           their sum (the first rule) let wrong classes dilute the right one.
 *                           All-zero probabilities fall back to uniform weights.
 *   oh                      one-hot on the most likely class (first one on ties).
 *   adapter:<name>          one-hot on a named class, ignoring the estimator (oracle / debugging).
 *   weights:rain=0.7,...    explicit weights, used as given; unnamed classes get 0.
 */
import { UsageError } from '../util/errors.js';
import { CLEAN_OUTPUT, cleanWeight, softWeights } from '../model/soft-weights.js';

export type RestoreMode =
  | { kind: 'sw' }
  | { kind: 'oh' }
  | { kind: 'adapter'; name: string }
  | { kind: 'weights'; weights: Record<string, number> };

export const MODE_SYNTAX = "sw | oh | adapter:<name> | weights:<name>=<w>,<name>=<w>…";

/** Parse the textual mode (CLI --mode / library option). Names are checked later against the model's classes. */
export function parseMode(text: string): RestoreMode {
  const value = text.trim();
  const lower = value.toLowerCase();
  if (lower === 'sw') return { kind: 'sw' };
  if (lower === 'oh') return { kind: 'oh' };
  if (lower.startsWith('adapter:')) {
    const name = value.slice('adapter:'.length).trim();
    if (!name) throw new UsageError(`mode '${text}' names no adapter (expected ${MODE_SYNTAX})`);
    return { kind: 'adapter', name };
  }
  if (lower.startsWith('weights:')) {
    const weights: Record<string, number> = {};
    const body = value.slice('weights:'.length);
    for (const part of body.split(',')) {
      const [rawName, rawWeight, extra] = part.split('=');
      const name = rawName?.trim() ?? '';
      const weight = Number(rawWeight?.trim());
      if (!name || rawWeight === undefined || extra !== undefined || rawWeight.trim() === '' || !Number.isFinite(weight) || weight < 0) {
        throw new UsageError(`bad adapter weight '${part.trim()}' in mode '${text}' (expected name=<number ≥ 0>)`);
      }
      if (name in weights) throw new UsageError(`adapter '${name}' is given twice in mode '${text}'`);
      weights[name] = weight;
    }
    return { kind: 'weights', weights };
  }
  throw new UsageError(`unknown mode '${text}' (expected ${MODE_SYNTAX})`);
}

/** The textual form of a mode: the inverse of parseMode. */
export function formatMode(mode: RestoreMode): string {
  switch (mode.kind) {
    case 'sw':
    case 'oh':
      return mode.kind;
    case 'adapter':
      return `adapter:${mode.name}`;
    case 'weights':
      return `weights:${Object.entries(mode.weights).map(([name, w]) => `${name}=${w}`).join(',')}`;
  }
}

function classIndex(name: string, classes: readonly string[]): number {
  const index = classes.indexOf(name);
  if (index < 0) throw new UsageError(`unknown adapter '${name}' (this model has: ${classes.join(', ')})`);
  return index;
}

/**
 * The adapter weight vector (one entry per class) for a mode and the estimator's probabilities.
 * `swExponent` is the estimator's SW calibration (EstimatorConfig.swExponent; only sw uses it).
 */
export function adapterWeightsFor(mode: RestoreMode, probabilities: ArrayLike<number>, classes: readonly string[], swExponent = 1): Float32Array {
  const k = classes.length;
  if (probabilities.length !== k) throw new Error(`estimator returned ${probabilities.length} probabilities for ${k} classes`);
  const weights = new Float32Array(k);
  switch (mode.kind) {
    case 'sw':
      return softWeights(probabilities, swExponent);
    case 'oh': {
      let best = 0;
      for (let i = 1; i < k; i++) if (probabilities[i]! > probabilities[best]!) best = i;
      if (k > 0) weights[best] = 1;
      return weights;
    }
    case 'adapter':
      weights[classIndex(mode.name, classes)] = 1;
      return weights;
    case 'weights':
      for (const [name, weight] of Object.entries(mode.weights)) weights[classIndex(name, classes)] = weight;
      return weights;
  }
}

/**
 * A model runner's estimate split into the per-class probabilities, p(clean) and the share of the
 * input to keep: estimators with the clean output (EstimatorConfig.clean) or a clean gate return
 * one value more than there are classes, used as both; a gate with a namer returns two, the keep
 * share then p(clean) (src/model/clean-gate.ts); older ones return the classes only, and `clean`
 * and `keep` are then NaN (not estimated).
 */
export function splitEstimate(raw: Float32Array, classCount: number): { probabilities: Float32Array; clean: number; keep: number } {
  if (raw.length === classCount + 2 && classCount > 0) return { probabilities: raw.subarray(0, classCount), keep: raw[classCount]!, clean: raw[classCount + 1]! };
  if (raw.length === classCount + 1 && classCount > 0) return { probabilities: raw.subarray(0, classCount), clean: raw[classCount]!, keep: raw[classCount]! };
  if (raw.length !== classCount) throw new Error(`estimator returned ${raw.length} probabilities for ${classCount} classes`);
  return { probabilities: raw, clean: Number.NaN, keep: Number.NaN };
}

/**
 * How much of the input an SW restoration keeps: only in sw mode with keep-clean on, and only when
 * the probabilities were estimated (not NaN); else 0. With the estimator's own p(clean) (`clean`,
 * finite; the gate's keep share, splitEstimate's `keep`) the share is that: output = keep·input +
 * (1 − keep)·restored. Without it, the share is derived from the classes (cleanWeight, Π(1 − p_i)),
 * as before the clean output.
 */
export function cleanShareFor(mode: RestoreMode, probabilities: ArrayLike<number>, keepClean: boolean, swExponent = 1, keep = Number.NaN): number {
  if (mode.kind !== 'sw' || !keepClean || probabilities.length === 0) return 0;
  if (!Array.from(probabilities).every(Number.isFinite)) return 0;
  if (Number.isFinite(keep)) return Math.min(Math.max(keep, 0), 1);
  return cleanWeight(probabilities, swExponent);
}

/** The estimator's outputs by name: one per class, and `clean` when it estimated p(clean). */
export function probabilityRecord(probabilities: ArrayLike<number>, classes: readonly string[], clean: number): Record<string, number> {
  const record = byClass(probabilities, classes);
  if (Number.isFinite(clean)) record[CLEAN_OUTPUT] = clean;
  return record;
}

/** A per-class vector as a name → value record (for results and printing). */
export function byClass(values: ArrayLike<number>, classes: readonly string[]): Record<string, number> {
  const record: Record<string, number> = {};
  classes.forEach((name, i) => (record[name] = values[i]!));
  return record;
}

/** "rain 0.81, haze 0.12, …" sorted by decreasing value. */
export function formatProbabilities(record: Record<string, number>, digits = 2): string {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([name, p]) => `${name} ${p.toFixed(digits)}`)
    .join(', ');
}
