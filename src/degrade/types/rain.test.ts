import test from 'node:test';
import assert from 'node:assert/strict';
import { rain } from './rain.js';
import { texturedImage } from '../synthetic-images.js';
import { degradeWithSeed, effectBySeverity, inUnitRange, meanAbsDiff, signedChange } from '../util/degradation-checks.js';
import { Rng } from '../../util/rng.js';

const img = texturedImage(96, 80);

test('rain changes the image, stays in [0,1] and leaves the input untouched', async () => {
  const before = new Float32Array(img.data);
  const { out } = await degradeWithSeed(rain, img, 1, 0.5);
  assert.equal(out.data.length, img.data.length);
  assert.ok(inUnitRange(out));
  assert.ok(meanAbsDiff(img, out) > 0.005);
  assert.deepEqual(img.data, before);
});

test('rain: same seed gives identical bytes, another seed differs', async () => {
  const a = await degradeWithSeed(rain, img, 42);
  const b = await degradeWithSeed(rain, img, 42);
  const c = await degradeWithSeed(rain, img, 43);
  assert.deepEqual(Buffer.from(a.out.data.buffer), Buffer.from(b.out.data.buffer));
  assert.notDeepEqual(Buffer.from(a.out.data.buffer), Buffer.from(c.out.data.buffer));
});

test('rain params survive JSON and replay to the same output', async () => {
  const rng = new Rng(7);
  const params = rain.sample(rng, 0.6);
  const state = rng.state();
  const replayed = JSON.parse(JSON.stringify(params));
  assert.deepEqual(replayed, params);
  const a = rain.apply(img, params, Rng.fromState(state));
  const b = rain.apply(img, replayed, Rng.fromState(state));
  assert.deepEqual(a, b);
});

test('rain: the effect grows with severity', async () => {
  const effect = await effectBySeverity(rain, img, [0.1, 0.5, 0.9], [1, 2, 3, 4]);
  assert.ok(effect[0]! < effect[1]! && effect[1]! < effect[2]!, `not monotonic: ${effect}`);
});

test('rain adds mostly bright changes', async () => {
  for (const s of [0.3, 0.9]) {
    const { out } = await degradeWithSeed(rain, img, 5, s);
    const { up, down } = signedChange(img, out);
    assert.ok(up > 4 * down, `severity ${s}: up ${up} vs down ${down}`);
  }
});

test('rain: without severity, samples cover light to heavy', () => {
  const rng = new Rng(3);
  const sev = Array.from({ length: 200 }, () => rain.sample(rng).severity);
  assert.ok(Math.min(...sev) >= 0 && Math.max(...sev) <= 1);
  assert.ok(sev.some((s) => s < 0.15) && sev.some((s) => s > 0.85));
});
