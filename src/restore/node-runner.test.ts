/**
 * The Node face's ONNX runner against the model's own tfjs code (src/model, the training path) on
 * the same model folder: same estimator probabilities, same tiles (OH, SW, explicit blends, tiny
 * and odd tiles) and the same segmentation logits, reordered to the runner's classes. tfjs is
 * only the reference here; the runner itself never loads it.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine, tf } from '../tfjs/backend.js';
import {
  createAdapter, createBackbone, createEstimator, disposeMerged, disposeParams, estimateProbabilities, estimatorConfig, loraTargets, mergeAdapters, presetConfig, restoreBatch,
  saveAdapter, saveBackbone, saveEstimator,
} from '../model/index.js';
import { randomImages, randomize } from '../model/test-helpers.js';
import { toParams } from '../model/weights.js';
import { gateFeatureCount, gateFeatures, gateShare, type CleanGate } from '../model/clean-gate.js';
import { saveCleanGate } from '../model/clean-gate-file.js';
import { estimatorCrops, meanRows } from './estimator-input.js';
import { readParts, segmentationMapping } from './model-folder.js';
import { createNodeRunner } from './node-runner.js';
import type { Raster } from './tile-plan.js';

const config = presetConfig('tiny');
await initEngine({ backend: 'wasm' });

async function writeModel(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-node-runner-'));
  const base = createBackbone(config, 11);
  await saveBackbone(dir, config, base, { preset: 'tiny', provenance: { segClasses: ['x', 'b', 'a', 'y', 'z'] } });
  for (const [i, name] of ['a', 'b'].entries()) {
    const adapter = createAdapter(name, loraTargets(config), { rank: 2, alpha: 4 });
    randomize(adapter.params, '.B', 0.3, 100 + i);
    await saveAdapter(dir, adapter, config);
    disposeParams(adapter.params);
  }
  const estConfig = estimatorConfig(['b', 'a'], { inputSize: 32, widths: [4, 8], swExponent: 2 });
  const est = createEstimator(estConfig, 5);
  randomize(est, '.b', 1.5, 9);
  await saveEstimator(dir, estConfig, est);
  disposeParams(est);
  disposeParams(base);
  return dir;
}

function maxDiff(a: Raster, b: Raster): number {
  assert.deepEqual([b.height, b.width, b.channels], [a.height, a.width, a.channels]);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
}

const clip = (r: Raster): Raster => ({ ...r, data: r.data.map((v) => Math.min(1, Math.max(0, v))) });

test('the ONNX runner matches the model\'s tfjs forward code', async () => {
  const dir = await writeModel();
  const parts = await readParts(dir);
  const base = toParams(parts.backbone.params);
  const estimator = toParams(parts.estimator!.params);
  const adapters = parts.adapters.map((a) => ({ ...a, params: toParams(a.params) }));
  const runner = await createNodeRunner(dir);
  try {
    assert.deepEqual(runner.classes, ['b', 'a']);
    assert.deepEqual([runner.swExponent, runner.canMap], [2, true]);
    // 41×27 is under the 32² crop in height (resized whole), 300×200 gives the 3×3 crop batch
    for (const [w, h] of [[41, 27], [300, 200]] as const) {
      const image = { width: w, height: h, data: randomImages(1, h, w, 3, 4).dataSync() as Float32Array };
      const crops = estimatorCrops(image, 32);
      const input = tf.tensor4d(crops.data, [crops.count, 32, 32, 3]);
      const expected = meanRows(estimateProbabilities(estimator, parts.estimator!.config, input).flat(), crops.count);
      input.dispose();
      const mine = await runner.estimate(image);
      expected.forEach((p, k) => assert.ok(Math.abs(p - mine[k]!) <= 1e-4, `${w}×${h} class ${k}: ${p} vs ${mine[k]}`));
    }

    const mapping = segmentationMapping(['x', 'b', 'a', 'y', 'z'], ['b', 'a'])!;
    for (const weights of [[1, 0], [0.3, 0.7], [0, 0]]) {
      await runner.prepare(Float32Array.from(weights));
      const merged = weights.some((v) => v !== 0) ? mergeAdapters(base, adapters, weights) : base;
      for (const [h, w] of [[37, 29], [5, 3], [24, 16]] as const) {
        const tensor = randomImages(1, h, w, 3, h * w);
        const tile: Raster = { width: w, height: h, channels: 3, data: Float32Array.from(tensor.dataSync() as Float32Array) };
        const withMap = h === 37 && weights[1] === 0.7;
        const out = restoreBatch(merged, config, tensor, { segmentation: withMap });
        tensor.dispose();
        const expected: Raster = { width: w, height: h, channels: 3, data: Float32Array.from(out.restored.dataSync() as Float32Array) };
        const mine = await runner.runTile(tile, { map: withMap });
        const diff = maxDiff(clip(expected), clip(mine.restored));
        assert.ok(diff <= 1e-4, `blend ${weights} ${h}×${w}: differs by ${diff}`);
        assert.ok(maxDiff(clip(expected), tile) > 1e-3, 'the network changes the tile (else the comparison tests nothing)');
        if (withMap) {
          // the head's 6 channels (clean, x, b, a, y, z) reordered to clean, b, a
          const logits = out.segLogits!.dataSync() as Float32Array;
          const picked = new Float32Array(w * h * 3);
          for (let p = 0; p < w * h; p++) for (let j = 0; j < 3; j++) for (let i = 0; i < 6; i++) picked[p * 3 + j]! += logits[p * 6 + i]! * mapping.select[i * 3 + j]! + (i === 0 ? mapping.bias[j]! : 0);
          const segDiff = maxDiff({ width: w, height: h, channels: 3, data: picked }, mine.logits!);
          assert.ok(segDiff <= 1e-4, `segmentation differs by ${segDiff}`);
        } else {
          assert.equal(mine.logits, null);
        }
        out.restored.dispose();
        out.segLogits?.dispose();
      }
      if (merged !== base) disposeMerged(merged, base);
    }
  } finally {
    await runner.dispose();
    disposeParams(base);
    disposeParams(estimator);
    adapters.forEach((a) => disposeParams(a.params));
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('runTile: an abort rejects mid-tile, and the runner keeps giving the same answer', async () => {
  const dir = await writeModel();
  const runner = await createNodeRunner(dir);
  const images = randomImages(1, 320, 320, 3, 21) as tf.Tensor4D;
  const tile: Raster = { width: 320, height: 320, channels: 3, data: Float32Array.from(images.dataSync() as Float32Array) };
  images.dispose();
  try {
    await runner.prepare(Float32Array.from([0.4, 0.6]));
    const started = performance.now();
    const first = (await runner.runTile(tile, { map: false })).restored;
    const full = performance.now() - started;

    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, Math.min(10, full / 4));
    await assert.rejects(runner.runTile(tile, { map: false, signal: controller.signal }), { name: 'AbortError' });
    const latency = performance.now() - abortedAt;
    // honoured within a fraction of the tile (a whole one takes `full` ms)
    assert.ok(latency < Math.max(30, full / 2), `the abort took ${latency.toFixed(0)} ms, a whole tile ${full.toFixed(0)} ms`);

    // the abandoned run is waited for: the next call gives the right answer
    assert.equal(maxDiff((await runner.runTile(tile, { map: false })).restored, first), 0);
    const controller2 = new AbortController();
    const pending = runner.runTile(tile, { map: false, signal: controller2.signal });
    controller2.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(maxDiff((await runner.runTile(tile, { map: false })).restored, first), 0);
  } finally {
    await runner.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a clean gate in the folder gives p(clean) after the classes: its share of the estimator\'s per-crop outputs', async () => {
  const dir = await writeModel();
  const f = gateFeatureCount(2, 1);
  const gate: CleanGate = {
    classes: ['b', 'a'], statistics: ['dark01'], hazeVeto: { from: 0, to: 1 }, hidden: 3,
    mean: Array.from({ length: f }, (_, i) => 0.1 * i), scale: Array.from({ length: f }, (_, i) => 1 + 0.2 * i),
    w1: Array.from({ length: f * 3 }, (_, i) => Math.sin(i + 1)), b1: [0.1, -0.2, 0.3], w2: [0.8, -0.5, 1.1], b2: -0.3,
  };
  await saveCleanGate(dir, gate, path.join(dir, 'estimator.safetensors'), { phase: 'clean-gate' });
  // a veil lifts the dark channel, so the gate's veto (from 0 to 1: a factor 1 − dark) shows
  const image = { width: 120, height: 90, data: (randomImages(1, 90, 120, 3, 6).dataSync() as Float32Array).map((v) => 0.3 + 0.5 * v) };
  const withGate = await createNodeRunner(dir);
  const without = await createNodeRunner(dir, { cleanGate: false });
  try {
    assert.equal(withGate.hasCleanOutput, true);
    assert.equal(without.hasCleanOutput, false);
    const crops = await without.estimateCrops(image);
    assert.deepEqual([crops.count, crops.stride], [9, 2]);
    const plain = await without.estimate(image);
    const gated = await withGate.estimate(image);
    assert.equal(gated.length, 3);
    assert.deepEqual(Array.from(gated.subarray(0, 2)), Array.from(plain), 'the classes are as without the gate');
    assert.ok(crops.stats.dark > 0.2 && crops.stats.dark01 <= crops.stats.dark, JSON.stringify(crops.stats));
    const share = gateShare(gate, gateFeatures(crops.rows, crops.count, crops.stride, 2, crops.stats, ['dark01'])) * (1 - crops.stats.dark);
    assert.ok(Math.abs(gated[2]! - share) < 1e-6, `${gated[2]} vs ${share}`);
    assert.ok(share > 0 && share < 1);
  } finally {
    await withGate.dispose();
    await without.dispose();
  }
  // a gate fitted to another estimator is refused, with the way out
  const estConfig = estimatorConfig(['b', 'a'], { inputSize: 32, widths: [4, 8], swExponent: 2 });
  const other = createEstimator(estConfig, 77);
  await saveEstimator(dir, estConfig, other);
  disposeParams(other);
  await assert.rejects(createNodeRunner(dir), /clean-gate\.json: fitted to another estimator .*abair train clean-gate/);
  await fs.rm(dir, { recursive: true, force: true });
});
