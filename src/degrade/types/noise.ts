/**
 * Sensor noise. Three models, all calibrated so that severity s gives a noise standard deviation of
 * σ = 50·s (8-bit units) on mid-grey (0.5):
 * - gaussian: i.i.d. per channel (the classic denoising benchmark, BSD68 σ=15/25/50);
 * - gaussian-luma: channels correlated with coefficient ρ (demosaicking and colour processing
 *   make real noise partly grey);
 * - poisson-gaussian: signal-dependent shot noise plus read noise, variance a·x + b² (Foi et al.
 *   2008), the raw-sensor model; a fraction of the variance at mid-grey comes from the shot term.
 */
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { Degradation } from '../types.js';
import { resolveSeverity } from '../severity.js';

type NoiseKind = 'gaussian' | 'gaussian-luma' | 'poisson-gaussian';
export const NOISE_KINDS: readonly NoiseKind[] = ['gaussian', 'gaussian-luma', 'poisson-gaussian'];

type NoiseParams = {
  kind: NoiseKind;
  severity: number;
  /** noise std on mid-grey, in 8-bit units (0..50) */
  sigma: number;
  /** gaussian-luma: correlation between channels (0 = independent, 1 = pure grey noise) */
  correlation: number;
  /** poisson-gaussian: share of the variance at mid-grey that is shot noise */
  shotFraction: number;
};

const MAX_SIGMA = 50;

function clampUnit(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Poisson sample with mean λ: exact inversion for small λ (where the distribution is skewed and
 * discrete, i.e. dark pixels), the normal approximation above 30 (error negligible there).
 */
function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, lambda + Math.sqrt(lambda) * rng.normal());
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = rng.next();
  while (u > cdf && k < 200) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

function addGaussian(img: RGBImage, sd: number, rng: Rng): RGBImage {
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = clampUnit(src[i]! + sd * rng.normal());
  return { width: img.width, height: img.height, data: out };
}

function addCorrelated(img: RGBImage, sd: number, rho: number, rng: Rng): RGBImage {
  // n_c = √ρ·g + √(1-ρ)·e_c keeps each channel's std at sd and their correlation at ρ
  const shared = Math.sqrt(rho) * sd;
  const own = Math.sqrt(1 - rho) * sd;
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const g = shared * rng.normal();
    out[i] = clampUnit(src[i]! + g + own * rng.normal());
    out[i + 1] = clampUnit(src[i + 1]! + g + own * rng.normal());
    out[i + 2] = clampUnit(src[i + 2]! + g + own * rng.normal());
  }
  return { width: img.width, height: img.height, data: out };
}

function addPoissonGaussian(img: RGBImage, sd: number, shotFraction: number, rng: Rng): RGBImage {
  // variance at x: a·x + b², with a·0.5 = f·sd² and b² = (1-f)·sd²
  const a = (2 * shotFraction * sd * sd) || 1e-12;
  const b = Math.sqrt((1 - shotFraction) * sd * sd);
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = clampUnit(src[i]!);
    out[i] = clampUnit(a * poisson(x / a, rng) + b * rng.normal());
  }
  return { width: img.width, height: img.height, data: out };
}

export const noise: Degradation<NoiseParams> = {
  name: 'noise',
  description: 'sensor noise: Gaussian (independent or luma-correlated) or Poisson-Gaussian, σ up to 50/255',

  sample(rng: Rng, severity?: number): NoiseParams {
    const s = resolveSeverity(rng, severity);
    // the i.i.d. Gaussian of the benchmarks stays the most common
    const u = rng.next();
    const kind: NoiseKind = u < 0.5 ? 'gaussian' : u < 0.75 ? 'gaussian-luma' : 'poisson-gaussian';
    return {
      kind,
      severity: s,
      sigma: MAX_SIGMA * s,
      correlation: kind === 'gaussian-luma' ? rng.uniform(0.5, 1) : 0,
      shotFraction: kind === 'poisson-gaussian' ? rng.uniform(0.5, 0.95) : 0,
    };
  },

  apply(img: RGBImage, params: NoiseParams, rng: Rng): RGBImage {
    const sd = params.sigma / 255;
    switch (params.kind) {
      case 'gaussian':
        return addGaussian(img, sd, rng);
      case 'gaussian-luma':
        return addCorrelated(img, sd, params.correlation, rng);
      case 'poisson-gaussian':
        return addPoissonGaussian(img, sd, params.shotFraction, rng);
      default:
        throw new Error(`unknown noise kind ${String(params.kind)}; valid: ${NOISE_KINDS.join(', ')}`);
    }
  },
};

/** Exposed for tests and for sheets that want a specific model at a given σ. */
export function noiseParams(kind: NoiseKind, sigma: number, extra: Partial<NoiseParams> = {}): NoiseParams {
  return { kind, severity: sigma / MAX_SIGMA, sigma, correlation: 0.8, shotFraction: 0.7, ...extra };
}

