/** Image quality metrics (PSNR, SSIM) reproducing scikit-image 0.19 under named conventions. */
export type { MetricOptions, MetricSpace, SsimWindow } from './options.js';
export { psnr } from './psnr.js';
export { ssim } from './ssim.js';
export { toY } from './luma.js';
export { centerCrop, centerCropToMultiple } from './crop.js';
