/**
 * Tiled processing (no tfjs, no Node APIs): the tile plan, the feathering, the blending and the
 * tile loop (processTiled) of the one restore pipeline (pipeline.ts), for Node and the browser.
 *
 * Layout along each axis: tiles of `tileSize` with stride `tileSize − overlap`; the last tile is
 * shifted inward to end at the edge (it then overlaps its neighbour by more); for tiles of 128 or
 * more it starts on the 16-pixel JPEG grid and is up to 15 pixels larger (`planAxis`); an axis shorter
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
import { UsageError } from '../util/errors.js';

/** A float image with any number of interleaved channels (HWC). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export type Feather = 'linear' | 'cosine';

// @testSeam: tested directly
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
interface AxisTile {
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

/**
 * The last tile along an axis starts on a multiple of this many pixels. JPEG's 8×8 blocks (16×16
 * macroblocks under 4:2:0) are counted from the image's top-left pixel, and the jpeg adapter
 * learned them in that phase; a tile that starts between blocks restores them worse (oracle jpeg
 * adapter, held-out photos at Q20: +0.87 dB in phase, +0.75 dB 4 pixels off;
 * docs/decisions.md). Tiles at k·stride are on the grid whenever the stride is a multiple of 16, as
 * the default 512 − 32 is.
 */
// @testSeam: tested directly
export const TILE_ALIGN = 16;

/** Tiles smaller than this keep the unaligned layout: the last tile may grow by TILE_ALIGN − 1 (≤ 12 % from here on). */
// @testSeam: tested directly
export const TILE_ALIGN_MIN_SIZE = 128;

/**
 * Tile extents along an axis of `length` pixels: tiles of `tileSize` at 0, stride, 2·stride, …,
 * and a last one shifted inward to end at the image's edge. For tiles of TILE_ALIGN_MIN_SIZE or
 * more, that last start is rounded down to a multiple of TILE_ALIGN and the tile grows to reach
 * the edge (at most TILE_ALIGN − 1 pixels over tileSize); a tile it then starts at or before is
 * dropped, since it covers it.
 */
// @testSeam: tested directly
export function planAxis(length: number, tileSize: number, overlap: number): AxisTile[] {
  if (length <= tileSize) return [{ start: 0, size: length, hasPrev: false, hasNext: false }];
  const stride = tileSize - overlap;
  const starts: number[] = [];
  for (let start = 0; start + tileSize < length; start += stride) starts.push(start);
  const align = tileSize >= TILE_ALIGN_MIN_SIZE ? TILE_ALIGN : 1;
  const last = Math.floor((length - tileSize) / align) * align;
  while (starts.length > 0 && starts[starts.length - 1]! >= last) starts.pop();
  starts.push(last);
  return starts.map((start, i) => ({
    start,
    size: i < starts.length - 1 ? tileSize : length - start,
    hasPrev: i > 0,
    hasNext: i < starts.length - 1,
  }));
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
// @testSeam: tested directly
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

/** Everything needed to cut an image into tiles and blend results back: axes, weights, weight sums. */
interface TileGrid {
  width: number;
  height: number;
  xs: AxisTile[];
  ys: AxisTile[];
  /** axisWeights of every x tile / y tile */
  wxs: Float32Array[];
  wys: Float32Array[];
  sumX: Float32Array;
  sumY: Float32Array;
  /** number of tiles (xs.length · ys.length); row-major: tile t is (xs[t % xs.length], ys[⌊t / xs.length⌋]) */
  total: number;
}

function planGrid(width: number, height: number, tiling: ResolvedTiling): TileGrid {
  const xs = planAxis(width, tiling.tileSize, tiling.overlap);
  const ys = planAxis(height, tiling.tileSize, tiling.overlap);
  const wxs = xs.map((t) => axisWeights(t, tiling));
  const wys = ys.map((t) => axisWeights(t, tiling));
  return { width, height, xs, ys, wxs, wys, sumX: axisWeightSum(width, xs, wxs), sumY: axisWeightSum(height, ys, wys), total: xs.length * ys.length };
}

/** Copies the pixels of tile (tx, ty) out of an HWC raster into a new tight [ty.size, tx.size, channels] array. */
function copyTile(src: Raster, tx: AxisTile, ty: AxisTile): Float32Array {
  const { width, channels } = src;
  const tile = new Float32Array(tx.size * ty.size * channels);
  for (let row = 0; row < ty.size; row++) {
    const from = ((ty.start + row) * width + tx.start) * channels;
    tile.set(src.data.subarray(from, from + tx.size * channels), row * tx.size * channels);
  }
  return tile;
}

/** out[tile pixels] += wx·wy·values, for a tile result `values` of `channels` interleaved channels. */
function addWeightedTile(out: Float32Array, width: number, channels: number, values: Float32Array, tx: AxisTile, ty: AxisTile, wx: Float32Array, wy: Float32Array): void {
  for (let row = 0; row < ty.size; row++) {
    const rowWeight = wy[row]!;
    if (rowWeight === 0) continue;
    let o = ((ty.start + row) * width + tx.start) * channels;
    let v = row * tx.size * channels;
    for (let col = 0; col < tx.size; col++) {
      const weight = rowWeight * wx[col]!;
      for (let c = 0; c < channels; c++) out[o++]! += weight * values[v++]!;
    }
  }
}

/** Divides the blended sums by the separable weight sum, so a constant image stays constant. */
function normaliseBlend(out: Float32Array, grid: TileGrid, channels: number): void {
  const { width, height, sumX, sumY } = grid;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inv = 1 / (sumY[y]! * sumX[x]!);
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c]! *= inv;
    }
  }
}

/** Lets queued events (timers, an abort, a worker's cancel message) run between tiles; setTimeout, since a page has no setImmediate. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The tile loop, the one both restorers use: runs `fn` on overlapping tiles of `src` (row-major)
 * and blends each of its results into a full-size raster. `fn` gets an h×w×C tile and returns
 * one h×w×outChannels[i] raster per output, or null for an output it does not give (then that
 * output is null at the end; all tiles must agree); `at` is the tile's top-left pixel in `src`. Memory: the outputs plus one tile at a time
 * and W + H weight sums. The signal is checked before every tile; between tiles the loop yields.
 */
export async function processTiled(
  src: Raster,
  fn: (tile: Raster, at: { x: number; y: number }, signal?: AbortSignal) => Promise<readonly (Raster | null)[]> | readonly (Raster | null)[],
  options: TilingOptions & { outChannels: readonly number[] },
): Promise<(Raster | null)[]> {
  const tiling = resolveTiling(options);
  const { width, height, channels } = src;
  if (src.data.length !== width * height * channels) throw new Error(`raster data has ${src.data.length} values, expected ${width}×${height}×${channels}`);
  const grid = planGrid(width, height, tiling);
  const { xs, ys, total } = grid;
  const outs: (Float32Array | null | undefined)[] = options.outChannels.map(() => undefined);
  let done = 0;
  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      options.signal?.throwIfAborted();
      const tx = xs[i]!;
      const ty = ys[j]!;
      const tile: Raster = { width: tx.size, height: ty.size, channels, data: copyTile(src, tx, ty) };
      const results = await fn(tile, { x: tx.start, y: ty.start }, options.signal);
      options.outChannels.forEach((outChannels, k) => {
        const result = results[k] ?? null;
        if (result === null) {
          if (outs[k]) throw new Error(`tile function gave output ${k} for some tiles only (internal error)`);
          outs[k] = null;
          return;
        }
        const { width: w, height: h, channels: c } = result;
        if (h !== ty.size || w !== tx.size || c !== outChannels || result.data.length !== h * w * c) {
          throw new Error(`tile function returned ${h}×${w}×${c} (${result.data.length} values) for a ${ty.size}×${tx.size}×${channels} tile (expected ${outChannels} channels)`);
        }
        if (outs[k] === null) throw new Error(`tile function gave output ${k} for some tiles only (internal error)`);
        outs[k] ??= new Float32Array(width * height * outChannels);
        addWeightedTile(outs[k]!, width, outChannels, result.data, tx, ty, grid.wxs[i]!, grid.wys[j]!);
      });
      done++;
      options.onProgress?.(done, total);
      await nextTurn();
    }
  }
  return outs.map((out, k) => {
    if (!out) return null;
    normaliseBlend(out, grid, options.outChannels[k]!);
    return { width, height, channels: options.outChannels[k]!, data: out };
  });
}
