import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { presetConfig } from './config.js';
import { softWeights } from './soft-weights.js';
import { blendWeights, estimatorArchitecture, estimatorSpecs, createEstimator, estimateProbabilities, estimatorConfig, estimatorFlops, estimatorLogits, upgradeEstimatorConfig, type EstimatorConfig } from './estimator.js';
import { estimatorWithClasses, withCleanOutput } from './estimator-grow.js';
import { backboneFlopsPerPixel } from './flops.js';
import { assignParams, createParams, disposeParams, hostValues, type Params, type ParamStore } from './params.js';
import { randomImages } from './test-helpers.js';

/** A regrown estimator (host values) as a tfjs store, to run it. */
function asStore(regrown: { config: EstimatorConfig; params: Record<string, Float32Array> }): { config: EstimatorConfig; params: ParamStore } {
  const store = createParams(estimatorSpecs(regrown.config));
  assignParams(store, Object.fromEntries(Object.entries(regrown.params).map(([name, data]) => [name, { shape: [...store[name]!.shape], data }])));
  return { config: regrown.config, params: store };
}

const addEstimatorClass = (config: EstimatorConfig, params: Params, className: string) => asStore(estimatorWithClasses(config, hostValues(params), [...config.classes, className]));

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
  const config = estimatorConfig(['rain', 'haze'], { inputSize: 32, swExponent: 2 });
  const params = createEstimator(config);
  const grown = addEstimatorClass(config, params, 'snow');
  assert.deepEqual(grown.config.classes, ['rain', 'haze', 'snow']);
  assert.equal(grown.config.swExponent, 2, 'the blend setting travels with the estimator');
  const x = randomImages(2, 40, 40);
  const [before, after] = tf.tidy(() => [estimatorLogits(params, config, x).arraySync(), estimatorLogits(grown.params, grown.config, x).arraySync()]) as [number[][], number[][]];
  for (let i = 0; i < 2; i++) {
    assert.equal(after[i]!.length, 3);
    assert.deepEqual(after[i]!.slice(0, 2), before[i]);
  }
  assert.throws(() => addEstimatorClass(config, params, 'rain'), /duplicate class/);
  x.dispose();
  disposeParams(params);
  disposeParams(grown.params);
});

test('the clean output: one more head column, old outputs kept, later classes go before it', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['rain', 'haze'], { inputSize: 32, swExponent: 2 });
  const params = createEstimator(config);
  const withClean = asStore(withCleanOutput(config, hostValues(params)));
  assert.equal(withClean.config.clean, true);
  assert.equal(withClean.config.keepClean, true, 'the clean output exists to be used');
  assert.equal(withClean.config.swExponent, 2);
  assert.deepEqual(estimatorSpecs(withClean.config).find((s) => s.name === 'est.head.w')!.shape.at(-1), 3);
  assert.throws(() => withCleanOutput(withClean.config, hostValues(withClean.params)), /already has the clean output/);
  const grown = addEstimatorClass(withClean.config, withClean.params, 'snow');
  assert.deepEqual(grown.config.classes, ['rain', 'haze', 'snow']);
  const x = randomImages(2, 40, 40);
  const [base, clean, both] = tf.tidy(() => [params, withClean.params, grown.params].map((p, i) => estimatorLogits(p, [config, withClean.config, grown.config][i]!, x).arraySync())) as [number[][], number[][], number[][]];
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(clean[i]!.slice(0, 2), base[i], 'class outputs unchanged by the clean output');
    assert.equal(both[i]!.length, 4);
    assert.deepEqual(both[i]!.slice(0, 2), base[i]);
    assert.equal(both[i]![3], clean[i]![2], 'p(clean) stays the last output when a class is added');
  }
  // the weights record: unchanged for estimators without the output, marked for those with it
  assert.equal('clean' in estimatorArchitecture(config), false);
  assert.equal(estimatorArchitecture(withClean.config).clean, true);
  assert.equal(upgradeEstimatorConfig({ classes: ['rain'], inputSize: 32, widths: [8], inChannels: 3 }).clean, false);
  assert.throws(() => estimatorConfig(['rain', 'clean']), /name of the clean output/);
  x.dispose();
  for (const p of [params, withClean.params, grown.params]) disposeParams(p);
});

test('SW weights are the softmax of the logits, OH the argmax, in adapter order', () => {
  const probs = [[0.6, 0.2, 0.2], [0, 0, 0]];
  assert.deepEqual(blendWeights(probs, ['a', 'b', 'c'], ['c', 'a'], 'oh'), [[0, 1], [1, 0]]);
  const sw = blendWeights(probs, ['a', 'b', 'c'], ['a', 'b', 'c'], 'sw');
  // odds 1.5, 0.25, 0.25
  assert.deepEqual(sw[0]!.map((v) => Math.round(v * 1000) / 1000), [0.75, 0.125, 0.125]);
  assert.deepEqual(sw[1], [1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  assert.throws(() => blendWeights(probs, ['a', 'b', 'c'], ['z'], 'sw'), /no estimator class for adapter 'z'/);
  // The estimator's SW exponent x: weights ∝ odds^x (odds² 2.25, 0.0625, 0.0625 for x = 2)
  const sharp = blendWeights(probs, ['a', 'b', 'c'], ['a', 'b', 'c'], 'sw', 2);
  assert.deepEqual(sharp[0]!.map((v) => Math.round(v * 10000) / 10000), [0.9474, 0.0263, 0.0263]);
  assert.deepEqual(sharp[1], [1 / 3, 1 / 3, 1 / 3].map(Math.fround));
});

test('the SW exponent: odds^x normalised, no overflow at saturated probabilities, refused unless finite and > 0', () => {
  const p = [0.9, 0.5, 0.1];
  const odds = [9, 1, 1 / 9];
  for (const x of [0.5, 1, 2, 3]) {
    const expected = odds.map((o) => o ** x / odds.reduce((s, v) => s + v ** x, 0));
    softWeights(p, x).forEach((w, i) => assert.ok(Math.abs(w - expected[i]!) < 1e-7, `x ${x}: ${w} vs ${expected[i]}`));
  }
  // Exponent 1 is the plain softmax bit for bit (models without the setting blend as before).
  assert.deepEqual(softWeights(p, 1), Float32Array.from(odds, (o) => o / odds.reduce((s, v) => s + v, 0)));
  // Saturated sigmoids: odds clamp at ~1e6, and (1e6)^400 would be Infinity without the rescale.
  const saturated = softWeights([1, 1, 0.5], 400);
  assert.deepEqual(Array.from(saturated), [0.5, 0.5, 0].map(Math.fround));
  for (const bad of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => softWeights(p, bad), /SW exponent must be a finite number > 0/);
});

test('default estimator costs under 5% of the tiny backbone at 256²', () => {
  const est = estimatorFlops(estimatorConfig(['rain', 'haze', 'noise', 'blur', 'lowlight']));
  const backbone = backboneFlopsPerPixel(presetConfig('tiny')) * 256 * 256;
  assert.ok(est / backbone < 0.05, `ratio ${est / backbone}`);
});

test('the high-pass input: a Laplacian at start, absent from configs stored before it existed', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['noise'], { inputSize: 16, widths: [4] });
  assert.equal(config.highPass, true);
  const params = createEstimator(config, 2);
  const kernel = params['est.highpass.w']!;
  assert.deepEqual(kernel.shape, [3, 3, 3, 1]);
  // Every channel: 4·[0,-1,0; -1,4,-1; 0,-1,0] (so a flat image gives zero high-pass).
  const taps = Array.from(kernel.dataSync());
  for (let c = 0; c < 3; c++) assert.deepEqual(taps.filter((_, i) => i % 3 === c), [0, -4, 0, -4, 16, -4, 0, -4, 0]);
  assert.deepEqual(params['est.conv0.w']!.shape, [3, 3, 6, 4]);
  const { highPass: _dropped, ...stored } = estimatorConfig(['noise'], { inputSize: 16, widths: [4], highPass: false });
  assert.equal(upgradeEstimatorConfig(stored).highPass, false);
  assert.throws(() => estimatorConfig(['noise'], { highPass: 'yes' as never }), /highPass must be true or false/);
  // swExponent: 1 by default and for configs stored before it; checked like the rest.
  assert.equal(config.swExponent, 1);
  assert.equal(upgradeEstimatorConfig(stored).swExponent, 1);
  assert.equal(upgradeEstimatorConfig({ ...stored, swExponent: 2 }).swExponent, 2);
  for (const bad of [0, -1, '2' as never, Number.NaN]) assert.throws(() => estimatorConfig(['noise'], { swExponent: bad }), /swExponent must be a finite number > 0/);
  disposeParams(params);
});

test('with the high-pass input the estimator learns to tell faint noise from clean within 60 steps', async () => {
  await initEngine({ backend: 'wasm' });
  const config = estimatorConfig(['noise'], { inputSize: 32, widths: [8, 16] });
  const params = createEstimator(config, 1);
  // Smooth random images; every other one gets Gaussian noise of σ = 0.03 (8/255).
  const batch = (seed: number) => tf.tidy(() => {
    const base = tf.image.resizeBilinear(tf.randomUniform([8, 4, 4, 3], 0, 1, 'float32', seed) as tf.Tensor4D, [32, 32]);
    const labels = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [i % 2]), [8, 1]);
    const noise = tf.mul(tf.randomNormal([8, 32, 32, 3], 0, 0.03, 'float32', seed + 1), tf.reshape(labels, [8, 1, 1, 1]));
    return [tf.add(base, noise) as tf.Tensor4D, labels] as const;
  });
  const optimizer = tf.train.adam(1e-3);
  for (let step = 0; step < 60; step++) {
    const [x, y] = batch(1000 + 2 * step);
    optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, estimatorLogits(params, config, x)), true, Object.values(params))?.dispose();
    tf.dispose([x, y]);
  }
  const [x, y] = batch(7);
  const probabilities = estimateProbabilities(params, config, x);
  const truth = y.dataSync();
  const correct = probabilities.filter((row, i) => (row[0]! > 0.5 ? 1 : 0) === truth[i]).length;
  assert.ok(correct >= 7, `held-out: ${correct}/8 correct (${probabilities.map((r) => r[0]!.toFixed(2)).join(' ')})`);
  tf.dispose([x, y]);
  optimizer.dispose();
  disposeParams(params);
});
