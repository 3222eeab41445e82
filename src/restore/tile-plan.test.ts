import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { axisWeights, countTiles, planAxis, processTiled, resolveTiling, TILE_ALIGN, TILE_ALIGN_MIN_SIZE, type Raster, type TilingOptions } from './tile-plan.js';
import type { RGBImage } from '../image/types.js';
import { Rng } from '../util/rng.js';

await initEngine({ backend: 'wasm' });

/** A tfjs [1,h,w,C] → [1,h,w,C'] function as a tile function on plain arrays (tfjs only as the test's reference maths). */
function tensorTileFn(fn: (tile: tf.Tensor4D) => tf.Tensor4D): (tile: Raster) => Raster {
  return (tile) =>
    tf.tidy(() => {
      const out = fn(tf.tensor4d(tile.data, [1, tile.height, tile.width, tile.channels]));
      const [, height, width, channels] = out.shape;
      return { width, height, channels, data: Float32Array.from(out.dataSync() as Float32Array) };
    });
}

/** processTiled for one RGB → RGB function. */
async function restoreTiled(image: RGBImage, fn: (tile: Raster) => Raster, options: TilingOptions = {}): Promise<RGBImage> {
  const [out] = await processTiled({ ...image, channels: 3 }, (tile) => [fn(tile)], { ...options, outChannels: [3] });
  return { width: image.width, height: image.height, data: out!.data };
}

function randomImage(width: number, height: number, seed = 1): RGBImage {
  const rng = new Rng(seed);
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { width, height, data };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Whole-image reference: the same function on the full image as one tensor. */
function whole(image: RGBImage, fn: (t: tf.Tensor4D) => tf.Tensor4D): Float32Array {
  return tf.tidy(() => fn(tf.tensor4d(image.data, [1, image.height, image.width, 3])).dataSync() as Float32Array);
}

/** A small fixed conv net (zero 'same' padding at the tile border, like a real network). */
function convNet(layers: number, seed = 7): (t: tf.Tensor4D) => tf.Tensor4D {
  const rng = new Rng(seed);
  const filters = Array.from({ length: layers }, () => {
    const values = new Float32Array(3 * 3 * 3 * 3);
    for (let i = 0; i < values.length; i++) values[i] = (rng.next() - 0.5) * 0.4;
    return values;
  });
  return (t) => {
    let x = t;
    for (const values of filters) x = tf.add(x, tf.relu(tf.conv2d(x, tf.tensor4d(values, [3, 3, 3, 3]), 1, 'same')));
    return x;
  };
}

const SIZES: Array<[number, number]> = [[37, 23], [64, 64], [101, 77], [10, 130], [5, 3]];

test('axis plan: full-size tiles, shifted last tile, short axes are one tile', () => {
  assert.deepEqual(planAxis(20, 32, 8), [{ start: 0, size: 20, hasPrev: false, hasNext: false }]);
  assert.deepEqual(planAxis(32, 32, 8).map((t) => t.start), [0]);
  assert.deepEqual(planAxis(100, 32, 8).map((t) => t.start), [0, 24, 48, 68]);
  for (let length = 1; length < 200; length += 7) {
    const tiles = planAxis(length, 32, 8);
    assert.equal(tiles[0]!.start, 0);
    const last = tiles[tiles.length - 1]!;
    assert.equal(last.start + last.size, length);
    if (length >= 32) for (const t of tiles) assert.equal(t.size, 32);
  }
});

test('axis plan, tiles of 128 or more: the last tile starts on the 16-pixel JPEG grid and grows to the edge', () => {
  assert.equal(TILE_ALIGN, 16);
  assert.equal(TILE_ALIGN_MIN_SIZE, 128);
  // 1000 px, tiles 512/32: 0 and 488 (= 1000 − 512, a multiple of 8 but not 16) → 480, 520 wide
  assert.deepEqual(planAxis(1000, 512, 32), [
    { start: 0, size: 512, hasPrev: false, hasNext: true },
    { start: 480, size: 520, hasPrev: true, hasNext: false },
  ]);
  assert.deepEqual(planAxis(1024, 512, 32).map((t) => [t.start, t.size]), [[0, 512], [480, 512], [512, 512]]); // on the grid: unchanged
  // 520 px: the last start 8 rounds down to 0, and that tile covers the whole axis
  assert.deepEqual(planAxis(520, 512, 32), [{ start: 0, size: 520, hasPrev: false, hasNext: false }]);
  for (let length = 129; length < 3000; length += 37) {
    for (const [tile, overlap] of [[128, 16], [256, 32], [512, 32]] as const) {
      const tiles = planAxis(length, tile, overlap);
      assert.equal(tiles[0]!.start, 0);
      const last = tiles[tiles.length - 1]!;
      assert.equal(last.start + last.size, length, `${length}/${tile}`);
      assert.equal(last.start % TILE_ALIGN, 0, `${length}/${tile}: last tile at ${last.start}`);
      assert.ok(last.size >= Math.min(tile, length) && last.size < tile + TILE_ALIGN, `${length}/${tile}: last tile ${last.size}`);
      for (const t of tiles.slice(0, -1)) assert.equal(t.size, tile);
      for (let i = 1; i < tiles.length; i++) assert.ok(tiles[i - 1]!.start + tiles[i - 1]!.size - tiles[i]!.start >= overlap, `${length}/${tile}: overlap at tile ${i}`);
    }
  }
});

test('neighbouring ramps at the nominal stride sum to 1 (both feathers)', () => {
  for (const feather of ['linear', 'cosine'] as const) {
    const tiling = resolveTiling({ tileSize: 32, overlap: 8, margin: 2, feather });
    const a = axisWeights({ start: 0, size: 32, hasPrev: false, hasNext: true }, tiling);
    const b = axisWeights({ start: 24, size: 32, hasPrev: true, hasNext: false }, tiling);
    for (let x = 24; x < 32; x++) assert.ok(Math.abs(a[x]! + b[x - 24]! - 1) < 1e-6, `${feather} x=${x}`);
    assert.equal(a[31], 0); // margin pixels carry no weight
    assert.equal(b[0], 0);
  }
});

test('identity and pointwise functions: tiled equals whole within 1e-5 (odd sizes, constant stays constant)', async () => {
  const pointwise = (t: tf.Tensor4D) => tf.add(tf.mul(t, t), 0.1) as tf.Tensor4D;
  for (const [w, h] of SIZES) {
    const image = randomImage(w, h);
    for (const fn of [(t: tf.Tensor4D) => t, pointwise]) {
      const tiled = await restoreTiled(image, tensorTileFn(fn), { tileSize: 16, overlap: 6 });
      assert.ok(maxAbsDiff(tiled.data, whole(image, fn)) < 1e-5, `${w}×${h}`);
    }
  }
  const constant: RGBImage = { width: 50, height: 41, data: new Float32Array(50 * 41 * 3).fill(0.3) };
  const out = await restoreTiled(constant, (t) => t, { tileSize: 16, overlap: 8, feather: 'linear' });
  assert.ok(maxAbsDiff(out.data, constant.data) < 1e-6);
});

test('conv net with receptive field r and margin ≥ r: tiled equals whole within 1e-5', async () => {
  const fn = convNet(2); // two 3×3 layers: r = 2
  for (const [w, h] of SIZES) {
    const image = randomImage(w, h, 3);
    const tiled = await restoreTiled(image, tensorTileFn(fn), { tileSize: 24, overlap: 8, margin: 2 });
    assert.ok(maxAbsDiff(tiled.data, whole(image, fn)) < 1e-5, `${w}×${h}`);
  }
});

test('aligned last tiles (tiles ≥ 128, grown up to 15 px): a conv net with margin ≥ r is still tiled == whole within 1e-5', async () => {
  const fn = convNet(2); // r = 2
  for (const [w, h] of [[300, 150], [277, 141], [129, 400]] as const) {
    const image = randomImage(w, h, 7);
    const tiled = await restoreTiled(image, tensorTileFn(fn), { tileSize: 128, overlap: 16, margin: 4 });
    assert.ok(maxAbsDiff(tiled.data, whole(image, fn)) < 1e-5, `${w}×${h}`);
  }
  // 300 px: 0, 112 and a last tile at 172 → 160, 140 wide
  assert.deepEqual(planAxis(300, 128, 16).map((t) => [t.start, t.size]), [[0, 128], [112, 128], [160, 140]]);
});

test('conv net with overlap = 2r and the default margin: seams within 0.02 (max abs, values ~[0,1])', async () => {
  const fn = convNet(3, 11); // r = 3, overlap 6 → default margin 1 < r, so border pixels leak in
  const image = randomImage(101, 77, 5);
  const tiled = await restoreTiled(image, tensorTileFn(fn), { tileSize: 24, overlap: 6 });
  const diff = maxAbsDiff(tiled.data, whole(image, fn));
  assert.ok(diff < 0.02, `max seam error ${diff}`);
  console.log(`# seam error overlap=2r default margin: ${diff.toExponential(2)}`);
  // without overlap the same net leaves clearly larger seams: the feathering is doing the work
  const hard = await restoreTiled(image, tensorTileFn(fn), { tileSize: 24, overlap: 0 });
  assert.ok(maxAbsDiff(hard.data, whole(image, fn)) > 2 * diff);
});

test('other output channel counts, progress, no leaked tensors', async () => {
  const src: Raster = { ...randomImage(40, 30), channels: 3 };
  const before = tf.memory().numTensors;
  const calls: Array<[number, number]> = [];
  const fn = tensorTileFn((t) => tf.concat([tf.mean(t, 3, true), t], 3) as tf.Tensor4D);
  const [out, none] = await processTiled(src, (tile) => [fn(tile), null], {
    tileSize: 16, overlap: 4, outChannels: [4, 3], onProgress: (d, n) => calls.push([d, n]),
  });
  assert.equal(out!.channels, 4);
  assert.equal(none, null); // an output no tile gives is null
  assert.equal(tf.memory().numTensors, before);
  const total = countTiles(40, 30, { tileSize: 16, overlap: 4 });
  assert.deepEqual(calls, Array.from({ length: total }, (_, i) => [i + 1, total]));
  // channel 0 is the mean of the input's channels
  assert.ok(Math.abs(out!.data[0]! - (src.data[0]! + src.data[1]! + src.data[2]!) / 3) < 1e-6);
});

test('abort between tiles rejects with an AbortError', async () => {
  const controller = new AbortController();
  let tiles = 0;
  await assert.rejects(
    restoreTiled(randomImage(64, 64), (t) => t, {
      tileSize: 16, overlap: 4, signal: controller.signal,
      onProgress: (done) => { tiles = done; if (done === 2) controller.abort(); },
    }),
    (err: Error) => err.name === 'AbortError',
  );
  assert.equal(tiles, 2);
});

test('bad tiling parameters are usage errors', () => {
  assert.throws(() => resolveTiling({ tileSize: 0 }), /tile size/);
  assert.throws(() => resolveTiling({ tileSize: 32, overlap: 17 }), /overlap/);
  assert.throws(() => resolveTiling({ tileSize: 32, overlap: 8, margin: 4 }), /margin/);
});
