/** Peak signal-to-noise ratio, as skimage.metrics.peak_signal_noise_ratio with data_range 255. */
import type { RGBImage } from '../image/types.js';
import type { MetricOptions } from './options.js';
import { DATA_RANGE, preparePlanes } from './planes.js';

/**
 * PSNR in dB = 10·log10(255² / MSE), the MSE taken over every value of every channel at once (not
 * a per-channel average of PSNRs). Identical images give Infinity (MSE 0), as skimage does; callers
 * averaging over a dataset should decide how to treat that. See planes.ts for quantisation.
 */
export function psnr(a: RGBImage, b: RGBImage, options: MetricOptions = {}): number {
  const planes = preparePlanes(a, b, options);
  let sum = 0;
  let count = 0;
  for (let c = 0; c < planes.a.length; c++) {
    const pa = planes.a[c];
    const pb = planes.b[c];
    for (let i = 0; i < pa.length; i++) {
      const d = pa[i] - pb[i];
      sum += d * d;
    }
    count += pa.length;
  }
  const mse = sum / count;
  return mse === 0 ? Infinity : 10 * Math.log10((DATA_RANGE * DATA_RANGE) / mse);
}
