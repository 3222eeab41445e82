/**
 * The ONNX engine against the tfjs model engine on the same model folder: same probabilities,
 * same tiles (OH, SW, explicit blends, tiny and odd tiles) and the same segmentation map.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine, tf } from '../tfjs/backend.js';
import { createBackbone, createAdapter, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../model/index.js';
import { randomImages, randomize } from '../model/test-helpers.js';
import { createModelEngine } from './model-engine.js';
import { createOnnxEngine } from './onnx-engine.js';
import type { Raster } from './tile-plan.js';

const config = presetConfig('tiny');

async function writeModel(): Promise<string> {
  await initEngine({ backend: 'wasm' });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-onnx-engine-'));
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

for (const adaptersAs of ['inputs', 'branches'] as const) {
  test(`onnx engine (adapters as ${adaptersAs}) matches the tfjs model engine`, async () => {
    const dir = await writeModel();
    const reference = await createModelEngine(dir);
    const onnx = await createOnnxEngine(dir, { adaptersAs });
    try {
      assert.deepEqual(onnx.classes, reference.classes);
      // both read the estimator's SW exponent (the restorer blends by it)
      assert.deepEqual([reference.swExponent, onnx.swExponent], [2, 2]);
      // 41×27 is under the 32² crop in height (resized whole), 300×200 gives the 3×3 crop batch
      for (const [w, h] of [[41, 27], [300, 200]] as const) {
        const image = { width: w, height: h, data: randomImages(1, h, w, 3, 4).dataSync() as Float32Array };
        const [p1, p2] = [await reference.estimate(image), await onnx.estimate(image)];
        p1.forEach((p, k) => assert.ok(Math.abs(p - p2[k]!) <= 1e-4, `${w}×${h} class ${k}: ${p} vs ${p2[k]}`));
      }

      for (const weights of [[1, 0], [0.3, 0.7], [0, 0]]) {
        await reference.prepare(Float32Array.from(weights));
        await onnx.prepare(Float32Array.from(weights));
        for (const [h, w] of [[37, 29], [5, 3], [24, 16]] as const) {
          const tensor = randomImages(1, h, w, 3, h * w);
          const tile: Raster = { width: w, height: h, channels: 3, data: Float32Array.from(tensor.dataSync() as Float32Array) };
          tensor.dispose();
          const [a, b] = [reference.restoreTile(tile), onnx.restoreTile(tile)];
          assert.deepEqual([b.height, b.width, b.channels], [h, w, 3]);
          const diff = maxDiff(a, b);
          assert.ok(diff <= 1e-4, `blend ${weights} ${h}×${w}: differs by ${diff}`);
          if (h === 37 && weights[1] === 0.7) {
            const [sa, sb] = [reference.segmentTile!(tile), onnx.segmentTile!(tile)];
            const segDiff = maxDiff(sa, sb);
            assert.ok(segDiff <= 1e-4, `segmentation differs by ${segDiff}`);
          }
        }
      }
    } finally {
      reference.dispose();
      onnx.dispose();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
}

test('restoreTileAsync: same result as restoreTile; an abort rejects mid-tile, and the engine keeps working', async () => {
  const dir = await writeModel();
  const onnx = await createOnnxEngine(dir);
  const images = randomImages(1, 320, 320, 3, 21) as tf.Tensor4D;
  const tile: Raster = { width: 320, height: 320, channels: 3, data: images.dataSync() as Float32Array };
  images.dispose();
  try {
    await onnx.prepare(Float32Array.from([0.4, 0.6]));
    const started = performance.now();
    const viaAsync = await onnx.restoreTileAsync(tile);
    const full = performance.now() - started;
    const viaSync = onnx.restoreTile(tile);
    assert.ok(maxDiff(viaAsync, viaSync) === 0);

    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, Math.min(10, full / 4));
    await assert.rejects(onnx.restoreTileAsync(tile, controller.signal), { name: 'AbortError' });
    const latency = performance.now() - abortedAt;
    // honoured within a fraction of the tile (a whole one takes `full` ms)
    assert.ok(latency < Math.max(30, full / 2), `the abort took ${latency.toFixed(0)} ms, a whole tile ${full.toFixed(0)} ms`);

    // the abandoned run's reply is drained: both paths still give the right answer
    const afterAsync = await onnx.restoreTileAsync(tile);
    assert.ok(maxDiff(afterAsync, viaAsync) === 0);
    const controller2 = new AbortController();
    const pending = onnx.restoreTileAsync(tile, controller2.signal);
    controller2.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    const afterSync = onnx.restoreTile(tile);
    assert.ok(maxDiff(afterSync, viaAsync) === 0);
  } finally {
    onnx.dispose();
  }
});
