/** Tile helpers against their tfjs counterparts (padding.ts, explain.ts). */
import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { reflectPadToMultiple as tfReflectPad } from '../model/padding.js';
import { mapPalette } from '../restore/palette.js';
import { Rng } from '../util/rng.js';
import { clipUnit, cropTopLeft, logitsToColours, reflectIndices, reflectPadToMultiple } from './tile-ops.js';

await initEngine({ backend: 'wasm' });

function random(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale);
}

test('reflect padding equals tfjs reflectPadToMultiple for every small size (several rounds, 1-pixel axes)', () => {
  for (const [w, h] of [[1, 1], [1, 5], [2, 3], [5, 3], [7, 2], [3, 9], [8, 8], [12, 1]] as const) {
    const data = random(w * h * 3, w * 10 + h);
    const mine = reflectPadToMultiple(data, w, h, 3, 8);
    const expected = tf.tidy(() => tfReflectPad(tf.tensor4d(data, [1, h, w, 3]), 8));
    assert.deepEqual([1, mine.height, mine.width, 3], expected.shape, `${w}×${h}`);
    assert.deepEqual(mine.data, expected.dataSync(), `${w}×${h}`);
    expected.dispose();
  }
  assert.deepEqual([...reflectIndices(3, 8)], [0, 1, 2, 1, 0, 1, 2, 1]);
});

test('crop and clip', () => {
  const data = Float32Array.from({ length: 4 * 3 }, (_, i) => i); // 4 wide, 3 high, 1 channel
  assert.deepEqual([...cropTopLeft(data, 4, 2, 2, 1)], [0, 1, 4, 5]);
  assert.deepEqual([...clipUnit(Float32Array.from([-1, 0.25, 2, Number.NaN]))], [0, 0.25, 1, 0]);
});

test('logits to map colours equals tfjs softmax · palette within 1e-6', () => {
  const classes = 3;
  const logits = random(6 * 5 * (1 + classes), 4, 12);
  const mine = logitsToColours(logits, 1 + classes, mapPalette(classes));
  const expected = tf.tidy(() => tf.matMul(tf.softmax(tf.tensor2d(logits, [6 * 5, 1 + classes])), tf.tensor2d(mapPalette(classes), [1 + classes, 3])).dataSync());
  let worst = 0;
  for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i]! - expected[i]!));
  assert.ok(worst <= 1e-6, `differs by ${worst}`);
  assert.throws(() => logitsToColours(logits, 2 + classes, mapPalette(classes)), /palette/);
});
