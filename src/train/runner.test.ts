import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { presetConfig } from '../model/config.js';
import type { HostBatch } from './engine.js';
import { Rng } from '../util/rng.js';
import { checkpointPath, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { parseLog, RunLog, type StepRecord } from './run-log.js';
import { learningRate } from './schedule.js';
import { runTraining, type RunOptions } from './runner.js';

/** A cheap synthetic restoration batch: target = smooth colours, input = target + noise. */
async function noisyBatch(_step: number, rng: Rng): Promise<HostBatch> {
  const b = 2;
  const p = 16;
  const target = new Float32Array(b * p * p * 3);
  const input = new Float32Array(target.length);
  for (let i = 0; i < b; i++) {
    const base = [rng.next(), rng.next(), rng.next()];
    for (let k = 0; k < p * p; k++) {
      for (let c = 0; c < 3; c++) {
        const at = (i * p * p + k) * 3 + c;
        target[at] = base[c]! * 0.8 + 0.1;
        input[at] = target[at]! + 0.2 * rng.normal();
      }
    }
  }
  return { input: { shape: [b, p, p, 3], data: input }, target: { shape: [b, p, p, 3], data: target } };
}

function options(outDir: string, overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    phase: 'pretrain',
    outDir,
    model: { phase: 'backbone', config: presetConfig('tiny'), seed: 3, segWeight: 0, loss: 'l1' },
    identity: { preset: 'tiny', seed: 3 },
    meta: { command: 'test' },
    steps: 6,
    batch: 2,
    patch: 16,
    seed: 3,
    schedule: { lr: 2e-3, warmup: 1, steps: 6 },
    threads: 1,
    batchFor: noisyBatch,
    validation: { every: 3, batch: () => noisyBatch(0, new (class { next() { return 0.5; } normal() { return 0.1; } })() as unknown as Rng) },
    checkpointEvery: 2,
    resume: false,
    finish: async () => [],
    progress: 'silent',
    handleSignals: false,
    say: () => undefined,
    ...overrides,
  };
}

test('an interrupted and resumed run reproduces the uninterrupted losses bit for bit, and the log has no duplicate steps', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-runner-'));
  try {
    const straight = await runTraining(options(path.join(root, 'a')));
    assert.equal(straight.losses.length, 6);
    assert.equal(straight.interrupted, false);

    const dir = path.join(root, 'b');
    const first = await runTraining(options(dir, { stopAfter: 3 }));
    assert.equal(first.interrupted, true);
    assert.equal(first.step, 3);
    assert.equal((await loadCheckpoint(first.checkpoint)).step, 3);
    await assert.rejects(runTraining(options(dir)), /already holds a run/);
    await assert.rejects(runTraining(options(dir, { resume: true, seed: 4, identity: { preset: 'tiny', seed: 4 } })), /different run \(seed: checkpoint 3, command 4\)/);
    const second = await runTraining(options(dir, { resume: true }));
    assert.equal(second.step, 6);
    assert.deepEqual([...first.losses, ...second.losses], straight.losses);

    const records = parseLog(await readFile(second.logFile, 'utf8'));
    assert.equal(records[0]!.type, 'meta');
    const steps = records.filter((r): r is StepRecord => r.type === 'step').map((r) => r.step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
    const vals = records.filter((r) => r.type === 'val');
    assert.deepEqual(vals.map((r) => r.step), [0, 3, 6]);
    for (const v of vals) assert.ok(Number.isFinite((v as { psnr: number }).psnr));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('--reschedule resumes with a different total: identical steps before, the new schedule after, refused without it', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-runner-'));
  const withSteps = (n: number, extra: Partial<RunOptions> = {}) =>
    options(path.join(root, 'run'), { steps: n, schedule: { lr: 2e-3, warmup: 1, steps: n }, identity: { preset: 'tiny', seed: 3, steps: n }, ...extra });
  try {
    const first = await runTraining(withSteps(6, { stopAfter: 3 }));
    assert.equal(first.step, 3);
    await assert.rejects(runTraining(withSteps(8, { resume: true })), /different run \(steps: checkpoint 6, command 8\)/);
    await assert.rejects(runTraining(withSteps(3, { resume: true, reschedule: true })), /already at step 3/);
    const second = await runTraining(withSteps(8, { resume: true, reschedule: true }));
    assert.equal(second.step, 8);
    assert.equal(second.losses.length, 5);

    const records = parseLog(await readFile(second.logFile, 'utf8'));
    const steps = records.filter((r): r is StepRecord => r.type === 'step');
    assert.deepEqual(steps.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    const marker = records.find((r) => r.type === 'reschedule') as { step: number; fromSteps: unknown; toSteps: number } | undefined;
    assert.deepEqual(marker && [marker.step, marker.fromSteps, marker.toSteps], [3, 6, 8]);
    // The learning rate after the change follows the 8-step cosine, not the 6-step one: it is
    // higher at step 6 than the old schedule's floor-bound value, and still decreasing to step 8.
    const lr = steps.map((r) => r.lr);
    assert.ok(lr[5]! > lr[7]!, `lr ${lr.join(', ')}`);
    const straight6 = await runTraining(options(path.join(root, 'straight'), { steps: 6, schedule: { lr: 2e-3, warmup: 1, steps: 6 } }));
    const lr6 = parseLog(await readFile(straight6.logFile, 'utf8')).filter((r): r is StepRecord => r.type === 'step').map((r) => r.lr);
    assert.deepEqual(lr.slice(0, 3), lr6.slice(0, 3));
    assert.ok(lr[5]! > lr6[5]!, `step 6 lr ${lr[5]} should exceed the 6-step schedule's last ${lr6[5]}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a non-finite loss stops the run with one line and a UserError; the checkpoint before it is untouched', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-runner-'));
  try {
    const dir = path.join(root, 'nan');
    const poisoned = async (step: number, rng: Rng): Promise<HostBatch> => {
      const batch = await noisyBatch(step, rng);
      if (step === 3) batch.input!.data[5] = Number.NaN;
      return batch;
    };
    const err = await runTraining(options(dir, { batchFor: poisoned, validation: undefined })).then(() => null, (e: Error) => e);
    assert.ok(err, 'the run should fail');
    assert.equal(err.name, 'UserError');
    assert.match(err.message, /^step 4: the loss or its gradient is not finite/);
    assert.doesNotMatch(err.message, /\n/);
    const saved = await loadCheckpoint(checkpointPath(dir));
    assert.equal(saved.step, 2, 'the step-2 checkpoint (checkpointEvery 2) is what remains');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a checkpoint whose parameters are not this model (an old or other engine\'s run) is refused in one line', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-runner-'));
  try {
    const dir = path.join(root, 'old');
    const first = await runTraining(options(dir, { stopAfter: 1, validation: undefined }));
    const saved = await loadCheckpoint(first.checkpoint);
    // the same run identity, but a parameter renamed, as a run folder from another layout would be
    const rename = (r: Record<string, Float32Array>) => Object.fromEntries(Object.entries(r).map(([n, v]) => [n === 'embed.w' ? 'embed.kernel' : n, v]));
    assert.ok('embed.w' in saved.params, Object.keys(saved.params).slice(0, 3).join(', '));
    await saveCheckpoint(first.checkpoint, { ...saved, params: rename(saved.params), shapes: Object.fromEntries(Object.entries(saved.shapes).map(([n, v]) => [n === 'embed.w' ? 'embed.kernel' : n, v])), optimizer: { step: saved.optimizer.step, m: rename(saved.optimizer.m), v: rename(saved.optimizer.v) } });
    await assert.rejects(runTraining(options(dir, { resume: true, validation: undefined })), (e: Error) => e.name === 'UserError' && /parameters are not this run's model \(it lacks 'embed\.w'\); it cannot be resumed/.test(e.message) && !e.message.includes('\n'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a run folder of the earlier tfjs engine (its checkpoint from DataParallelTrainer) resumes on ONNX Runtime and continues its losses', async () => {
  const { DataParallelTrainer } = await import('../tfjs/parallel/trainer.js');
  const root = await mkdtemp(path.join(tmpdir(), 'abair-runner-'));
  const o = options(path.join(root, 'tfjs'), { validation: undefined });
  // the same run on tfjs for the first 3 steps, written as that engine's runner wrote checkpoints
  const tfjs = await DataParallelTrainer.create({
    module: new URL('../model/trainable.js', import.meta.url),
    config: { phase: 'backbone', preset: 'tiny', seed: 3, segWeight: 0 },
    workers: 1,
    optimizer: { lr: learningRate(o.schedule, 0), weightDecay: 0 },
  });
  try {
    await mkdir(o.outDir, { recursive: true });
    const tfjsLosses: number[] = [];
    for (let k = 0; k < 6; k++) {
      tfjs.setLearningRate(learningRate(o.schedule, k));
      tfjsLosses.push((await tfjs.step(await noisyBatch(k, new Rng(`3:pretrain:${k}`)))).loss);
      if (k === 2) {
        const log = RunLog.create(path.join(o.outDir, 'train-log.jsonl'), { phase: 'pretrain', identity: o.identity, workers: 1 });
        log.close();
        await saveCheckpoint(checkpointPath(o.outDir), {
          step: 3,
          run: o.identity,
          params: tfjs.getParams(),
          shapes: Object.fromEntries(tfjs.layout.entries.map((e) => [e.name, [...e.shape]])),
          optimizer: tfjs.getOptimizerState(),
          progress: { elapsedSec: 1, patchesSeen: 6, logBytes: log.bytes, emaLoss: tfjsLosses[2]! },
        });
      }
    }
    const resumed = await runTraining({ ...o, resume: true });
    assert.equal(resumed.step, 6);
    // float32 on both sides in other orders: the continuation agrees closely, not bit for bit
    resumed.losses.forEach((loss, i) => assert.ok(Math.abs(loss - tfjsLosses[3 + i]!) <= 1e-4 * tfjsLosses[3 + i]!, `step ${4 + i}: ORT ${loss}, tfjs ${tfjsLosses[3 + i]}`));
  } finally {
    await tfjs.dispose();
    await rm(root, { recursive: true, force: true });
  }
});
