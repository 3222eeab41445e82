/**
 * The estimator's input, computed on the JS side (pure: shared by the Node engines and the
 * browser restorer).
 */
import type { RGBImage } from '../image/types.js';

/**
 * The [1, size, size, 3] input the estimator would see, sampled on the JS side exactly as
 * tf.image.resizeBilinear(…, alignCorners = true) samples it. The estimator resizes to its input
 * size first anyway, so this gives the same probabilities without ever putting the full image
 * (600 MB for 50 MP) into the backend's memory.
 */
export function estimatorInput(image: RGBImage, size: number): Float32Array {
  const { width, height, data } = image;
  const out = new Float32Array(size * size * 3);
  const scaleY = size > 1 ? (height - 1) / (size - 1) : 0;
  const scaleX = size > 1 ? (width - 1) / (size - 1) : 0;
  for (let oy = 0; oy < size; oy++) {
    const sy = oy * scaleY;
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let ox = 0; ox < size; ox++) {
      const sx = ox * scaleX;
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const tl = data[(y0 * width + x0) * 3 + c]!;
        const tr = data[(y0 * width + x1) * 3 + c]!;
        const bl = data[(y1 * width + x0) * 3 + c]!;
        const br = data[(y1 * width + x1) * 3 + c]!;
        const top = tl + (tr - tl) * fx;
        const bottom = bl + (br - bl) * fx;
        out[(oy * size + ox) * 3 + c] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}
