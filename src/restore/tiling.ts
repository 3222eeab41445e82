/**
 * Tiled processing with feathered blending, so images of any size go through a network with
 * bounded memory: only one tile tensor (input + output) is alive at a time, and the full-size
 * state is the output buffer (H·W·C floats) plus two 1-D weight sums (W + H floats).
 *
 * Layout along each axis: tiles of `tileSize` with stride `tileSize − overlap`; the last tile is
 * shifted inward so it is full-size too (it then overlaps its neighbour by more); an axis shorter
 * than a tile is one tile of the axis' length. Tiles form a grid (every row of tiles has the same
 * x positions), and each tile's blending weight is separable, w(x,y) = wx(x)·wy(y). The sum of the
 * weights at a pixel is therefore Sx(x)·Sy(y), which is why no H·W weight buffer is needed.
 *
 * Feathering across an overlap of width `overlap` with a `margin`: on a side that has a neighbour,
 * the outermost `margin` pixels get weight 0 (a network zero-pads at the tile border, so those
 * pixels are the least trustworthy), then the weight ramps up (linear or raised cosine) over the
 * next `overlap − 2·margin` pixels and is 1 beyond. Two neighbours at the nominal stride ramp over
 * the same pixels and their ramps sum to exactly 1. Consequence: for a translation-equivariant
 * per-tile function whose receptive field radius r ≤ margin, tiled == whole-image (up to float
 * rounding), because every pixel with non-zero weight saw its whole receptive field. Image
 * borders (no neighbour) are never feathered.
 */
import { tf } from '../engine/backend.js';
import type { RGBImage } from '../image/types.js';
import { UsageError } from '../cli/errors.js';

/** A float image with any number of interleaved channels (HWC). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export type Feather = 'linear' | 'cosine';

export interface TilingOptions {
  /** Tile side in pixels (default 512). */
  tileSize?: number;
  /** Overlap between neighbouring tiles in pixels (default 32, at most tileSize / 2). */
  overlap?: number;
  /** Pixels at each interior tile edge that get zero weight (default ⌊overlap / 4⌋, < overlap / 2). */
  margin?: number;
  /** Ramp shape across the overlap (default 'cosine'). */
  feather?: Feather;
  /** Called after every tile with (tiles done, tiles total). */
  onProgress?: (done: number, total: number) => void;
  /** Checked before every tile; when aborted the promise rejects with signal.reason (an AbortError by default). */
  signal?: AbortSignal;
}

export const DEFAULT_TILE_SIZE = 512;
export const DEFAULT_OVERLAP = 32;

/** One tile's extent along one axis. */
export interface AxisTile {
  start: number;
  size: number;
  hasPrev: boolean;
  hasNext: boolean;
}

export interface ResolvedTiling {
  tileSize: number;
  overlap: number;
  margin: number;
  feather: Feather;
}

/** Fill in defaults and check the tiling parameters (UsageError on nonsense, as they come from the CLI). */
export function resolveTiling(options: TilingOptions = {}): ResolvedTiling {
  const tileSize = options.tileSize ?? DEFAULT_TILE_SIZE;
  const overlap = options.overlap ?? Math.min(DEFAULT_OVERLAP, Math.floor(tileSize / 2));
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new UsageError(`tile size must be a positive integer, got ${tileSize}`);
  if (!Number.isInteger(overlap) || overlap < 0 || 2 * overlap > tileSize) {
    throw new UsageError(`overlap must be an integer between 0 and half the tile size (${Math.floor(tileSize / 2)}), got ${overlap}`);
  }
  const margin = options.margin ?? Math.floor(overlap / 4);
  if (!Number.isInteger(margin) || margin < 0 || (overlap > 0 ? 2 * margin >= overlap : margin > 0)) {
    throw new UsageError(`margin must be an integer ≥ 0 and below half the overlap, got ${margin}`);
  }
  const feather = options.feather ?? 'cosine';
  if (feather !== 'linear' && feather !== 'cosine') throw new UsageError(`unknown feather '${String(feather)}' (linear or cosine)`);
  return { tileSize, overlap, margin, feather };
}

/** Tile extents along an axis of `length` pixels. */
export function planAxis(length: number, tileSize: number, overlap: number): AxisTile[] {
  if (length <= tileSize) return [{ start: 0, size: length, hasPrev: false, hasNext: false }];
  const stride = tileSize - overlap;
  const starts: number[] = [];
  for (let start = 0; start + tileSize < length; start += stride) starts.push(start);
  starts.push(length - tileSize); // the last tile, shifted inward to stay full-size
  return starts.map((start, i) => ({ start, size: tileSize, hasPrev: i > 0, hasNext: i < starts.length - 1 }));
}

/** Ramp value at distance `d` (pixels) from an edge that has a neighbour. */
function ramp(d: number, overlap: number, margin: number, feather: Feather): number {
  const width = overlap - 2 * margin;
  if (d < margin) return 0;
  if (width <= 0 || d >= overlap - margin) return 1;
  const t = (d - margin + 0.5) / width; // pixel centres: two complementary ramps sum to 1
  return feather === 'linear' ? t : 0.5 - 0.5 * Math.cos(Math.PI * t);
}

/** Blending weight of each pixel of one tile along one axis. */
export function axisWeights(tile: AxisTile, tiling: ResolvedTiling): Float32Array {
  const w = new Float32Array(tile.size);
  for (let i = 0; i < tile.size; i++) {
    const fromPrev = tile.hasPrev ? ramp(i, tiling.overlap, tiling.margin, tiling.feather) : 1;
    const fromNext = tile.hasNext ? ramp(tile.size - 1 - i, tiling.overlap, tiling.margin, tiling.feather) : 1;
    w[i] = Math.min(fromPrev, fromNext);
  }
  return w;
}

/** Per-pixel sum of all tiles' weights along an axis (> 0 everywhere for valid parameters). */
function axisWeightSum(length: number, tiles: AxisTile[], weights: Float32Array[]): Float32Array {
  const sum = new Float32Array(length);
  tiles.forEach((tile, i) => {
    const w = weights[i]!;
    for (let j = 0; j < tile.size; j++) sum[tile.start + j]! += w[j]!;
  });
  for (let x = 0; x < length; x++) if (!(sum[x]! > 0)) throw new Error(`tiling leaves pixel ${x} without weight (internal error)`);
  return sum;
}

export function countTiles(width: number, height: number, options: TilingOptions = {}): number {
  const t = resolveTiling(options);
  return planAxis(width, t.tileSize, t.overlap).length * planAxis(height, t.tileSize, t.overlap).length;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Run `fn` on overlapping tiles of `src` and blend the results into one raster of `outChannels`
 * channels (default: the input's). `fn` gets [1,h,w,C] and must return [1,h,w,outChannels]; it is
 * called inside tf.tidy, and both tensors are disposed before the next tile.
 */
export async function processTiled(
  src: Raster,
  fn: (tile: tf.Tensor4D) => tf.Tensor4D,
  options: TilingOptions & { outChannels?: number } = {},
): Promise<Raster> {
  const tiling = resolveTiling(options);
  const { width, height, channels } = src;
  const outChannels = options.outChannels ?? channels;
  if (src.data.length !== width * height * channels) throw new Error(`raster data has ${src.data.length} values, expected ${width}×${height}×${channels}`);
  const xs = planAxis(width, tiling.tileSize, tiling.overlap);
  const ys = planAxis(height, tiling.tileSize, tiling.overlap);
  const wxs = xs.map((t) => axisWeights(t, tiling));
  const wys = ys.map((t) => axisWeights(t, tiling));
  const sumX = axisWeightSum(width, xs, wxs);
  const sumY = axisWeightSum(height, ys, wys);
  const total = xs.length * ys.length;
  const out = new Float32Array(width * height * outChannels);
  let done = 0;

  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      options.signal?.throwIfAborted();
      const tx = xs[i]!;
      const ty = ys[j]!;
      const tileData = new Float32Array(tx.size * ty.size * channels);
      for (let row = 0; row < ty.size; row++) {
        const from = ((ty.start + row) * width + tx.start) * channels;
        tileData.set(src.data.subarray(from, from + tx.size * channels), row * tx.size * channels);
      }
      const result = tf.tidy(() => fn(tf.tensor4d(tileData, [1, ty.size, tx.size, channels])));
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
      const wx = wxs[i]!;
      const wy = wys[j]!;
      for (let row = 0; row < ty.size; row++) {
        const rowWeight = wy[row]!;
        if (rowWeight === 0) continue;
        let o = ((ty.start + row) * width + tx.start) * outChannels;
        let v = row * tx.size * outChannels;
        for (let col = 0; col < tx.size; col++) {
          const weight = rowWeight * wx[col]!;
          for (let c = 0; c < outChannels; c++) out[o++]! += weight * values[v++]!;
        }
      }
      done++;
      options.onProgress?.(done, total);
      await nextTurn(); // let timers / abort handlers run between tiles
    }
  }

  // Normalise by the separable weight sum so a constant image stays constant.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inv = 1 / (sumY[y]! * sumX[x]!);
      const o = (y * width + x) * outChannels;
      for (let c = 0; c < outChannels; c++) out[o + c]! *= inv;
    }
  }
  return { width, height, channels: outChannels, data: out };
}

/** processTiled for RGB → RGB (the restoration itself). */
export async function restoreTiled(image: RGBImage, fn: (tile: tf.Tensor4D) => tf.Tensor4D, options: TilingOptions = {}): Promise<RGBImage> {
  const result = await processTiled({ ...image, channels: 3 }, fn, { ...options, outChannels: 3 });
  return { width: result.width, height: result.height, data: result.data };
}
