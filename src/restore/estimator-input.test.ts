/**
 * The estimator's JS-side inputs: the grid of native-resolution crops (offsets, exact pixels,
 * deduplication, the resize fallback for small images) and the mean of per-crop rows.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { RGBImage } from '../image/types.js';
import { cropOffsets, ESTIMATOR_CROP_ALIGN, estimatorCrops, estimatorInput, meanRows } from './estimator-input.js';

/** An image whose every value is its own index: a crop's values say where they came from. */
function indexImage(width: number, height: number): RGBImage {
  return { width, height, data: Float32Array.from({ length: width * height * 3 }, (_, i) => i) };
}

/** The size² crop at (x0, y0), cut the obvious way. */
function cropAt(image: RGBImage, x0: number, y0: number, size: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) out.push(image.data[((y0 + y) * image.width + x0 + x) * 3 + c]!);
  return out;
}

test('crop offsets are evenly spaced from edge to edge, rounded, duplicates dropped', () => {
  assert.deepEqual(cropOffsets(300, 32, 3), [0, 134, 268]);
  assert.deepEqual(cropOffsets(61, 32, 3), [0, 15, 29]); // 14.5 rounds up
  assert.deepEqual(cropOffsets(33, 32, 3), [0, 1]); // 0, 0.5 → 1, 1
  assert.deepEqual(cropOffsets(32, 32, 3), [0]);
  assert.deepEqual(cropOffsets(100, 32, 1), [34]); // a single crop is centred
});

test('with align, offsets are rounded down onto the grid (so every crop still fits), duplicates dropped', () => {
  assert.deepEqual(cropOffsets(300, 32, 3, 16), [0, 128, 256]); // 134 → 128, 268 → 256
  assert.deepEqual(cropOffsets(481, 128, 3, 16), [0, 176, 352]); // 176.5 → 177 → 176, 353 → 352
  assert.deepEqual(cropOffsets(61, 32, 3, 16), [0, 16]); // 0, 15 → 0, 29 → 16
  assert.deepEqual(cropOffsets(100, 32, 1, 16), [32]); // centred 34 → 32
  assert.deepEqual(cropOffsets(768, 128, 3, 16), cropOffsets(768, 128, 3)); // already on the grid
  for (const extent of [128, 129, 200, 333, 1001]) {
    for (const o of cropOffsets(extent, 128, 3, 16)) assert.ok(o % 16 === 0 && o >= 0 && o + 128 <= extent, `${extent}: ${o}`);
  }
  assert.throws(() => cropOffsets(100, 32, 3, 0), /align/);
  assert.throws(() => cropOffsets(100, 32, 3, 1.5), /align/);
});

test('the engines cut crops on the 16-pixel JPEG macroblock grid', () => {
  // JPEG's block grid starts at the image's top-left pixel; Phase III only showed the estimator
  // patches coded from their own origin (see ESTIMATOR_CROP_ALIGN)
  assert.equal(ESTIMATOR_CROP_ALIGN, 16);
  const image = indexImage(481, 321);
  const { data, count } = estimatorCrops(image, 128);
  assert.equal(count, 9);
  const n = 128 * 128 * 3;
  [0, 96, 192].forEach((y0, gy) =>
    [0, 176, 352].forEach((x0, gx) => {
      const k = gy * 3 + gx;
      assert.equal(data[k * n], (y0 * 481 + x0) * 3, `crop ${k} starts at (${x0}, ${y0})`);
    }),
  );
});

test('a large image gives a 3×3 grid of native crops, row by row, with exact pixels', () => {
  const image = indexImage(300, 200);
  const size = 32;
  const { data, count } = estimatorCrops(image, size);
  assert.equal(count, 9);
  assert.equal(data.length, 9 * size * size * 3);
  const xs = [0, 128, 256]; // 0, 134, 268 snapped to the 16-pixel grid
  const ys = [0, 80, 160]; // 0, 84, 168 snapped
  ys.forEach((y0, gy) =>
    xs.forEach((x0, gx) => {
      const k = gy * 3 + gx;
      assert.deepEqual(Array.from(data.subarray(k * size * size * 3, (k + 1) * size * size * 3)), cropAt(image, x0, y0, size), `crop ${k} at (${x0}, ${y0})`);
    }),
  );
  // one pixel spelled out: crop 5 (middle row, right column), its pixel (3, 2), green
  assert.equal(data[5 * size * size * 3 + (2 * size + 3) * 3 + 1], ((80 + 2) * 300 + 256 + 3) * 3 + 1);
});

test('coinciding offsets are cut once: width == size gives one column, size² gives one crop', () => {
  const tall = indexImage(32, 100);
  const column = estimatorCrops(tall, 32);
  assert.equal(column.count, 3);
  [0, 32, 64].forEach((y0, k) => assert.deepEqual(Array.from(column.data.subarray(k * 32 * 32 * 3, (k + 1) * 32 * 32 * 3)), cropAt(tall, 0, y0, 32)));

  const exact = indexImage(32, 32);
  const one = estimatorCrops(exact, 32);
  assert.equal(one.count, 1);
  assert.deepEqual(Array.from(one.data), Array.from(exact.data));
});

test('an image smaller than the crop on either side falls back to the whole-image resize', () => {
  for (const [w, h] of [[20, 40], [40, 20], [5, 3]] as const) {
    const image = indexImage(w, h);
    const { data, count } = estimatorCrops(image, 32);
    assert.equal(count, 1, `${w}×${h}`);
    assert.deepEqual(Array.from(data), Array.from(estimatorInput(image, 32)), `${w}×${h}`);
  }
  assert.throws(() => estimatorCrops(indexImage(40, 40), 32, 0), /grid/);
});

test('meanRows averages stacked rows column by column', () => {
  assert.deepEqual(Array.from(meanRows([1, 2, 3, 4, 5, 9], 3)), [3, 5]);
  assert.deepEqual(Array.from(meanRows(Float32Array.of(0.25, 0.5), 1)), [0.25, 0.5]);
  const got = meanRows([0.1, 0.7, 0.2, 0.4], 2); // summed in double precision, rounded once
  assert.deepEqual(Array.from(got), [Math.fround((0.1 + 0.2) / 2), Math.fround((0.7 + 0.4) / 2)]);
  assert.throws(() => meanRows([1, 2, 3], 2), /equal rows/);
  assert.throws(() => meanRows([1, 2], 0), /equal rows/);
});
