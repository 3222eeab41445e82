/**
 * Turning a severity into varied parameters: geometric interpolation for scale-like quantities and
 * multiplicative jitter, so that one severity still yields a spread of looks. (Validation and the
 * training draw of the severity itself live in ../severity.ts.)
 */
import type { Rng } from '../../util/rng.js';

/** Interpolate geometrically (for scale-like quantities such as densities or photon counts). */
export function logLerp(a: number, b: number, t: number): number {
  return Math.exp(Math.log(a) + (Math.log(b) - Math.log(a)) * t);
}

/** A multiplicative factor uniform in [1 − rel, 1 + rel]. */
export function jitter(rng: Rng, rel: number): number {
  return 1 + rel * (2 * rng.next() - 1);
}
