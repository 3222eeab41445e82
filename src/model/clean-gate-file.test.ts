import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CleanGate } from './clean-gate.js';
import { readCleanGate, saveCleanGate } from './clean-gate-file.js';

const gate: CleanGate = { classes: ['a'], statistics: [], hazeVeto: null, hidden: 1, mean: [0, 0, 0, 0, 0], scale: [1, 1, 1, 1, 1], w1: [1, 0, 0, 0, 0], b1: [0], w2: [1], b2: 0 };

test('clean-gate.json: written beside its estimator, read back, refused when damaged or of another estimator', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-gate-file-'));
  try {
    const est = path.join(dir, 'estimator.safetensors');
    await fs.writeFile(est, 'estimator bytes');
    assert.equal(await readCleanGate(dir, est, ['a']), null, 'no file: no gate');
    const file = await saveCleanGate(dir, gate, est, { phase: 'clean-gate', steps: 5 });
    const loaded = await readCleanGate(dir, est, ['a']);
    assert.deepEqual(loaded, { file, gate, provenance: { phase: 'clean-gate', steps: 5 } });
    await assert.rejects(readCleanGate(dir, est, ['a', 'b']), /clean-gate\.json: the clean gate reads classes/);
    await fs.writeFile(est, 'another estimator');
    await assert.rejects(readCleanGate(dir, est, ['a']), /fitted to another estimator/);
    await fs.writeFile(file, '{"format": "something else"}');
    await assert.rejects(readCleanGate(dir, est, ['a']), /not a clean gate/);
    await fs.writeFile(file, '{ not json');
    await assert.rejects(readCleanGate(dir, est, ['a']), /not valid JSON/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
