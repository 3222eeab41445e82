/**
 * Every trainable parameter must receive a non-zero gradient: the backbone and segmentation head
 * (Phase I loss), LoRA A/B (Phase II; B is made non-zero first, as after one step, since with
 * B = 0 the gradient of A is exactly zero by construction) and the estimator (BCE). Checked on wasm (the training
 * backend) and on cpu (the numerical reference).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf, type BackendName } from '../tfjs/backend.js';
import { createBackbone, forwardBackbone, loraTargets } from './backbone.js';
import { presetConfig } from './config.js';
import { createAdapter } from './lora.js';
import { createEstimator, estimatorConfig, estimatorLogits } from './estimator.js';
import { disposeParams } from './params.js';
import { randomImages, randomize } from './test-helpers.js';

async function zeroGradientParams(backend: BackendName): Promise<{ zero: string[]; checked: number }> {
  await initEngine({ backend });
  const config = presetConfig('tiny');
  const base = createBackbone(config, 5);
  const targets = loraTargets(config);
  const rain = createAdapter('rain', targets);
  const haze = createAdapter('haze', targets);
  randomize(rain.params, '.B', 0.1, 3);
  randomize(haze.params, '.B', 0.1, 4);
  const x = randomImages(2, 16, 16, 3, 8);
  const target = randomImages(2, 16, 16, 3, 9);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 2 * 16 * 16 }, (_, i) => i % (config.segClasses + 1)), 'int32'), config.segClasses + 1);
  const estConfig = estimatorConfig(['rain', 'haze'], { inputSize: 16, widths: [4, 8] });
  const estimator = createEstimator(estConfig);
  const estTargets = tf.tensor2d([[1, 0], [1, 1]]);
  const variables = [...Object.values(base), ...Object.values(rain.params), ...Object.values(haze.params), ...Object.values(estimator)];
  const names = [...Object.keys(base), ...Object.keys(rain.params), ...Object.keys(haze.params), ...Object.keys(estimator)];
  const { value, grads } = tf.variableGrads(() => {
    const out = forwardBackbone(base, config, x, { segmentation: true, blend: { adapters: [rain, haze], weights: [[0.5, 0.5], [0.2, 0.8]] } });
    const l1 = tf.mean(tf.abs(tf.sub(out.restored, target)));
    const logits = tf.reshape(out.segLogits!, [-1, config.segClasses + 1]);
    const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
    const bce = tf.losses.sigmoidCrossEntropy(estTargets, estimatorLogits(estimator, estConfig, x));
    return tf.addN([l1, tf.mul(crossEntropy, 0.1), bce]) as tf.Scalar;
  }, variables);
  assert.ok(Number.isFinite(value.dataSync()[0]));
  const zero: string[] = [];
  variables.forEach((v, i) => {
    const g = grads[v.name];
    const norm = g ? tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) : 0;
    if (!(norm > 0) || !Number.isFinite(norm)) zero.push(names[i]!);
  });
  tf.dispose([value, x, target, labels, estTargets, ...Object.values(grads)]);
  [base, rain.params, haze.params, estimator].forEach(disposeParams);
  return { zero, checked: variables.length };
}

test('every trainable parameter gets a non-zero gradient on cpu', async () => {
  const { zero, checked } = await zeroGradientParams('cpu');
  assert.ok(checked > 100);
  assert.deepEqual(zero, []);
  await initEngine({ backend: 'wasm' });
});

test('every trainable parameter gets a non-zero gradient on wasm', async () => {
  const { zero } = await zeroGradientParams('wasm');
  assert.deepEqual(zero, []);
});
