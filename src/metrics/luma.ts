/** BT.601 luma as MATLAB's rgb2ycbcr and the Restormer/BasicSR evaluation compute it. */
import type { RGBImage } from '../image/types.js';

/**
 * Y = 16 + 65.481 R + 128.553 G + 24.966 B with R, G, B in [0,1]: "studio swing" luma on the
 * 0–255 scale (16–235 for in-range input). Not rounded: BasicSR keeps it in float, and the
 * scikit-image fixture values are reproduced this way. One value per pixel, row-major.
 */
export function toY(img: RGBImage): Float64Array {
  const n = img.width * img.height;
  const y = new Float64Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    y[i] = 16 + 65.481 * d[3 * i] + 128.553 * d[3 * i + 1] + 24.966 * d[3 * i + 2];
  }
  return y;
}
