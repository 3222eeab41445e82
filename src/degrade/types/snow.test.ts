import test from 'node:test';
import assert from 'node:assert/strict';
import { snow } from './snow.js';
import { texturedImage } from '../synthetic-images.js';
import { degradeWithSeed, effectBySeverity, inUnitRange, meanAbsDiff, meanValue } from '../util/degradation-checks.js';
import { Rng } from '../../util/rng.js';

const img = texturedImage(96, 80);

test('snow changes the image, stays in [0,1] and leaves the input untouched', async () => {
  const before = new Float32Array(img.data);
  const { out } = await degradeWithSeed(snow, img, 1, 0.5);
  assert.ok(inUnitRange(out));
  assert.ok(meanAbsDiff(img, out) > 0.01);
  assert.deepEqual(img.data, before);
});

test('snow: same seed gives identical bytes, another seed differs', async () => {
  const a = await degradeWithSeed(snow, img, 42);
  const b = await degradeWithSeed(snow, img, 42);
  const c = await degradeWithSeed(snow, img, 43);
  assert.deepEqual(Buffer.from(a.out.data.buffer), Buffer.from(b.out.data.buffer));
  assert.notDeepEqual(Buffer.from(a.out.data.buffer), Buffer.from(c.out.data.buffer));
});

test('snow params survive JSON and replay to the same output', () => {
  const rng = new Rng(7);
  const params = snow.sample(rng, 0.6);
  const state = rng.state();
  const replayed = JSON.parse(JSON.stringify(params));
  assert.deepEqual(replayed, params);
  assert.deepEqual(snow.apply(img, params, Rng.fromState(state)), snow.apply(img, replayed, Rng.fromState(state)));
});

test('snow: the effect grows with severity', async () => {
  const effect = await effectBySeverity(snow, img, [0.1, 0.5, 0.9], [1, 2, 3, 4]);
  assert.ok(effect[0]! < effect[1]! && effect[1]! < effect[2]!, `not monotonic: ${effect}`);
});

test('snow brightens the image, with some near-white flake pixels', async () => {
  for (const s of [0.3, 1]) {
    const { out } = await degradeWithSeed(snow, img, 6, s);
    assert.ok(meanValue(out) > meanValue(img), `severity ${s}`);
  }
  const { out } = await degradeWithSeed(snow, img, 6, 1);
  let bright = 0;
  for (let i = 0; i < out.data.length; i += 3) if (out.data[i + 2]! > 0.85 && img.data[i + 2]! < 0.6) bright++;
  assert.ok(bright > 5, `only ${bright} flake pixels`);
});
