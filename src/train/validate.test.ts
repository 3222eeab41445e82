/**
 * Validation on ONNX Runtime against the same metrics computed from the tfjs forward (the model
 * code's other runtime, kept for such cross-checks): PSNR of the backbone and of the backbone with
 * a trained-looking adapter, BCE and accuracy of an estimator with the clean output.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createBackbone, forwardBackbone, loraTargets } from '../model/backbone.js';
import { presetConfig } from '../model/config.js';
import { createEstimator, estimatorConfig, estimatorLogits } from '../model/estimator.js';
import { createAdapter } from '../model/lora.js';
import { disposeParams, hostValues } from '../model/params.js';
import { randomize } from '../model/test-helpers.js';
import { Rng } from '../util/rng.js';
import type { HostBatch } from './engine.js';
import { estimatorValidator, psnrRows, restorationValidator } from './validate.js';

const config = presetConfig('tiny');
const N = 5, P = 16;

function batch(seed: string): HostBatch {
  const rng = new Rng(seed);
  const target = Float32Array.from({ length: N * P * P * 3 }, () => rng.uniform(0.1, 0.9));
  const input = target.map((t) => t + 0.15 * rng.uniform(-1, 1));
  return { input: { shape: [N, P, P, 3], data: input }, target: { shape: [N, P, P, 3], data: target } };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('restoration validation (backbone, backbone + adapter) gives the PSNR of the tfjs forward', async () => {
  await initEngine({ backend: 'wasm' });
  const params = createBackbone(config, 'val');
  const adapter = createAdapter('rain', loraTargets(config), { rank: 2, alpha: 4, seed: 'val' });
  randomize(adapter.params, '.B', 0.2);
  const b = batch('val');
  const x = tf.tensor4d(b.input!.data as Float32Array, [N, P, P, 3]);
  const host = hostValues(params);
  const frozenAndAdapter = { ...host, ...hostValues(adapter.params) };
  // chunk 2 of 5 rows: the last chunk is short
  const plain = await restorationValidator(config, P, { chunk: 2, threads: 1 });
  const withAdapter = await restorationValidator(config, P, { adapter: adapter.config, chunk: 2, threads: 1 });
  try {
    for (const [name, validator, weights, opts] of [
      ['backbone', plain, host, {}],
      ['backbone + adapter', withAdapter, frozenAndAdapter, { blend: { adapters: [adapter], weights: tf.ones([N, 1]) as tf.Tensor2D } }],
    ] as const) {
      const got = await validator.run(b, weights);
      const restored = forwardBackbone(params, config, x, opts).restored;
      const want = mean(psnrRows(restored.dataSync(), b.target!.data, N, P * P * 3, true));
      restored.dispose();
      assert.ok(Math.abs(got.psnr! - want) < 1e-3, `${name}: ORT ${got.psnr} dB, tfjs ${want} dB`);
      assert.ok(Math.abs(got.inputPsnr! - mean(psnrRows(b.input!.data, b.target!.data, N, P * P * 3, true))) < 1e-9);
    }
    // the adapter changes the output: the check above compares something
    const [a, c] = [await plain.run(b, host), await withAdapter.run(b, frozenAndAdapter)];
    assert.ok(Math.abs(a.psnr! - c.psnr!) > 1e-3, `adapter off ${a.psnr}, on ${c.psnr}`);
  } finally {
    await plain.dispose();
    await withAdapter.dispose();
    x.dispose();
    disposeParams(params);
    disposeParams(adapter.params);
  }
});

test('estimator validation (with the clean output) gives the BCE and accuracy of the tfjs logits', async () => {
  await initEngine({ backend: 'wasm' });
  const est = estimatorConfig(['rain', 'noise'], { inputSize: 16, widths: [4, 8], clean: true });
  const params = createEstimator(est, 'val');
  randomize(params, '.w', 0.5);
  const rng = new Rng('est-val');
  const n = 7, size = 24, k = 3;
  const b: HostBatch = {
    input: { shape: [n, size, size, 3], data: Float32Array.from({ length: n * size * size * 3 }, () => rng.uniform(0, 1)) },
    labels: { shape: [n, k], data: Float32Array.from({ length: n * k }, () => (rng.uniform(0, 1) < 0.5 ? 1 : 0)) },
  };
  const validator = await estimatorValidator(est, size, { chunk: 3, threads: 1 });
  try {
    const got = await validator.run(b, hostValues(params));
    const logits = estimatorLogits(params, est, tf.tensor4d(b.input!.data as Float32Array, [n, size, size, 3]));
    const z = logits.dataSync();
    logits.dispose();
    let bce = 0, hits = 0;
    for (let i = 0; i < n * k; i++) {
      const y = b.labels!.data[i]!;
      bce += Math.max(z[i]!, 0) - z[i]! * y + Math.log1p(Math.exp(-Math.abs(z[i]!)));
      if ((z[i]! > 0 ? 1 : 0) === y) hits++;
    }
    assert.ok(Math.abs(got.bce! - bce / (n * k)) < 1e-5, `ORT ${got.bce}, tfjs ${bce / (n * k)}`);
    assert.equal(got.accuracy, hits / (n * k));
  } finally {
    await validator.dispose();
    disposeParams(params);
  }
});
