import test from 'node:test';
import assert from 'node:assert/strict';
import { lumaContrast, speckFraction } from './crop-texture.js';

/** `count` crops of size², each pixel grey level f(c, x, y). */
function crops(count: number, size: number, f: (c: number, x: number, y: number) => number): Float32Array {
  const out = new Float32Array(count * size * size * 3);
  for (let c = 0; c < count; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.fill(f(c, x, y), ((c * size + y) * size + x) * 3, ((c * size + y) * size + x) * 3 + 3);
  return out;
}

test('speckFraction: white dots on a darker ground count, flat white and soft gradients do not', () => {
  const size = 32;
  // a dot every 8 pixels in both directions: 16 of 1,024 pixels
  const dots = crops(1, size, (_, x, y) => (x % 8 === 4 && y % 8 === 4 ? 0.95 : 0.4));
  assert.equal(speckFraction(dots, 1, size), 16 / (size * size));
  assert.equal(speckFraction(crops(2, size, () => 0.9), 2, size), 0, 'a white wall is no speck');
  assert.equal(speckFraction(crops(1, size, (_, x) => x / size), 1, size), 0, 'a ramp');
  // a coloured highlight is not white: its minimum channel is low
  const red = crops(1, size, (_, x, y) => (x % 8 === 4 && y % 8 === 4 ? 0.95 : 0.4));
  for (let i = 0; i < red.length; i += 3) red[i + 1] = red[i + 2] = 0.4;
  assert.equal(speckFraction(red, 1, size), 0);
  assert.throws(() => speckFraction(new Float32Array(10), 1, size), /speckFraction: 10 values are not 1 crops of 32²×3/);
});

test('lumaContrast: the standard deviation of luma, averaged over crops; a veil lowers it', () => {
  const size = 16;
  const checker = (lo: number, hi: number) => crops(1, size, (_, x, y) => ((x + y) % 2 ? hi : lo));
  assert.ok(Math.abs(lumaContrast(checker(0.2, 0.8), 1, size) - 0.3) < 1e-6);
  // haze as a veil: t·J + (1 − t)·A with t 0.5 halves the contrast
  assert.ok(Math.abs(lumaContrast(checker(0.6, 0.9), 1, size) - 0.15) < 1e-6);
  const two = new Float32Array([...checker(0.2, 0.8), ...crops(1, size, () => 0.5)]);
  assert.ok(Math.abs(lumaContrast(two, 2, size) - 0.15) < 1e-6, 'the mean over crops');
  assert.throws(() => lumaContrast(new Float32Array(9), 1, size), /lumaContrast: 9 values/);
});
