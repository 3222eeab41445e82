import test from 'node:test';
import assert from 'node:assert/strict';
import { lowlight } from './lowlight.js';
import { texturedImage } from '../synthetic-images.js';
import { degradeWithSeed, effectBySeverity, inUnitRange, meanAbsDiff, meanValue } from '../util/degradation-checks.js';
import { Rng } from '../../util/rng.js';

const img = texturedImage(96, 80);

test('lowlight changes the image, stays in [0,1] and leaves the input untouched', async () => {
  const before = new Float32Array(img.data);
  const { out } = await degradeWithSeed(lowlight, img, 1, 0.5);
  assert.ok(inUnitRange(out));
  assert.ok(meanAbsDiff(img, out) > 0.1);
  assert.deepEqual(img.data, before);
});

test('lowlight: same seed gives identical bytes, another seed differs', async () => {
  const a = await degradeWithSeed(lowlight, img, 42);
  const b = await degradeWithSeed(lowlight, img, 42);
  const c = await degradeWithSeed(lowlight, img, 43);
  assert.deepEqual(Buffer.from(a.out.data.buffer), Buffer.from(b.out.data.buffer));
  assert.notDeepEqual(Buffer.from(a.out.data.buffer), Buffer.from(c.out.data.buffer));
});

test('lowlight params survive JSON and replay to the same output', () => {
  const rng = new Rng(7);
  const params = lowlight.sample(rng, 0.6);
  const state = rng.state();
  const replayed = JSON.parse(JSON.stringify(params));
  assert.deepEqual(replayed, params);
  assert.deepEqual(lowlight.apply(img, params, Rng.fromState(state)), lowlight.apply(img, replayed, Rng.fromState(state)));
});

test('lowlight: the effect grows with severity', async () => {
  const effect = await effectBySeverity(lowlight, img, [0.1, 0.5, 0.9], [1, 2, 3, 4]);
  assert.ok(effect[0]! < effect[1]! && effect[1]! < effect[2]!, `not monotonic: ${effect}`);
});

test('lowlight output is LOL-dark: mean well below the input', async () => {
  const inMean = meanValue(img);
  for (const s of [0, 0.5, 1]) {
    const out = (await degradeWithSeed(lowlight, img, 3, s)).out;
    const m = meanValue(out);
    assert.ok(m < 0.45 * inMean, `severity ${s}: mean ${m} vs input ${inMean}`);
    assert.ok(m > 0.01, `severity ${s}: mean ${m} is black`);
  }
});

test('lowlight is quantised to 8 bits and noisy', async () => {
  const { out } = await degradeWithSeed(lowlight, img, 8, 0.8);
  for (const v of out.data) assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-3);
  // a flat patch must not stay flat: noise spreads it over several levels
  const flat = { width: 32, height: 32, data: new Float32Array(32 * 32 * 3).fill(0.5) };
  const noisy = (await degradeWithSeed(lowlight, flat, 8, 0.8)).out;
  assert.ok(new Set(Array.from(noisy.data, (v) => Math.round(v * 255))).size >= 4);
});
