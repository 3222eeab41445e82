import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../util/paths.js';
import { checkpointPath, loadCheckpoint } from './checkpoint.js';
import { parseLog, type StepRecord } from './run-log.js';
import { writeTestImages } from './test-images.js';

const STEPS = 40;

function start(images: string, out: string, extra: string[] = []) {
  const args = [path.join(packageRoot, 'bin', 'abair.js'), 'train', 'pretrain', '--images', images, '--preset', 'tiny', '--steps', String(STEPS),
    '--batch', '2', '--patch', '16', '--warmup', '2', '--checkpoint-every', '3', '--val-every', '1000', '--val-count', '2', '--threads', '1', '--progress', 'silent', '--out', out, ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function waitFor(file: string, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.then(() => (done = true));
  while (!existsSync(file)) {
    if (done) throw new Error('the training process exited before writing a checkpoint');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stepRecords(out: string): Promise<StepRecord[]> {
  return parseLog(await readFile(path.join(out, 'train-log.jsonl'), 'utf8')).filter((r): r is StepRecord => r.type === 'step');
}

async function loggedSteps(out: string): Promise<number[]> {
  return (await stepRecords(out)).map((r) => r.step);
}

test('SIGKILL after a checkpoint leaves a loadable checkpoint, and --resume finishes the run byte-identically to an uninterrupted one', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-kill-'));
  try {
    const images = await writeTestImages(path.join(root, 'images'), 4, 32);
    const out = path.join(root, 'run');
    const run = start(images, out);
    await waitFor(checkpointPath(out), run.exited);
    run.child.kill('SIGKILL');
    assert.equal(await run.exited, null);
    const saved = await loadCheckpoint(checkpointPath(out));
    assert.ok(saved.step >= 3 && saved.step < STEPS, `checkpoint at step ${saved.step}`);

    const resumed = start(images, out, ['--resume']);
    assert.equal(await resumed.exited, 0, resumed.stderr());
    assert.match(resumed.stderr(), new RegExp(`resuming pretrain from step ${saved.step}/${STEPS}`));
    assert.deepEqual(await loggedSteps(out), Array.from({ length: STEPS }, (_, i) => i + 1));
    assert.ok(existsSync(path.join(out, 'backbone.safetensors')));
    assert.equal((await loadCheckpoint(checkpointPath(out))).step, STEPS);

    // the same command without the kill: every step's loss, and the weights, bit for bit
    const straightOut = path.join(root, 'straight');
    const straight = start(images, straightOut);
    assert.equal(await straight.exited, 0, straight.stderr());
    assert.deepEqual((await stepRecords(out)).map((r) => r.loss), (await stepRecords(straightOut)).map((r) => r.loss));
    assert.ok(Buffer.compare(await readFile(path.join(out, 'backbone.safetensors')), await readFile(path.join(straightOut, 'backbone.safetensors'))) === 0, 'backbone.safetensors differs from the uninterrupted run\'s');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('SIGINT finishes the step, writes a checkpoint, exits 0 and says how to resume', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-int-'));
  try {
    const images = await writeTestImages(path.join(root, 'images'), 4, 32);
    const out = path.join(root, 'run');
    const run = start(images, out);
    await waitFor(checkpointPath(out), run.exited);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /--resume/);
    const saved = await loadCheckpoint(checkpointPath(out));
    assert.ok(saved.step < STEPS, `stopped at ${saved.step}`);
    assert.deepEqual(await loggedSteps(out), Array.from({ length: saved.step }, (_, i) => i + 1));
    assert.ok(!existsSync(path.join(out, 'backbone.safetensors')), 'no weights from an interrupted run');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
