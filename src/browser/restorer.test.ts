/**
 * The browser restorer (on onnxruntime-node, and on onnxruntime-web's wasm backend when it loads
 * in Node) against the Node restorer, on one random-weight model folder
 * exported by export-web: same probabilities, weights, restored pixels and degradation map
 * (the fixture's head classes are the estimator's classes, so the two maps are over the same
 * classes) for sw, oh, explicit weights, an odd size, several tiles and a tiny image, and the same
 * estimator probabilities on an image larger than the estimator's crop in both dimensions.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { exportWebModel } from '../onnx/export-web.js';
import { writeFixtureModel } from '../onnx/export-web-fixture.js';
import { createNodeRunner } from '../restore/node-runner.js';
import { createRestorer } from '../restore/restorer.js';
import { Rng } from '../util/rng.js';
import { setEstimatorBlend } from '../model/weights.js';
import { softWeights } from '../model/soft-weights.js';
import { createBrowserRestorer, loadWebModel, type BrowserRestorer, type OrtLike } from './restorer.js';

const modelDir = await writeFixtureModel();
// A sharper SW blend than the default and keep-clean on, so that both restorers must read them
// (model.json in the browser, estimator.json in Node) for their SW outputs to agree.
await setEstimatorBlend(modelDir, { swExponent: 2, keepClean: true });
const webDir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-web-model-'));
await exportWebModel(modelDir, webDir);
const webModel = await loadWebModel((name) => fs.readFile(path.join(webDir, name)));

const runner = await createNodeRunner(modelDir, { threads: 1 });
const reference = createRestorer({ runner });

test.after(async () => {
  reference.dispose();
  await runner.dispose();
  await fs.rm(modelDir, { recursive: true, force: true });
  await fs.rm(webDir, { recursive: true, force: true });
});

async function loadOrtWeb(): Promise<OrtLike | string> {
  try {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    return ort;
  } catch (err) {
    return `onnxruntime-web does not load in this Node (${(err as Error).message})`;
  }
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

interface Case {
  name: string;
  width: number;
  height: number;
  mode: string;
  tileSize?: number;
  overlap?: number;
  map?: boolean;
}

const CASES: Case[] = [
  { name: 'sw, odd size, map', width: 41, height: 27, mode: 'sw', map: true },
  { name: 'oh', width: 41, height: 27, mode: 'oh' },
  { name: 'explicit weights', width: 41, height: 27, mode: 'weights:a=0.3,b=0.7' },
  { name: 'several tiles, map', width: 70, height: 45, mode: 'sw', tileSize: 32, overlap: 8, map: true },
  { name: 'tiny image, map', width: 5, height: 3, mode: 'adapter:a', map: true },
];

async function compareWithNode(restorer: BrowserRestorer, c: Case, seed: number): Promise<void> {
  const bytes = randomBytes(c.width * c.height * 3, seed);
  const image = { width: c.width, height: c.height, data: Float32Array.from(bytes, (v) => v / 255) };
  const tiling = { tileSize: c.tileSize, overlap: c.overlap };
  const expected = await reference.restore({ data: bytes, width: c.width, height: c.height, channels: 3 }, { mode: c.mode, ...tiling, map: c.map });
  const progress: number[] = [];
  const actual = await restorer.restore(image, { mode: c.mode, ...tiling, map: c.map, onProgress: (done, total) => progress.push(done / total) });

  assert.equal(actual.mode, c.mode);
  assert.equal(progress.at(-1), 1, `${c.name}: progress ends at total`);
  // the same names in both faces: a record per class, and clean when the estimator has it
  assert.deepEqual(Object.keys(actual.probabilities), Object.keys(expected.probabilities));
  assert.deepEqual(Object.keys(actual.weights), [...restorer.classes]);
  const keys = Object.keys(expected.probabilities);
  assert.ok(maxAbsDiff(keys.map((k) => actual.probabilities[k]!), keys.map((k) => expected.probabilities[k]!)) <= 1e-4, `${c.name}: probabilities`);
  const classes = restorer.classes;
  const weights = classes.map((k) => actual.weights[k]!);
  assert.ok(maxAbsDiff(weights, classes.map((k) => expected.weights[k]!)) <= 1e-5, `${c.name}: adapter weights`);
  if (c.mode === 'sw') assert.ok(maxAbsDiff(weights, softWeights(classes.map((k) => actual.probabilities[k]!), 1)) > 1e-3, `${c.name}: the plain softmax gives the same weights: the exponent is not tested`);
  assert.ok(Math.abs(actual.cleanShare - expected.cleanShare) <= 1e-4, `${c.name}: clean share ${actual.cleanShare} vs ${expected.cleanShare}`);
  if (c.mode === 'sw') {
    assert.ok(actual.cleanShare > 1e-3, `${c.name}: clean share ${actual.cleanShare}: keep-clean is not tested`);
    // the pull is larger than the tolerance below, so a restorer that skipped it would fail
    const unpulled = await restorer.restore(image, { mode: c.mode, ...tiling, keepClean: false });
    assert.equal(unpulled.cleanShare, 0);
    assert.ok(maxAbsDiff(unpulled.image.data, actual.image.data) > 1e-3, `${c.name}: keep-clean changed the output by less than 1e-3`);
  } else {
    assert.equal(actual.cleanShare, 0);
  }
  const diff = maxAbsDiff(actual.image.data, expected.image.data);
  assert.ok(diff <= 1e-4, `${c.name}: restored differs by ${diff}`);
  if (c.map) {
    assert.ok(actual.map && expected.map);
    const mapDiff = maxAbsDiff(actual.map.data, expected.map.data);
    assert.ok(mapDiff <= 1e-4, `${c.name}: map differs by ${mapDiff}`);
  } else {
    assert.equal(actual.map, null);
  }
}

const runtimes: Array<[string, () => Promise<OrtLike | string>, object]> = [
  ['onnxruntime-node', async () => ortNode, { intraOpNumThreads: 1 }],
  ['onnxruntime-web (wasm)', loadOrtWeb, {}],
];

for (const [label, load, sessionOptions] of runtimes) {
  test(`browser restorer on ${label} matches the Node restorer within 1e-4`, async (t) => {
    const ort = await load();
    if (typeof ort === 'string') {
      t.skip(ort);
      return;
    }
    const restorer = await createBrowserRestorer(ort, webModel, { sessionOptions });
    try {
      assert.deepEqual(restorer.classes, ['b', 'a']);
      assert.deepEqual(restorer.segmentationClasses, ['b', 'a']);
      assert.equal(restorer.hasEstimator, true);
      assert.equal(restorer.manifest.swExponent, 2);
      assert.equal(restorer.manifest.keepClean, true);
      for (const [i, c] of CASES.entries()) await compareWithNode(restorer, c, 10 + i);
      // the estimator alone on an image larger than its 32² crop in both dimensions (3×3 crops)
      const big = { width: 300, height: 200, data: Float32Array.from(randomBytes(300 * 200 * 3, 99), (v) => v / 255) };
      const [mine, node] = [await restorer.estimate(big), await runner.estimate(big)];
      assert.ok(maxAbsDiff(restorer.classes.map((k) => mine[k]!), node) <= 1e-4, `300×200 probabilities: ${JSON.stringify(mine)} vs ${node}`);
      // RGBA bytes (an ImageData) in, RGBA bytes out
      const rgba = Uint8ClampedArray.from({ length: 9 * 7 * 4 }, (_, i) => (i * 29) % 256);
      const fromBytes = await restorer.restore({ data: rgba, width: 9, height: 7 }, { mode: 'oh' });
      const fromFloats = await restorer.restore({ width: 9, height: 7, data: Float32Array.from({ length: 9 * 7 * 3 }, (_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]! / 255) }, { mode: 'oh' });
      assert.deepEqual(fromBytes.image.data, fromFloats.image.data);
      const out = fromBytes.toRgba();
      assert.equal(out.length, 9 * 7 * 4);
      assert.equal(out[3], 255);
      assert.equal(out[0], Math.round(fromBytes.image.data[0]! * 255));
      // a Blob in: decoded by the browser (stubbed here: createImageBitmap + a canvas giving `rgba`)
      const g = globalThis as Record<string, unknown>;
      g['createImageBitmap'] = async () => ({ width: 9, height: 7, close: () => undefined });
      g['OffscreenCanvas'] = class { getContext() { return { drawImage: () => undefined, getImageData: () => ({ data: rgba.slice() }) }; } };
      try {
        const fromBlob = await restorer.restore(new Blob([new Uint8Array(8)], { type: 'image/png' }), { mode: 'oh' });
        assert.deepEqual(fromBlob.image.data, fromBytes.image.data);
      } finally {
        delete g['createImageBitmap'];
        delete g['OffscreenCanvas'];
      }
      await assert.rejects(restorer.restore(new Blob([new Uint8Array(8)], { type: 'image/png' })), /createImageBitmap/);
    } finally {
      await restorer.dispose();
    }
  });
}

test('abort: rejects with the AbortError and runs no tile after it; bad options are usage errors', async () => {
  const restorer = await createBrowserRestorer(ortNode, webModel, { sessionOptions: { intraOpNumThreads: 1 } });
  try {
    const image = { width: 64, height: 48, data: new Float32Array(64 * 48 * 3).fill(0.5) };
    const controller = new AbortController();
    const seen: Array<[number, number]> = [];
    await assert.rejects(
      restorer.restore(image, {
        tileSize: 16, overlap: 4, signal: controller.signal,
        onProgress: (done, total) => {
          seen.push([done, total]);
          if (done === 2) controller.abort();
        },
      }),
      (err: Error) => err.name === 'AbortError',
    );
    assert.deepEqual(seen.map(([done]) => done), [1, 2]);
    assert.ok(seen[0]![1] > 2, 'the image has more tiles than were run');

    const already = AbortSignal.abort(new Error('stop now'));
    await assert.rejects(restorer.restore(image, { signal: already }), /stop now/);
    await assert.rejects(restorer.restore(image, { mode: 'adapter:zzz' }), /unknown adapter 'zzz'/);
    await assert.rejects(restorer.restore(image, { tileSize: 0 }), /tile size/);
    await assert.rejects(restorer.restore({ width: 4, height: 4, data: new Float32Array(5) }), /4×4×3/);
    await assert.rejects(restorer.restore({ width: 4, height: 4, data: new Uint8ClampedArray(5) }), /4×4×4 RGBA bytes/);
    // the restorer still works after the failures
    const ok = await restorer.restore(image, { mode: 'oh', tileSize: 32, overlap: 8 });
    assert.equal(ok.image.data.length, image.data.length);
  } finally {
    await restorer.dispose();
  }
  await assert.rejects(restorer.estimate({ width: 1, height: 1, data: new Float32Array(3) }), /disposed/);
});
