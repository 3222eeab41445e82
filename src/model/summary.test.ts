import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { initEngine } from '../tfjs/backend.js';
import { packageRoot } from '../util/paths.js';
import { createBackbone, loraTargets } from './backbone.js';
import { presetConfig } from './config.js';
import { createEstimator, estimatorConfig } from './estimator.js';
import { createAdapter } from './lora.js';
import { disposeParams } from './params.js';
import { formatSummary, summarizePreset, summarizeWeights } from './summary.js';
import { saveAdapter, saveBackbone, saveEstimator } from './weights.js';

const run = promisify(execFile);

test('preset summary counts every part', () => {
  const s = summarizePreset('restormer');
  assert.ok(Math.abs(s.params.backbone! - 26.13e6) < 0.05e6);
  assert.ok(s.estimator!.ratioAt256! < 0.05);
  assert.match(formatSummary(s), /backbone\s+26,126,644/);
});

test('weights-folder summary lists the adapters, classes and provenance', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-info-'));
  const config = presetConfig('tiny');
  const base = createBackbone(config);
  const rain = createAdapter('rain', loraTargets(config), { rank: 2 });
  const estConfig = estimatorConfig(['rain', 'haze'], { inputSize: 32, widths: [4, 8] });
  const est = createEstimator(estConfig);
  await saveBackbone(dir, config, base, { preset: 'tiny', provenance: { steps: 10 } });
  await saveAdapter(dir, rain, config);
  await saveEstimator(dir, estConfig, est);
  const s = await summarizeWeights(dir);
  assert.equal(s.preset, 'tiny');
  assert.deepEqual(s.adapters.map((a) => [a.name, a.rank]), [['rain', 2]]);
  assert.deepEqual(s.estimator!.classes, ['rain', 'haze']);
  assert.equal(s.params.backbone, summarizePreset('tiny').params.backbone);
  assert.ok(Object.values(s.provenance).some((p) => p['steps'] === 10));

  const cli = path.join(packageRoot, 'bin', 'abair.js');
  const { stdout } = await run(process.execPath, [cli, 'model', 'info', dir, '--json']);
  assert.deepEqual(JSON.parse(stdout).adapters.map((a: { name: string }) => a.name), ['rain']);
  await assert.rejects(run(process.execPath, [cli, 'model', 'info', path.join(dir, 'nothing')]), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /^abair: .*nothing: not found\n$/);
    return true;
  });
  assert.equal(s.estimator!.swExponent, 1);

  // model set-blend: rewrites the estimator's SW exponent, which model info then shows
  const set = await run(process.execPath, [cli, 'model', 'set-blend', dir, '--sw-exponent', '2']);
  assert.equal(set.stdout, `${path.join(dir, 'estimator.json')}: SW exponent 1 → 2, keep clean off → off\n`);
  assert.equal((await summarizeWeights(dir)).estimator!.swExponent, 2);
  const info = (await run(process.execPath, [cli, 'model', 'info', dir])).stdout;
  assert.match(info, /SW blend: weights ∝ odds\^2 \(the softmax of 2 × the estimator's logits\)/);
  assert.match(info, /keep clean: off/);
  // --keep-clean alone leaves the exponent; model info shows it
  const keep = await run(process.execPath, [cli, 'model', 'set-blend', dir, '--keep-clean', 'on']);
  assert.equal(keep.stdout, `${path.join(dir, 'estimator.json')}: SW exponent 2 → 2, keep clean off → on\n`);
  assert.deepEqual([(await summarizeWeights(dir)).estimator!.swExponent, (await summarizeWeights(dir)).estimator!.keepClean], [2, true]);
  assert.match((await run(process.execPath, [cli, 'model', 'info', dir])).stdout, /keep clean: on/);
  for (const [args, code, message] of [
    [['--sw-exponent', '0'], 2, /--sw-exponent must be a number > 0/],
    [['--sw-exponent', 'sharp'], 2, /--sw-exponent must be a number > 0/],
    [[], 2, /give --sw-exponent <x>, --keep-clean <on\|off> or both/],
    [['--keep-clean', 'yes'], 2, /--keep-clean.*yes.*Allowed choices are on, off/],
  ] as const) {
    await assert.rejects(run(process.execPath, [cli, 'model', 'set-blend', dir, ...args]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, code);
      assert.match(err.stderr, message);
      assert.doesNotMatch(err.stderr, /\n\s+at /); // no stack trace
      return true;
    });
  }
  await assert.rejects(run(process.execPath, [cli, 'model', 'set-blend', path.join(dir, 'nothing'), '--sw-exponent', '2']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /^abair: .*nothing: not found\n$/);
    return true;
  });
  assert.equal((await summarizeWeights(dir)).estimator!.swExponent, 2, 'a refused call leaves the setting as it was');
  [base, rain.params, est].forEach(disposeParams);
  await fs.rm(dir, { recursive: true });
});
