/**
 * Small synthetic images for tests and benchmarks (no dataset files needed): a textured scene with
 * gradients, edges and fine detail, values kept inside [0.1, 0.9] so that noise is never clipped.
 */
import { createImage, type RGBImage } from '../image/types.js';
import { Rng } from '../util/rng.js';

export function texturedImage(width: number, height: number, seed = 1): RGBImage {
  const rng = new Rng(seed);
  const img = createImage(width, height);
  const fx = rng.uniform(0.05, 0.2);
  const fy = rng.uniform(0.05, 0.2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const edge = x > width / 2 !== y > height / 3 ? 0.15 : -0.15;
      const wave = 0.1 * Math.sin(fx * x + 2 * Math.sin(fy * y));
      const grain = 0.08 * (rng.next() - 0.5);
      for (let c = 0; c < 3; c++) {
        const ramp = 0.4 * ((c === 0 ? x / width : c === 1 ? y / height : 1 - x / width) - 0.5);
        img.data[i + c] = Math.min(0.9, Math.max(0.1, 0.5 + edge + wave + grain + ramp * 0.5));
      }
    }
  }
  return img;
}
