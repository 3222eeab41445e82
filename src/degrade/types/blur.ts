/**
 * Blur: camera-shake motion (the GoPro-style deblurring task), plus Gaussian (out-of-focus as the
 * benchmarks usually model it) and a defocus disk (what a real lens does). Lengths and radii are in
 * pixels of the image being degraded, calibrated for 256² training crops: severity 1 gives a shake
 * path of 25 px, a Gaussian σ of 4 px or a disk of radius 8 px.
 */
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { Degradation } from '../types.js';
import { convolve2d, convolveSeparable, type Kernel } from '../convolve.js';
import { diskKernel, gaussian1d, gaussianKernel, motionKernel } from '../kernels.js';
import { lerp, resolveSeverity } from '../severity.js';

type BlurKind = 'motion' | 'gaussian' | 'defocus';
export const BLUR_KINDS: readonly BlurKind[] = ['motion', 'gaussian', 'defocus'];

type MotionBlurParams = { kind: 'motion'; severity: number; length: number; kernelSeed: number };
type GaussianBlurParams = { kind: 'gaussian'; severity: number; sigma: number };
type DefocusBlurParams = { kind: 'defocus'; severity: number; radius: number };
// @testSeam: tested directly (blur.test.ts)
export type BlurParams = MotionBlurParams | GaussianBlurParams | DefocusBlurParams;

/** Severity → size, per kind. */
const BLUR_RANGES = {
  motionLength: [3, 25],
  gaussianSigma: [0.6, 4],
  defocusRadius: [1, 8],
} as const;

export function blurParamsFor(kind: BlurKind, severity: number, rng: Rng): BlurParams {
  switch (kind) {
    case 'motion':
      return { kind, severity, length: lerp(...BLUR_RANGES.motionLength, severity), kernelSeed: rng.nextUint32() };
    case 'gaussian':
      return { kind, severity, sigma: lerp(...BLUR_RANGES.gaussianSigma, severity) };
    case 'defocus':
      return { kind, severity, radius: lerp(...BLUR_RANGES.defocusRadius, severity) };
    default:
      throw new Error(`unknown blur kind ${String(kind)}; valid: ${BLUR_KINDS.join(', ')}`);
  }
}

/** The (normalised) kernel the params describe; the Gaussian is returned in 2-D form. */
// @testSeam: tested directly (blur.test.ts)
export function blurKernel(params: BlurParams): Kernel {
  switch (params.kind) {
    case 'motion':
      return motionKernel(params.length, params.kernelSeed);
    case 'gaussian':
      return gaussianKernel(params.sigma);
    case 'defocus':
      return diskKernel(params.radius);
  }
}

export const blur: Degradation<BlurParams> = {
  name: 'blur',
  description: 'camera-shake motion blur (paths up to 25 px), Gaussian (σ ≤ 4 px) or defocus disk (r ≤ 8 px)',

  sample(rng: Rng, severity?: number): BlurParams {
    const s = resolveSeverity(rng, severity);
    // motion blur is the paper's deblurring task (GoPro), so it dominates
    const u = rng.next();
    const kind: BlurKind = u < 0.6 ? 'motion' : u < 0.8 ? 'gaussian' : 'defocus';
    return blurParamsFor(kind, s, rng);
  },

  apply(img: RGBImage, params: BlurParams): RGBImage {
    // the Gaussian is separable (2·(2r+1) taps instead of (2r+1)²); the others run as sparse 2-D
    if (params.kind === 'gaussian') return convolveSeparable(img, gaussian1d(params.sigma));
    return convolve2d(img, blurKernel(params));
  },
};
