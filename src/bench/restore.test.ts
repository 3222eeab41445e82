import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { modelLabel, parseBenchArgs, sizeFor } from './restore-options.js';
import { syntheticImage, type ChildResult } from './restore-child.js';
import { formatReport, median, ratioRows, speedupRows, type ReportContext } from '../eval/restore-report.js';

test('parseBenchArgs: defaults, lists and refusals', () => {
  const d = parseBenchArgs([]);
  assert.deepEqual(d.models, [{ kind: 'default' }]);
  assert.deepEqual(parseBenchArgs([], { kind: 'preset', preset: 'tiny' }).models, [{ kind: 'preset', preset: 'tiny' }]);
  assert.deepEqual(d.sizes, [1, 12, 50]);
  assert.equal(d.tile, 512);
  assert.equal(d.overlap, 32);
  assert.equal(d.runs, 3);
  assert.equal(d.mode, 'sw');
  assert.equal(d.runtime, undefined);
  assert.equal(d.runBudgetSeconds, undefined);
  assert.equal(d.json, undefined);
  const o = parseBenchArgs(['--weights', 'runs/new,default,preset:small', '--sizes', '0.25,2', '--tile', '256', '--overlap', '16', '--runs', '1', '--runtime', 'wasm', '--run-budget', '60', '--json', 'speed.json']);
  assert.equal(o.json, 'speed.json');
  assert.deepEqual(o.models, [{ kind: 'folder', dir: 'runs/new' }, { kind: 'default' }, { kind: 'preset', preset: 'small' }]);
  assert.deepEqual(o.models.map(modelLabel), ['runs/new', 'default', 'preset:small']);
  assert.deepEqual(o.sizes, [0.25, 2]);
  assert.equal(o.tile, 256);
  assert.equal(o.runtime, 'wasm');
  assert.equal(o.runBudgetSeconds, 60);
  assert.throws(() => parseBenchArgs(['--weights', 'a,a']), /names a model twice/);
  assert.throws(() => parseBenchArgs(['--weights', 'preset:']), /names no preset/);
  assert.throws(() => parseBenchArgs(['--runtime', 'gpu']), /node or wasm/);
  assert.throws(() => parseBenchArgs(['--sizes', '1,-2']), /positive megapixel/);
  assert.throws(() => parseBenchArgs(['--tile', '64', '--overlap', '40']), /more than half/);
  assert.throws(() => parseBenchArgs(['--engine', 'tfjs']), /unknown option/);
});

test('sizeFor gives 4:3 images of about the asked megapixels', () => {
  for (const mp of [0.25, 1, 12, 50]) {
    const { width, height } = sizeFor(mp);
    assert.ok(Math.abs((width * height) / 1e6 - mp) / mp < 0.002, `${mp} MP → ${width}×${height}`);
    assert.ok(Math.abs(width / height - 4 / 3) < 0.01);
  }
  assert.deepEqual(sizeFor(12), { width: 4000, height: 3000 });
});

test('syntheticImage: RGB bytes, deterministic per seed, not flat', () => {
  const a = syntheticImage(40, 30, 3);
  const b = syntheticImage(40, 30, 3);
  assert.equal(a.data.length, 40 * 30 * 3);
  assert.equal(a.channels, 3);
  assert.deepEqual(a.data, b.data);
  const values = new Set(a.data);
  assert.ok(values.size > 20, `only ${values.size} distinct values`);
  assert.notDeepEqual(syntheticImage(40, 30, 4).data, a.data);
});

const row = (engine: 'onnx' | 'tfjs', megapixels: number, seconds: number[], cpuSeconds: number[]): ChildResult => ({
  engine,
  megapixels,
  width: 4000,
  height: 3000,
  tiles: 63,
  seconds,
  cpuSeconds,
  loadSeconds: 1,
  rssLoadedMiB: 300,
  rssDuringTilesMiB: 1024,
  peakRssMiB: 1536,
});

const context: ReportContext = {
  cpuModel: 'Test CPU',
  cores: 2,
  memoryGiB: 24,
  node: 'v20.0.0',
  loadStart: [1, 2, 3],
  loadEnd: [0.5, 1, 1.5],
  modelLabel: "fresh 'tiny'",
  timingOnly: true,
  tile: 512,
  overlap: 32,
  mode: 'sw',
  runs: 3,
  adaptersAs: 'inputs',
  threads: 2,
};

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('formatReport of a version-1 record: one row per engine × size, speed-up only where both engines ran', () => {
  const rows = [row('onnx', 12, [24, 12, 36], [48, 24, 72]), row('tfjs', 12, [120, 130, 110], [120, 130, 110]), row('onnx', 50, [100], [200]), { engine: 'tfjs' as const, megapixels: 50, error: 'exit 137: killed | oom' }];
  const text = formatReport(rows, context);
  assert.match(text, /untrained weights: timing only/);
  assert.match(text, /Test CPU, 2 cores/);
  assert.match(text, /at start 1\.00 2\.00 3\.00, at end 0\.50 1\.00 1\.50/);
  assert.match(text, /\| onnx \| 12\.00 \| 4000×3000 \| 63 \| 3 \| 2\.00 \| 24\.0, 12\.0, 36\.0 \| 4\.00 \|/);
  assert.match(text, /\| tfjs \| 12\.00 \| 4000×3000 \| 63 \| 3 \| 10\.00 \|/);
  assert.match(text, /1\.50 GiB \|/);
  assert.match(text, /failed: exit 137: killed \/ oom/); // a '|' in the error must not break the table
  const speedups = speedupRows(rows);
  assert.equal(speedups.length, 1);
  assert.match(text, /\| 12\.00 \| 10\.00 \| 2\.00 \| 5\.00× \| 2\.50× \|/);
});

test('formatReport: one row per model × size, each model against the first per size', () => {
  const byModel = (model: string, megapixels: number, seconds: number[], cpuSeconds: number[]): ChildResult => ({ ...row('onnx', megapixels, seconds, cpuSeconds), engine: undefined, model });
  const rows = [byModel('runs/new', 12, [48, 36, 60], [96, 72, 120]), byModel('default', 12, [12, 13, 11], [24, 26, 22]), { model: 'default', megapixels: 50, error: 'exit 1: no' }];
  const ctx: ReportContext = { ...context, adaptersAs: undefined, models: ['default', 'runs/new'], ortPackage: 'onnxruntime-node', modelLabel: 'default: shipped; runs/new: model folder', timingOnly: false };
  const text = formatReport(rows, ctx);
  assert.match(text, /\| model \| size \(MP\) \|/);
  assert.match(text, /onnxruntime-node, 2 intra-op threads; .*interleaved/);
  assert.match(text, /\| runs\/new \| 12\.00 \| 4000×3000 \| 63 \| 3 \| 4\.00 \| 48\.0, 36\.0, 60\.0 \|/);
  assert.match(text, /\| default \| 50 \| failed: exit 1: no/);
  assert.deepEqual(ratioRows(rows, ctx.models!).map((r) => [r.size, r.model, r.wall, r.cpu]), [['12.00', 'runs/new', 4, 4]]);
  assert.match(text, /\| 12\.00 \| runs\/new \| 4\.00 \| 4\.00× \| 4\.00× \|/);
  assert.doesNotMatch(text, /speed-up/);
});

test('the benchmark compares two models end to end on a tiny image, runs interleaved', { timeout: 180_000 }, async () => {
  const script = fileURLToPath(new URL('./restore.js', import.meta.url));
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, '--weights', 'preset:tiny,default', '--sizes', '0.02', '--runs', '2', '--tile', '64', '--overlap', '8'], { maxBuffer: 1 << 20 });
  assert.match(stdout, /preset:tiny: freshly initialised 'tiny' preset/);
  assert.match(stdout, /\| preset:tiny \| 0\.02 \| 164×122 \| 9 \| 2 \| [\d.]+ \|/);
  assert.match(stdout, /\| default \| 0\.02 \| 164×122 \| 9 \| 2 \| [\d.]+ \|/);
  assert.match(stdout, /\| 0\.02 \| default \| [\d.]+ \| [\d.]+× \| [\d.]+× \|/);
  const order = [...stderr.matchAll(/bench:restore: (\S+), 0\.02 MP, run (\d)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(order, ['preset:tiny 1', 'default 1', 'preset:tiny 2', 'default 2']);
});
