import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../engine/backend.js';
import { presetConfig } from './config.js';
import { addEstimatorClass, blendWeights, createEstimator, estimateProbabilities, estimatorConfig, estimatorFlops, estimatorLogits } from './estimator.js';
import { backboneFlopsPerPixel } from './flops.js';
import { disposeParams } from './params.js';
import { randomImages } from './test-helpers.js';

test('estimator gives one probability per class for any input size', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['rain', 'haze', 'noise']);
  const params = createEstimator(config);
  const x = randomImages(2, 45, 70);
  const probs = estimateProbabilities(params, config, x);
  assert.equal(probs.length, 2);
  for (const row of probs) {
    assert.equal(row.length, 3);
    for (const p of row) assert.ok(p > 0 && p < 1);
  }
  x.dispose();
  disposeParams(params);
});

test('adding a class keeps every existing output exactly', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['rain', 'haze'], { inputSize: 32 });
  const params = createEstimator(config);
  const grown = addEstimatorClass(config, params, 'snow');
  assert.deepEqual(grown.config.classes, ['rain', 'haze', 'snow']);
  const x = randomImages(2, 40, 40);
  const [before, after] = tf.tidy(() => [estimatorLogits(params, config, x).arraySync(), estimatorLogits(grown.params, grown.config, x).arraySync()]) as [number[][], number[][]];
  for (let i = 0; i < 2; i++) {
    assert.equal(after[i]!.length, 3);
    assert.deepEqual(after[i]!.slice(0, 2), before[i]);
  }
  assert.throws(() => addEstimatorClass(config, params, 'rain'), /already has class/);
  x.dispose();
  disposeParams(params);
  disposeParams(grown.params);
});

test('SW weights are normalised probabilities, OH the argmax, in adapter order', () => {
  const probs = [[0.6, 0.2, 0.2], [0, 0, 0]];
  assert.deepEqual(blendWeights(probs, ['a', 'b', 'c'], ['c', 'a'], 'oh'), [[0, 1], [1, 0]]);
  const sw = blendWeights(probs, ['a', 'b', 'c'], ['a', 'b', 'c'], 'sw');
  assert.deepEqual(sw[0]!.map((v) => Math.round(v * 100) / 100), [0.6, 0.2, 0.2]);
  assert.deepEqual(sw[1], [1 / 3, 1 / 3, 1 / 3]);
  assert.throws(() => blendWeights(probs, ['a', 'b', 'c'], ['z'], 'sw'), /no estimator class for adapter 'z'/);
});

test('default estimator costs under 5% of the tiny backbone at 256²', () => {
  const est = estimatorFlops(estimatorConfig(['rain', 'haze', 'noise', 'blur', 'lowlight']));
  const backbone = backboneFlopsPerPixel(presetConfig('tiny')) * 256 * 256;
  assert.ok(est / backbone < 0.05, `ratio ${est / backbone}`);
});
