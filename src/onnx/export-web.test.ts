/**
 * `abair model export-web` through the real CLI (files, manifest, errors), and a model folder
 * without an estimator: explicit modes restore (as the Node restorer does), sw/oh are refused.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { runCli } from '../cli/run-cli.js';
import { parseWebManifest } from '../browser/manifest.js';
import { createBrowserRestorer, loadWebModel } from '../browser/restorer.js';
import { createNodeRunner } from '../restore/node-runner.js';
import { createRestorer } from '../restore/restorer.js';
import { exportWebModel } from './export-web.js';
import { writeFixtureModel } from './export-web-fixture.js';
import { gateFeatureCount, type CleanGate } from '../model/clean-gate.js';
import { saveCleanGate } from '../model/clean-gate-file.js';
import { setEstimatorBlend } from '../model/weights.js';

test('export-web CLI writes backbone.onnx, estimator.onnx, lora.bin and a valid model.json; bad folders get one-line errors', async () => {
  const dir = await writeFixtureModel();
  const out = path.join(dir, 'web');
  try {
    const run = runCli(['model', 'export-web', dir, '-o', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n').slice(0, 4).map((f) => path.basename(f)), ['backbone.onnx', 'estimator.onnx', 'lora.bin', 'model.json']);
    assert.match(run.stdout, /classes: b, a; estimator: yes; map classes: b, a/);
    const manifest = parseWebManifest(JSON.parse(await fs.readFile(path.join(out, 'model.json'), 'utf8')));
    assert.deepEqual(manifest.classes, ['b', 'a']);
    assert.equal(manifest.estimatorInputSize, 32);
    assert.deepEqual(manifest.provenance, { preset: 'tiny', steps: { backbone: 123, estimator: 7, adapters: { b: 11, a: 10 } } });
    assert.equal((await fs.stat(path.join(out, 'lora.bin'))).size, manifest.loraBytes);
    // adapter 'b' targets every other layer only; 'a' all of them
    assert.equal(manifest.adapters[1]!.layers.length, manifest.weightInputs.length);
    assert.equal(manifest.adapters[0]!.layers.length, Math.ceil(manifest.weightInputs.length / 2));

    const missing = runCli(['model', 'export-web', path.join(dir, 'nope'), '-o', out]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), `abair: ${path.join(dir, 'nope')}: model folder not found`);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    const emptyRun = runCli(['model', 'export-web', empty, '-o', out]);
    assert.equal(emptyRun.code, 1);
    assert.match(emptyRun.stderr, /^abair: .*empty: no backbone\.safetensors/);
    assert.doesNotMatch(emptyRun.stderr, /\n\s+at /);
    await assert.rejects(exportWebModel(dir, path.join(out, 'model.json')), /exists and is not a folder/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a model without an estimator: explicit modes match the Node restorer, sw is refused; a re-export drops the stale estimator.onnx', async () => {
  const full = await writeFixtureModel();
  const dir = await writeFixtureModel({ estimator: false });
  const out = path.join(dir, 'web');
  try {
    await exportWebModel(full, out);
    const { files, manifest } = await exportWebModel(dir, out);
    assert.deepEqual(files.map((f) => path.basename(f)), ['backbone.onnx', 'lora.bin', 'model.json']);
    assert.equal(manifest.estimatorInputSize, null);
    await assert.rejects(fs.stat(path.join(out, 'estimator.onnx')), /ENOENT/);
    assert.deepEqual(manifest.classes, ['a', 'b']); // without an estimator: the adapters' file order

    const restorer = await createBrowserRestorer(ort, await loadWebModel((name) => fs.readFile(path.join(out, name))), { sessionOptions: { intraOpNumThreads: 1 } });
    const runner = await createNodeRunner(dir, { threads: 1 });
    const reference = createRestorer({ runner });
    try {
      assert.equal(restorer.hasEstimator, false);
      const bytes = Uint8Array.from({ length: 20 * 12 * 3 }, (_, i) => (i * 37) % 256);
      const image = { width: 20, height: 12, data: Float32Array.from(bytes, (v) => v / 255) };
      await assert.rejects(restorer.restore(image, { mode: 'sw' }), /no estimator, so modes sw and oh are not available/);
      const mine = await restorer.restore(image, { mode: 'weights:b=0.6,a=0.4' });
      const expected = await reference.restore({ data: bytes, width: 20, height: 12, channels: 3 }, { mode: 'weights:b=0.6,a=0.4' });
      assert.ok(Object.values(mine.probabilities).every(Number.isNaN));
      assert.deepEqual(mine.weights, { a: Math.fround(0.4), b: Math.fround(0.6) });
      let worst = 0;
      mine.image.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.image.data[i]!))));
      assert.ok(worst <= 1e-4, `differs by ${worst}`);
    } finally {
      await restorer.dispose();
      reference.dispose();
      await runner.dispose();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(full, { recursive: true, force: true });
  }
});

test('a clean gate travels to the browser: the same p(clean) and keep share as the Node restorer', async () => {
  const dir = await writeFixtureModel();
  const out = path.join(dir, 'web');
  try {
    const f = gateFeatureCount(2, 1);
    const gate: CleanGate = {
      classes: ['b', 'a'], statistics: ['dark01'], hazeVeto: { from: 0, to: 1 }, hidden: 2, mean: new Array<number>(f).fill(0.1), scale: new Array<number>(f).fill(2),
      w1: Array.from({ length: 2 * f }, (_, i) => Math.cos(i)), b1: [0.2, -0.1], w2: [1.5, -0.7], b2: 0.4,
    };
    await saveCleanGate(dir, gate, path.join(dir, 'estimator.safetensors'), { phase: 'clean-gate' });
    await setEstimatorBlend(dir, { keepClean: true });
    const { manifest } = await exportWebModel(dir, out);
    assert.deepEqual(manifest.cleanGate, gate);
    const restorer = await createBrowserRestorer(ort, await loadWebModel((name) => fs.readFile(path.join(out, name))), { sessionOptions: { intraOpNumThreads: 1 } });
    const runner = await createNodeRunner(dir, { threads: 1 });
    const reference = createRestorer({ runner });
    try {
      const bytes = Uint8Array.from({ length: 150 * 100 * 3 }, (_, i) => (i * 53) % 256);
      const image = { width: 150, height: 100, data: Float32Array.from(bytes, (v) => v / 255) };
      const mine = await restorer.restore(image);
      const expected = await reference.restore({ data: bytes, width: 150, height: 100, channels: 3 });
      assert.ok(Number.isFinite(mine.probabilities['clean']));
      assert.ok(Math.abs(mine.probabilities['clean']! - expected.probabilities['clean']!) < 1e-5);
      assert.ok(mine.cleanShare > 0 && Math.abs(mine.cleanShare - expected.cleanShare) < 1e-5, `${mine.cleanShare} vs ${expected.cleanShare}`);
    } finally {
      await restorer.dispose();
      reference.dispose();
      await runner.dispose();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
