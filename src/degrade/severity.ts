/**
 * Severity handling shared by every degradation: a number in [0,1] that each module maps onto its
 * own physical parameters (σ, blur length, JPEG quality, …).
 */
import { UsageError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/**
 * The given severity (validated), or one drawn for training. The draw starts at 0.1, not 0, so a
 * sample that carries a degradation label is actually degraded (a label on an untouched pixel
 * would teach the estimator and the segmentation head noise).
 */
export function resolveSeverity(rng: Rng, severity: number | undefined): number {
  if (severity === undefined) return rng.uniform(0.1, 1);
  if (!Number.isFinite(severity) || severity < 0 || severity > 1) {
    throw new UsageError(`severity must be a number in [0, 1], got ${severity}`);
  }
  return severity;
}

/** Linear map of severity s ∈ [0,1] onto [lo, hi]. */
export function lerp(lo: number, hi: number, s: number): number {
  return lo + (hi - lo) * s;
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
