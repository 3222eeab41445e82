/**
 * Equivalence of the exported graphs with the tfjs forward pass (same weights, same image):
 * ONNX Runtime vs restoreBatch / estimateProbabilities, max abs difference ≤ 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createBackbone, loraTargets, restoreBatch } from '../model/backbone.js';
import { presetConfig } from '../model/config.js';
import { createEstimator, estimateProbabilities, estimatorConfig } from '../model/estimator.js';
import { createAdapter, disposeMerged, mergeAdapters } from '../model/lora.js';
import { randomImages, randomize } from '../model/test-helpers.js';
import { ADAPTER_WEIGHTS_INPUT, adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx } from './export.js';
import { createSession, loadOrt } from '../ort/runtime.js';

const config = presetConfig('tiny');
await initEngine({ backend: 'cpu' });
const ort = await loadOrt();
const backbone = createBackbone(config, 3);
randomize(backbone, '.temperature', 0.5, 11); // temperatures ≠ 1 exercise the per-head scale
const targets = loraTargets(config);
const adapters = ['rain', 'noise'].map((name, i) => {
  const adapter = createAdapter(name, targets, { seed: `t${i}`, targets: i === 1 ? targets.slice(0, 6).map((t) => t.layer) : undefined });
  randomize(adapter.params, '.B', 0.2, 20 + i); // non-zero B: the adapters change the output
  return adapter;
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function runGraph(model: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, Float32Array>> {
  const session = await createSession(model);
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  const out = await session.run(inputs);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const blends = [
  { label: 'OH', weights: [0, 1] },
  { label: 'SW', weights: [0.35, 0.65] },
];

for (const [h, w] of [[37, 29], [16, 24]] as const) {
  test(`backbone graph with merged weights as inputs matches tfjs (${h}×${w}, OH and SW, seg logits)`, async () => {
    const image = randomImages(1, h, w, 3, h);
    const model = exportBackboneOnnx(backbone, config, { adaptersAs: 'inputs', adapters, segmentation: true });
    const names = adapterInputNames(config, adapters);
    for (const blend of blends) {
      const merged = mergeAdapters(backbone, adapters, blend.weights);
      const expected = restoreBatch(merged, config, image, { segmentation: true });
      const feeds: Record<string, { data: Float32Array; dims: number[] }> = { image: { data: image.dataSync() as Float32Array, dims: [1, h, w, 3] } };
      for (const name of names) feeds[name] = { data: merged[name]!.dataSync() as Float32Array, dims: [...merged[name]!.shape] };
      const got = await runGraph(model, feeds);
      const diff = maxDiff(got['restored']!, expected.restored.dataSync() as Float32Array);
      const segDiff = maxDiff(got['seg_logits']!, expected.segLogits!.dataSync() as Float32Array);
      assert.ok(diff <= 1e-4, `${blend.label}: restored differs by ${diff}`);
      assert.ok(segDiff <= 1e-4, `${blend.label}: seg logits differ by ${segDiff}`);
      // The adapters matter: the blend moves the output well beyond the tolerance.
      const plain = restoreBatch(backbone, config, image);
      assert.ok(maxDiff(plain.restored.dataSync() as Float32Array, expected.restored.dataSync() as Float32Array) > 1e-3);
      tf.dispose([expected.restored, expected.segLogits!, plain.restored]);
      disposeMerged(merged, backbone);
    }
    image.dispose();
  });
}

test('backbone graph with adapters as branches matches tfjs for a batch of two blends (37×29)', async () => {
  const [h, w] = [37, 29];
  const image = randomImages(2, h, w, 3, 5);
  const model = exportBackboneOnnx(backbone, config, { adaptersAs: 'branches', adapters });
  const got = await runGraph(model, {
    image: { data: image.dataSync() as Float32Array, dims: [2, h, w, 3] },
    [ADAPTER_WEIGHTS_INPUT]: { data: Float32Array.from(blends.flatMap((b) => b.weights)), dims: [2, 2] },
  });
  const expected = restoreBatch(backbone, config, image, { blend: { adapters, weights: blends.map((b) => b.weights) } });
  const diff = maxDiff(got['restored']!, expected.restored.dataSync() as Float32Array);
  assert.ok(diff <= 1e-4, `restored differs by ${diff}`);
  tf.dispose([image, expected.restored]);
});

test('estimator graph gives the same probabilities as tfjs (any input size, any batch)', async () => {
  const est = estimatorConfig(['rain', 'noise', 'haze'], { inputSize: 32, widths: [8, 16] });
  const params = createEstimator(est, 4);
  randomize(params, '.b', 0.3, 9);
  const graph = exportEstimatorOnnx(params, est);
  // one resized image, and a batch of native 32² crops as the engines pass them (estimatorCrops)
  for (const [n, h, w] of [[1, 45, 61], [3, 32, 32]] as const) {
    const image = randomImages(n, h, w, 3, 8);
    const got = await runGraph(graph, { image: { data: image.dataSync() as Float32Array, dims: [n, h, w, 3] } });
    const expected = Float32Array.from(estimateProbabilities(params, est, image).flat());
    const diff = maxDiff(got['probabilities']!, expected);
    assert.ok(diff <= 1e-4, `${n}×${h}×${w}: probabilities differ by ${diff}`);
    image.dispose();
  }
});
