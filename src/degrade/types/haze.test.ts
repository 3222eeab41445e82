import test from 'node:test';
import assert from 'node:assert/strict';
import { haze, hazeDepth, type HazeParams } from './haze.js';
import { texturedImage } from '../synthetic-images.js';
import { degradeWithSeed, effectBySeverity, inUnitRange, meanAbsDiff } from '../util/degradation-checks.js';
import { Rng } from '../../util/rng.js';

const img = texturedImage(96, 80);

test('haze changes the image, stays in [0,1] and leaves the input untouched', async () => {
  const before = new Float32Array(img.data);
  const { out } = await degradeWithSeed(haze, img, 1, 0.5);
  assert.ok(inUnitRange(out));
  assert.ok(meanAbsDiff(img, out) > 0.01);
  assert.deepEqual(img.data, before);
});

test('haze: same seed gives identical bytes, another seed differs', async () => {
  const a = await degradeWithSeed(haze, img, 42);
  const b = await degradeWithSeed(haze, img, 42);
  const c = await degradeWithSeed(haze, img, 43);
  assert.deepEqual(Buffer.from(a.out.data.buffer), Buffer.from(b.out.data.buffer));
  assert.notDeepEqual(Buffer.from(a.out.data.buffer), Buffer.from(c.out.data.buffer));
});

test('haze params survive JSON and replay to the same output', async () => {
  const rng = new Rng(7);
  const params = haze.sample(rng, 0.6);
  const state = rng.state();
  const replayed = JSON.parse(JSON.stringify(params));
  assert.deepEqual(replayed, params);
  assert.deepEqual(haze.apply(img, params, Rng.fromState(state)), haze.apply(img, replayed, Rng.fromState(state)));
});

test('haze: the effect grows with severity', async () => {
  const effect = await effectBySeverity(haze, img, [0.1, 0.5, 0.9], [1, 2, 3, 4]);
  assert.ok(effect[0]! < effect[1]! && effect[1]! < effect[2]!, `not monotonic: ${effect}`);
});

test('haze with uniform depth is exactly J·e^−β + A·(1 − e^−β)', async () => {
  const params: HazeParams = { ...haze.sample(new Rng(9), 0.7), uniformDepth: true, beta: 0.8, airlight: [0.9, 0.85, 0.8] };
  const out = await haze.apply(img, params, new Rng(1));
  const t = Math.exp(-0.8);
  for (let i = 0; i < img.data.length; i++) {
    const a = params.airlight[i % 3]!;
    assert.ok(Math.abs(out.data[i]! - (img.data[i]! * t + a * (1 - t))) < 1e-6, `pixel value ${i}`);
  }
});

test('haze depth proxy lies in [near, 1] and is farther at the top on average', () => {
  const params: HazeParams = {
    ...haze.sample(new Rng(11), 0.5),
    uniformDepth: false,
    near: 0.4,
    horizon: 0.3,
    horizonWeight: 1,
    fieldWeight: 0.3,
    contentWeight: 0.3,
  };
  const d = hazeDepth(img, params, new Rng(2));
  let top = 0;
  let bottom = 0;
  const rowLen = img.width;
  for (let i = 0; i < d.length; i++) {
    assert.ok(d[i]! >= 0.4 - 1e-6 && d[i]! <= 1 + 1e-6);
    if (i < 10 * rowLen) top += d[i]!;
    if (i >= d.length - 10 * rowLen) bottom += d[i]!;
  }
  assert.ok(top > bottom);
});

test('haze brightens a dark-to-mid image towards the airlight and lowers contrast', async () => {
  const { out } = await degradeWithSeed(haze, img, 4, 0.8);
  const std = (x: Float32Array) => {
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let s = 0;
    for (const v of x) s += (v - m) * (v - m);
    return Math.sqrt(s / x.length);
  };
  assert.ok(std(out.data) < std(img.data));
});
