/**
 * The estimator's input, computed on the JS side (pure: shared by Node and the
 * browser restorer).
 *
 * The estimator is trained (Phase III) on native-resolution inputSize² patches, so at inference
 * every runner shows it the same: a grid of native-resolution crops (`estimatorCrops`), whose
 * probabilities are averaged (`meanRows`). Resizing the whole image to inputSize² instead blurs
 * away the cues it was trained on (JPEG blocks, banding, noise grain, blur): on the shipped
 * estimator, 26 of 64 single degradations right with the resize vs 52 with a 3×3 grid of crops
 * (docs/decisions.md).
 */
import type { RGBImage } from '../image/types.js';

/** Crops per side of the grid the runners average over. */
const ESTIMATOR_GRID = 3;

/**
 * Crop offsets are multiples of this many pixels. JPEG codes an image in 8×8 blocks, 16×16
 * macroblocks under 4:2:0 chroma, always counted from the image's top-left pixel, and Phase III
 * degrades each training patch on its own, so the estimator only ever saw block edges in one phase
 * relative to its input. A crop that starts off the 16-pixel grid shows it the same artefacts
 * shifted, and it misses them: on held-out training photos at their own sizes (481×321, …), JPEG
 * got 0.64 of the SW weight with free offsets and 0.91 with offsets on the grid
 * (docs/decisions.md). Other degradations have no grid, so for them the snap only moves crops by
 * < 16 pixels.
 */
// @testSeam: tested directly
export const ESTIMATOR_CROP_ALIGN = 16;

/** A batch of estimator inputs: `count` images of size×size×3, stacked as [count, size, size, 3]. */
interface EstimatorBatch {
  data: Float32Array;
  count: number;
}

/**
 * The [1, size, size, 3] input the estimator would see, sampled on the JS side exactly as
 * tf.image.resizeBilinear(…, alignCorners = true) samples it. The estimator resizes to its input
 * size first anyway, so this gives the same probabilities without ever putting the full image
 * (600 MB for 50 MP) into the backend's memory. Used for images smaller than one crop.
 */
// @testSeam: tested directly
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

/**
 * Top-left offsets of `grid` crops of `size` along an axis of `extent` ≥ size pixels: evenly
 * spaced from 0 to extent − size (a single crop is centred), each rounded down to a multiple of
 * `align` (so every crop still fits), duplicates dropped (extent == size gives one).
 */
// @testSeam: tested directly
export function cropOffsets(extent: number, size: number, grid: number, align = 1): number[] {
  if (!Number.isInteger(align) || align < 1) throw new Error(`cropOffsets: align must be a positive integer, got ${align}`);
  const snap = (offset: number) => Math.floor(offset / align) * align;
  if (grid === 1) return [snap(Math.round((extent - size) / 2))];
  const offsets = Array.from({ length: grid }, (_, g) => snap(Math.round((g * (extent - size)) / (grid - 1))));
  return [...new Set(offsets)];
}

/**
 * The estimator's inputs for one image: a grid×grid set of native-resolution size² crops (rows
 * of crops top to bottom, left to right within a row), evenly spread over the image so the
 * average sees all of it, each starting on the `align` grid (the runners use the default,
 * ESTIMATOR_CROP_ALIGN); fewer when offsets coincide.
 *
 * An image smaller than `size` on either side has no native crop: it falls back to the whole
 * image resized to size² (one input), which is what the estimator itself would do to it (it
 * resizes any input to size²) and what the runners did before the crops.
 */
export function estimatorCrops(image: RGBImage, size: number, grid = ESTIMATOR_GRID, align = ESTIMATOR_CROP_ALIGN): EstimatorBatch {
  if (!Number.isInteger(grid) || grid < 1) throw new Error(`estimatorCrops: grid must be a positive integer, got ${grid}`);
  const { width, height, data } = image;
  if (width < size || height < size) return { data: estimatorInput(image, size), count: 1 };
  const xs = cropOffsets(width, size, grid, align);
  const ys = cropOffsets(height, size, grid, align);
  const cropLength = size * size * 3;
  const out = new Float32Array(xs.length * ys.length * cropLength);
  let at = 0;
  for (const y0 of ys) {
    for (const x0 of xs) {
      for (let y = 0; y < size; y++) {
        const from = ((y0 + y) * width + x0) * 3;
        out.set(data.subarray(from, from + size * 3), at);
        at += size * 3;
      }
    }
  }
  return { data: out, count: xs.length * ys.length };
}

/**
 * The mean of `count` rows stored one after another in `rows` (e.g. per-crop probabilities,
 * [count, K] flattened) → one row of K, summed in double precision so every average
 * rounds the same.
 */
export function meanRows(rows: ArrayLike<number>, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 1 || rows.length % count !== 0) {
    throw new Error(`meanRows: ${rows.length} values are not ${count} equal rows`);
  }
  const k = rows.length / count;
  const sums = new Float64Array(k);
  for (let r = 0; r < count; r++) for (let j = 0; j < k; j++) sums[j] = sums[j]! + rows[r * k + j]!;
  return Float32Array.from(sums, (s) => s / count);
}
