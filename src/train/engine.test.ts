import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { loadOrtPackage } from '../ort/runtime.js';
import { writeTestImages } from './test-images.js';
import { presetConfig } from '../model/config.js';
import { Rng } from '../util/rng.js';
import { type HostBatch, memoryError } from './engine.js';
import { createOrtEngine } from './ort-engine.js';
import { createWorkerEngine } from './worker-engine.js';

test('an allocation failure (ONNX Runtime or V8) becomes one line naming the batch to lower; other errors pass through', () => {
  const shape = { batch: 64, patch: 256 };
  const failures = [
    new Error('Non-zero status code returned while running Conv node. Name:\'Conv_12\' Status Message: /onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 4294967296\n  at stack'),
    new RangeError('Array buffer allocation failed'),
    new Error('std::bad_alloc'),
  ];
  for (const failure of failures) {
    const err = memoryError(failure, shape, 'training step');
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /^training step: a batch of 64 × 256² patches does not fit in memory \(.+\); lower --batch or --patch$/);
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(err.message.length < 300, err.message);
  }
  assert.match((memoryError(failures[0], shape, 'training step') as Error).message, /\(ONNX Runtime could not allocate 4\.00 GiB more\)/);
  const other = new Error("batch 'input' is 2×8×8×3; this train-step graph was built for 2×16×16×3");
  assert.equal(memoryError(other, shape, 'training step'), other);
});

test('a real run whose step does not fit (address space capped with ulimit -v): one line, exit 1, no checkpoint or temp file', { skip: process.platform !== 'linux' && 'needs bash ulimit -v (Linux)' }, async (t) => {
  // onnxruntime-web's wasm fallback reserves more address space than the cap at startup
  if ((await loadOrtPackage()).name !== 'onnxruntime-node') return t.skip('onnxruntime-node is not installed');
  const root = await mkdtemp(path.join(tmpdir(), 'abair-oom-'));
  try {
    const images = await writeTestImages(path.join(root, 'images'), 4, 256);
    const out = path.join(root, 'run');
    const args = [path.join(packageRoot, 'bin', 'abair.js'), 'train', 'pretrain', '--images', images, '--preset', 'tiny', '--steps', '1', '--batch', '32', '--patch', '256',
      '--val-count', '1', '--threads', '1', '--progress', 'silent', '--out', out];
    // 3 GB of address space: node and ONNX Runtime start, the step's activations (several GB) cannot be had
    const r = spawnSync('bash', ['-c', 'ulimit -v 3000000 && exec "$0" "$@"', process.execPath, ...args], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, /^abair: training step: a batch of 32 × 256² patches does not fit in memory \(.+\); lower --batch or --patch$/);
    assert.doesNotMatch(r.stderr, /\n\s+at |onnxruntime:/);
    assert.deepEqual((await readdir(out)).filter((f) => f !== 'train-log.jsonl'), [], 'no checkpoint, no temp file');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the engine in a worker thread computes the same bits as in this thread; its errors come back (UserErrors as such: the ulimit test above)', async () => {
  const config = presetConfig('tiny');
  const o = { model: { phase: 'backbone' as const, config, seed: 2, segWeight: 0, loss: 'l1' as const }, batch: 2, patch: 16, threads: 1, optimizer: { lr: 1e-3, weightDecay: 1e-4, clipNorm: 1 } };
  const batchFor = (k: number): HostBatch => {
    const rng = new Rng(`engine:${k}`);
    const target = Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => rng.uniform(0, 1));
    return { input: { shape: [2, 16, 16, 3], data: target.map((t) => t + 0.1 * rng.uniform(-1, 1)) }, target: { shape: [2, 16, 16, 3], data: target } };
  };
  const here = await createOrtEngine(o);
  const there = await createWorkerEngine(o);
  try {
    assert.deepEqual(there.shapes, here.shapes);
    for (let k = 0; k < 3; k++) {
      const [a, b] = [await here.step(batchFor(k)), await there.step(batchFor(k))];
      assert.equal(b.loss, a.loss);
      assert.equal(b.gradNorm, a.gradNorm);
    }
    assert.deepEqual(await there.getParams(), await here.getParams());
    assert.deepEqual(await there.getOptimizerState(), await here.getOptimizerState());
    assert.deepEqual(await there.validate(batchFor(9)), await here.validate(batchFor(9)));
    const wrong = { input: { shape: [2, 8, 8, 3], data: new Float32Array(2 * 8 * 8 * 3) }, target: batchFor(0).target! };
    await assert.rejects(there.step(wrong), /batch 'input' is 2×8×8×3; this train-step graph was built for 2×16×16×3/);
    await assert.rejects(there.setParams({ nonsense: new Float32Array(1) }), (e: Error) => e.name === 'Error' && /unknown parameter 'nonsense'/.test(e.message));
  } finally {
    await here.dispose();
    await there.dispose();
  }
});
