/**
 * The evaluation protocol (PromptIR's, which the paper's tables follow), in one place:
 *
 * - Images are 8-bit: every degraded input is quantised to 8 bits as a saved PNG would be
 *   (round(x·255)/255, clipped), and so is every restored output before it is measured, so a
 *   score is the score of the files a user would get, not of float intermediates.
 * - Both images are centre-cropped to a multiple of 16 before measuring.
 * - PSNR over all values (data range 255); SSIM with our default 11×11 Gaussian window, plus
 *   scikit-image's default 7×7 uniform window (what PromptIR's code reports), channel-averaged.
 * - RGB by default; Y (BT.601 luma) on request, and every table says which.
 * - The random degradation of one image is seeded from `${suite}:${dataset}:${image}` only, so
 *   every run on every machine measures identical inputs.
 */
import type { RGBImage } from '../image/types.js';
import { psnr, ssim, type MetricSpace } from '../metrics/index.js';
import { Rng } from '../util/rng.js';

export const CROP_MULTIPLE = 16;

/** A PSNR of identical images is infinite; it is counted as this many dB so means stay finite. */
export const PSNR_CAP_DB = 100;

export const QUANTISATION_NOTE = 'inputs and restored outputs quantised to 8 bits (round(x·255)/255) before measuring';
export const SEED_RULE = 'degradation of each image seeded by Rng("<suite>:<dataset>:<image>")';

export interface Scores {
  /** dB, capped at PSNR_CAP_DB */
  psnr: number;
  /** Gaussian 11×11 window (σ 1.5), population covariance */
  ssim: number;
  /** scikit-image default: 7×7 uniform window, sample covariance */
  ssimUniform7: number;
}

/** round(x·255)/255 with clipping to [0,1]; NaN becomes 0 (as the PNG writer does). */
export function quantise8(img: RGBImage): RGBImage {
  const src = img.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    out[i] = v > 0 ? (v >= 1 ? 1 : Math.round(v * 255) / 255) : 0;
  }
  return { width: img.width, height: img.height, data: out };
}

/** The Rng that degrades one image of one dataset of one suite. */
export function seedFor(suite: string, dataset: string, image: string): string {
  return `${suite}:${dataset}:${image}`;
}

export function rngFor(suite: string, dataset: string, image: string): Rng {
  return new Rng(seedFor(suite, dataset, image));
}

/** Scores of `image` against `target` under the protocol (both already 8-bit; cropped here). */
export function measure(image: RGBImage, target: RGBImage, space: MetricSpace): Scores {
  const options = { space, cropMultiple: CROP_MULTIPLE };
  const p = psnr(image, target, options);
  return {
    psnr: Math.min(p, PSNR_CAP_DB),
    ssim: ssim(image, target, { ...options, ssimWindow: 'gaussian' }),
    ssimUniform7: ssim(image, target, { ...options, ssimWindow: 'uniform7' }),
  };
}

export function meanScores(list: readonly Scores[]): Scores {
  const n = list.length || 1;
  const sum = (key: keyof Scores) => list.reduce((s, x) => s + x[key], 0) / n;
  return { psnr: sum('psnr'), ssim: sum('ssim'), ssimUniform7: sum('ssimUniform7') };
}

export function protocolDescription(space: MetricSpace): string {
  return (
    `${space === 'y' ? 'Y channel (BT.601)' : 'RGB'} PSNR (dB) / SSIM (Gaussian 11×11, σ 1.5; skimage-default uniform 7×7 SSIM in the JSON), ` +
    `centre crop to a multiple of ${CROP_MULTIPLE}, ${QUANTISATION_NOTE}, ${SEED_RULE}`
  );
}
