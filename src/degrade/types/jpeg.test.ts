import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../util/rng.js';
import { texturedImage } from '../synthetic-images.js';
import { jpeg } from './jpeg.js';

const mse = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

test('jpeg: a real round trip, valid image, differs from input, more so at low quality', async () => {
  const img = texturedImage(96, 80, 3);
  const q60 = await jpeg.apply(img, { severity: 0, quality: 60 }, new Rng(0));
  const q10 = await jpeg.apply(img, { severity: 1, quality: 10 }, new Rng(0));
  for (const out of [q60, q10]) {
    assert.equal(out.width, 96);
    assert.equal(out.height, 80);
    assert.equal(out.data.length, 96 * 80 * 3);
    assert.ok(out.data.every((v) => v >= 0 && v <= 1 && Number.isInteger(Math.round(v * 255 * 1e4) / 1e4)));
  }
  const e60 = mse(q60.data, img.data);
  const e10 = mse(q10.data, img.data);
  assert.ok(e60 > 1e-6, `q60 changed the image (mse ${e60})`);
  assert.ok(e10 > 2 * e60, `q10 worse than q60: ${e10} vs ${e60}`);
  // deterministic
  assert.deepEqual((await jpeg.apply(img, { severity: 1, quality: 10 }, new Rng(0))).data, q10.data);
});

test('jpeg.sample maps severity onto quality 60..10', () => {
  assert.equal(jpeg.sample(new Rng(1), 0).quality, 60);
  assert.equal(jpeg.sample(new Rng(1), 1).quality, 10);
  for (let i = 0; i < 30; i++) {
    const q = jpeg.sample(new Rng(i)).quality;
    assert.ok(Number.isInteger(q) && q >= 10 && q <= 60);
  }
});
