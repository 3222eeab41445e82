/** Options shared by every metric: which colour space, how to crop, which SSIM window. */

/** 'rgb': all three channels. 'y': BT.601 luma only (Restormer's single-task convention). */
export type MetricSpace = 'rgb' | 'y';

/**
 * 'gaussian': 11x11 Gaussian window (sigma 1.5, truncate 3.5), population covariance: Wang et al.
 * 2004 and Restormer. 'uniform7': scikit-image's default 7x7 mean window with sample covariance,
 * which PromptIR's evaluation uses.
 */
export type SsimWindow = 'gaussian' | 'uniform7';

export interface MetricOptions {
  /** default 'rgb' */
  space?: MetricSpace;
  /** Centre-crop both images to the largest multiple of this (e.g. 16) before anything else. */
  cropMultiple?: number;
  /** Shave this many pixels from every edge (after cropMultiple). */
  border?: number;
  /** default 'gaussian' (SSIM only) */
  ssimWindow?: SsimWindow;
}
