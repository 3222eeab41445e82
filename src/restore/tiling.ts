/**
 * Tiled processing with feathered blending, so images of any size go through a network with
 * bounded memory: only one tile tensor (input + output) is alive at a time, and the full-size
 * state is the output buffer (H·W·C floats) plus two 1-D weight sums (W + H floats).
 *
 * The tile layout, the feathering ramps and the blending arithmetic are pure and live in
 * tile-plan.ts (the browser restorer uses them too); they are re-exported here so existing imports
 * keep working. This file adds the tfjs side: running a tensor function per tile.
 */
import { tf } from '../engine/backend.js';
import type { RGBImage } from '../image/types.js';
import { addWeightedTile, copyTile, normaliseBlend, planGrid, resolveTiling, type Raster, type TilingOptions } from './tile-plan.js';

export {
  axisWeights,
  axisWeightSum,
  countTiles,
  DEFAULT_OVERLAP,
  DEFAULT_TILE_SIZE,
  planAxis,
  ramp,
  resolveTiling,
  type AxisTile,
  type Feather,
  type Raster,
  type ResolvedTiling,
  type TilingOptions,
} from './tile-plan.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Run `fn` on overlapping tiles of `src` and blend the results into one raster of `outChannels`
 * channels (default: the input's). `fn` gets [1,h,w,C] and must return [1,h,w,outChannels]; it is
 * called inside tf.tidy, and both tensors are disposed before the next tile.
 */
export async function processTiled(
  src: Raster,
  fn: (tile: tf.Tensor4D) => tf.Tensor4D,
  options: TilingOptions & {
    outChannels?: number;
    /** used instead of `fn` when given: an asynchronous tile function that honours the signal mid-tile */
    runAsync?: (tile: tf.Tensor4D, signal?: AbortSignal) => Promise<tf.Tensor4D>;
  } = {},
): Promise<Raster> {
  const tiling = resolveTiling(options);
  const { width, height, channels } = src;
  const outChannels = options.outChannels ?? channels;
  if (src.data.length !== width * height * channels) throw new Error(`raster data has ${src.data.length} values, expected ${width}×${height}×${channels}`);
  const grid = planGrid(width, height, tiling);
  const { xs, ys, total } = grid;
  const out = new Float32Array(width * height * outChannels);
  let done = 0;

  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      options.signal?.throwIfAborted();
      const tx = xs[i]!;
      const ty = ys[j]!;
      const tileData = copyTile(src, tx, ty);
      let result: tf.Tensor4D;
      if (options.runAsync) {
        const input = tf.tensor4d(tileData, [1, ty.size, tx.size, channels]);
        try {
          result = await options.runAsync(input, options.signal);
        } finally {
          input.dispose();
        }
      } else {
        result = tf.tidy(() => fn(tf.tensor4d(tileData, [1, ty.size, tx.size, channels])));
      }
      let values: Float32Array;
      try {
        const [n, h, w, c] = result.shape;
        if (n !== 1 || h !== ty.size || w !== tx.size || c !== outChannels) {
          throw new Error(`tile function returned shape [${result.shape.join(',')}] for a [1,${ty.size},${tx.size},${channels}] tile (expected ${outChannels} channels)`);
        }
        values = (await result.data()) as Float32Array;
      } finally {
        result.dispose();
      }
      addWeightedTile(out, width, outChannels, values, tx, ty, grid.wxs[i]!, grid.wys[j]!);
      done++;
      options.onProgress?.(done, total);
      await nextTurn(); // let timers / abort handlers run between tiles
    }
  }

  normaliseBlend(out, grid, outChannels);
  return { width, height, channels: outChannels, data: out };
}

/** processTiled for RGB → RGB (the restoration itself). */
export async function restoreTiled(
  image: RGBImage,
  fn: (tile: tf.Tensor4D) => tf.Tensor4D,
  options: TilingOptions & { runAsync?: (tile: tf.Tensor4D, signal?: AbortSignal) => Promise<tf.Tensor4D> } = {},
): Promise<RGBImage> {
  const result = await processTiled({ ...image, channels: 3 }, fn, { ...options, outChannels: 3 });
  return { width: result.width, height: result.height, data: result.data };
}
