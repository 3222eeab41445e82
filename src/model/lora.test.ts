import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createBackbone, forwardBackbone, loraTargets, restoreBatch } from './backbone.js';
import { presetConfig } from './config.js';
import { blendWeights } from './estimator.js';
import { createAdapter, disposeMerged, mergeAdapters } from './lora.js';
import { disposeParams } from './params.js';
import { maxAbsDiff, randomImages, randomize } from './test-helpers.js';

const config = presetConfig('tiny');

test('zero-initialised adapters leave the output exactly unchanged', async () => {
  await initEngine({ backend: 'wasm' });
  const base = createBackbone(config, 1);
  const targets = loraTargets(config);
  const rain = createAdapter('rain', targets);
  const haze = createAdapter('haze', targets, { rank: 2 });
  const x = randomImages(2, 16, 24);
  const diff = tf.tidy(() => {
    const plain = forwardBackbone(base, config, x).restored;
    const adapted = forwardBackbone(base, config, x, { blend: { adapters: [rain, haze], weights: [[0.3, 0.7], [1, 0]] } }).restored;
    return maxAbsDiff(plain, adapted);
  });
  assert.equal(diff, 0);
  tf.dispose(x);
  [base, rain.params, haze.params].forEach(disposeParams);
});

test('merged weights reproduce the unmerged blend within 1e-5 and the blend matters', async () => {
  await initEngine({ backend: 'wasm' });
  const base = createBackbone(config, 1);
  const targets = loraTargets(config);
  const rain = createAdapter('rain', targets);
  const noise = createAdapter('noise', targets, { rank: 3, alpha: 6 });
  randomize(rain.params, '.B', 0.2, 11);
  randomize(noise.params, '.B', 0.2, 12);
  const x = randomImages(1, 37, 23);
  const blend = [0.3, 0.7];
  const unmerged = restoreBatch(base, config, x, { blend: { adapters: [rain, noise], weights: [blend] } }).restored;
  const merged = mergeAdapters(base, [rain, noise], blend);
  const viaMerge = restoreBatch(merged, config, x).restored;
  const plain = restoreBatch(base, config, x).restored;
  const mergeDiff = maxAbsDiff(unmerged, viaMerge);
  const effect = maxAbsDiff(unmerged, plain);
  assert.ok(mergeDiff <= 1e-5, `merged vs unmerged differ by ${mergeDiff}`);
  assert.ok(effect > 1e-3, `adapters should change the output (max change ${effect})`);
  disposeMerged(merged, base);
  tf.dispose([x, unmerged, viaMerge, plain]);
  [base, rain.params, noise.params].forEach(disposeParams);
});

test('OH with adapter k equals SW with a one-hot weight vector, per image in a batch', async () => {
  await initEngine({ backend: 'wasm' });
  const base = createBackbone(config, 2);
  const targets = loraTargets(config);
  const names = ['rain', 'haze', 'noise'];
  const adapters = names.map((n, i) => createAdapter(n, targets, { seed: i }));
  adapters.forEach((a, i) => randomize(a.params, '.B', 0.2, 20 + i));
  // Estimator-style probabilities: image 0 is most likely haze, image 1 most likely noise.
  const probabilities = [[0.2, 0.9, 0.1], [0.3, 0.4, 0.8]];
  const oh = blendWeights(probabilities, names, names, 'oh');
  assert.deepEqual(oh, [[0, 1, 0], [0, 0, 1]]);
  const sw = blendWeights(probabilities, names, names, 'sw');
  assert.ok(Math.abs(sw[0]!.reduce((a, b) => a + b) - 1) < 1e-6); // float32 weights
  const x = randomImages(2, 16, 16);
  const diffs = tf.tidy(() => {
    const viaOh = forwardBackbone(base, config, x, { blend: { adapters, weights: oh } }).restored;
    const explicit = forwardBackbone(base, config, x, { blend: { adapters, weights: [[0, 1, 0], [0, 0, 1]] } }).restored;
    // Image 1 run alone with only the noise adapter must match its row in the batch.
    const alone = forwardBackbone(base, config, tf.slice(x, [1, 0, 0, 0], [1, 16, 16, 3]), { blend: { adapters: [adapters[2]!], weights: [[1]] } }).restored;
    const soft = forwardBackbone(base, config, x, { blend: { adapters, weights: sw } }).restored;
    return {
      ohVsOneHot: maxAbsDiff(viaOh, explicit),
      batchVsAlone: maxAbsDiff(tf.slice(viaOh, [1, 0, 0, 0], [1, 16, 16, 3]), alone),
      ohVsSoft: maxAbsDiff(viaOh, soft),
    };
  });
  assert.equal(diffs.ohVsOneHot, 0);
  assert.ok(diffs.batchVsAlone < 1e-5, `per-image blend leaks across the batch: ${diffs.batchVsAlone}`);
  assert.ok(diffs.ohVsSoft > 1e-4, 'soft weights should differ from one-hot');
  tf.dispose(x);
  [base, ...adapters.map((a) => a.params)].forEach(disposeParams);
});

test('adapters use their own parameter names and reject unknown layers', () => {
  const targets = loraTargets(config);
  const adapter = createAdapter('snow', targets, { targets: ['enc1.0.attn.qkv'] });
  assert.deepEqual(Object.keys(adapter.params).sort(), ['lora.snow.enc1.0.attn.qkv.A', 'lora.snow.enc1.0.attn.qkv.B']);
  assert.deepEqual(adapter.params['lora.snow.enc1.0.attn.qkv.A']!.shape, [config.dim, 4]);
  assert.throws(() => createAdapter('x', targets, { targets: ['nope'] }), /unknown layer 'nope'/);
  assert.throws(() => createAdapter('bad name', targets), /adapter name/);
  disposeParams(adapter.params);
});
