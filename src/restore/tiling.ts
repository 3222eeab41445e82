/**
 * Tiled processing with feathered blending, so images of any size go through a network with
 * bounded memory: only one tile tensor (input + output) is alive at a time, and the full-size
 * state is the output buffer (H·W·C floats) plus two 1-D weight sums (W + H floats).
 *
 * The tile layout, the feathering ramps and the blending arithmetic are pure and live in
 * tile-plan.ts (the browser restorer uses them too); they are re-exported here so existing imports
 * keep working. This file adds running a tile function per tile and blending the results; tiles
 * are plain HWC arrays (Raster), so the restore path needs no tfjs (engines convert where they must).
 */
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
 * channels (default: the input's). `fn` gets an h×w×C tile and must return h×w×outChannels.
 */
export async function processTiled(
  src: Raster,
  fn: (tile: Raster) => Raster,
  options: TilingOptions & {
    outChannels?: number;
    /** used instead of `fn` when given: an asynchronous tile function that honours the signal mid-tile */
    runAsync?: (tile: Raster, signal?: AbortSignal) => Promise<Raster>;
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
      const tile: Raster = { width: tx.size, height: ty.size, channels, data: tileData };
      const result = options.runAsync ? await options.runAsync(tile, options.signal) : fn(tile);
      const { width: w, height: h, channels: c } = result;
      if (h !== ty.size || w !== tx.size || c !== outChannels || result.data.length !== h * w * c) {
        throw new Error(`tile function returned ${h}×${w}×${c} (${result.data.length} values) for a ${ty.size}×${tx.size}×${channels} tile (expected ${outChannels} channels)`);
      }
      addWeightedTile(out, width, outChannels, result.data, tx, ty, grid.wxs[i]!, grid.wys[j]!);
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
  fn: (tile: Raster) => Raster,
  options: TilingOptions & { runAsync?: (tile: Raster, signal?: AbortSignal) => Promise<Raster> } = {},
): Promise<RGBImage> {
  const result = await processTiled({ ...image, channels: 3 }, fn, { ...options, outChannels: 3 });
  return { width: result.width, height: result.height, data: result.data };
}
