import { test } from 'node:test';
import assert from 'node:assert/strict';
import { darkChannel, darkChannelLevel, darkChannelQuantiles } from './dark-channel.js';

/** A size² image with every pixel (r, g, b), and pixel (x0, y0) set to `dark` in all channels. */
function image(size: number, rgb: [number, number, number], dot?: { x: number; y: number; value: number }) {
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  if (dot) data.fill(dot.value, (dot.y * size + dot.x) * 3, (dot.y * size + dot.x) * 3 + 3);
  return { width: size, height: size, data };
}

test('darkChannel: the minimum over RGB and the window, and only within the window', () => {
  const d = darkChannel(image(20, [0.8, 0.5, 0.6], { x: 3, y: 3, value: 0.1 }), 2);
  assert.ok(Math.abs(d[3 * 20 + 3]! - 0.1) < 1e-6, 'the dark pixel itself');
  assert.ok(Math.abs(d[5 * 20 + 5]! - 0.1) < 1e-6, 'two pixels away: inside the 5×5 window');
  assert.ok(Math.abs(d[6 * 20 + 6]! - 0.5) < 1e-6, 'three away: outside it, the min over RGB (0.5)');
  assert.throws(() => darkChannel({ width: 2, height: 2, data: new Float32Array(5) }), /2×2×3/);
});

test('darkChannelLevel: a veil lifts the level, a clear image with dark pixels stays near 0', () => {
  const size = 32;
  const clear = image(size, [0.7, 0.2, 0.02]);
  const veiled = { ...clear, data: clear.data.map((v) => 0.6 * v + 0.4 * 0.9) };
  const two = (img: { data: Float32Array }) => Float32Array.from([...img.data, ...img.data]);
  assert.ok(Math.abs(darkChannelLevel(two(clear), 2, size) - 0.02) < 1e-6);
  assert.ok(Math.abs(darkChannelLevel(two(veiled), 2, size) - (0.6 * 0.02 + 0.36)) < 1e-6);
  assert.throws(() => darkChannelLevel(new Float32Array(10), 1, size), /not 1 crops/);
});

test('darkChannelQuantiles: the pooled dark channel at each quantile', () => {
  const size = 16;
  // one crop dark (0.05) in its top half only, the other bright (0.5) everywhere: the pooled levels
  // are 0.05 for a quarter of the pixels (less the window's reach), 0.5 elsewhere
  const half = image(size, [0.5, 0.6, 0.7]);
  for (let y = 0; y < size / 2; y++) for (let x = 0; x < size; x++) half.data[(y * size + x) * 3 + 1] = 0.05;
  const crops = Float32Array.from([...half.data, ...image(size, [0.5, 0.6, 0.7]).data]);
  const [low, high] = darkChannelQuantiles(crops, 2, size, [0.01, 0.9]);
  assert.ok(Math.abs(low! - 0.05) < 1e-6 && Math.abs(high! - 0.5) < 1e-6, `${low} ${high}`);
  assert.equal(darkChannelLevel(crops, 2, size), darkChannelQuantiles(crops, 2, size, [0.1])[0]);
});
