/** 1-D filter taps for the SSIM windows, built the way scipy.ndimage builds them. */

/** Normalised Gaussian taps: radius = floor(truncate·sigma + 0.5), so sigma 1.5, truncate 3.5 → 11 taps. */
export function gaussianKernel(sigma: number, truncate: number): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 * x * x) / (sigma * sigma));
    taps[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  return taps;
}

/** Equal taps summing to 1 (a moving mean). */
export function uniformKernel(size: number): Float64Array {
  return new Float64Array(size).fill(1 / size);
}
