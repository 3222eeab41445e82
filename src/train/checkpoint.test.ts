import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkpointPath, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

const run = { phase: 'pretrain', preset: 'tiny', seed: 1, batch: 4, patch: 32 };

test('a checkpoint round-trips params, moments and progress, and refuses another run', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'abair-ckpt-'));
  try {
    const file = checkpointPath(dir);
    const params = { 'a.w': new Float32Array([1, 2, 3, 4]), 'a.b': new Float32Array([0.5]) };
    const optimizer = { step: 7, m: { 'a.w': new Float32Array([1, 1, 1, 1]), 'a.b': new Float32Array([2]) }, v: { 'a.w': new Float32Array([3, 3, 3, 3]), 'a.b': new Float32Array([4]) } };
    const progress = { elapsedSec: 12.5, patchesSeen: 28, logBytes: 321, emaLoss: 0.25 };
    await saveCheckpoint(file, { step: 7, run, params, shapes: { 'a.w': [2, 2], 'a.b': [1] }, optimizer, progress });
    const back = await loadCheckpoint(file, { ...run });
    assert.equal(back.step, 7);
    assert.deepEqual(back.params, params);
    assert.deepEqual(back.shapes, { 'a.w': [2, 2], 'a.b': [1] });
    assert.deepEqual(back.optimizer, optimizer);
    assert.deepEqual(back.progress, progress);
    await assert.rejects(loadCheckpoint(file, { ...run, patch: 64 }), /different run \(patch: checkpoint 32, command 64\)/);
    // a damaged file is refused with a message naming it
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(loadCheckpoint(file), (err: Error) => err.message.includes(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
