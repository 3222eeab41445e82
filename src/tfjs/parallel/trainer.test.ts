import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataParallelTrainer } from './trainer.js';
import type { HostBatch } from './types.js';

const MODEL = new URL('./fixtures/tiny-mlp.js', import.meta.url);
const CONFIG = { inDim: 4, hidden: 6, outDim: 2, seed: 7 };
const OPTIMIZER = { lr: 0.05, weightDecay: 0.01, clipNorm: 1 };

/** A deterministic regression batch: y is a fixed smooth function of x. */
function makeBatch(rows: number, offset = 0): HostBatch {
  const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin((i + offset) * 1.3));
  const y = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    y[r * 2] = 0.5 * x[r * 4] - 0.3 * x[r * 4 + 1];
    y[r * 2 + 1] = Math.tanh(x[r * 4 + 2] + x[r * 4 + 3]);
  }
  return { x: { shape: [rows, 4], data: x }, y: { shape: [rows, 2], data: y } };
}

function maxAbsDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let d = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].length; i++) d = Math.max(d, Math.abs(a[k][i] - b[k][i]));
  return d;
}

const relClose = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b)), `${a} vs ${b} (rel tol ${tol})`);

describe('DataParallelTrainer on a tiny MLP (wasm workers)', () => {
  let one: DataParallelTrainer;
  let two: DataParallelTrainer;
  before(async () => {
    // one after the other, so that if the second fails the first is already there to dispose
    one = await DataParallelTrainer.create({ module: MODEL, config: CONFIG, workers: 1, optimizer: OPTIMIZER });
    two = await DataParallelTrainer.create({ module: MODEL, config: CONFIG, workers: 2, optimizer: OPTIMIZER });
  });
  after(async () => {
    await Promise.all([one?.dispose(), two?.dispose()]);
  });

  it('1 and 2 workers follow the same loss curve and the loss decreases', async () => {
    assert.deepEqual(one.paramNames, ['w1', 'b1', 'w2', 'b2']);
    assert.equal(one.paramCount, 4 * 6 + 6 + 6 * 2 + 2);
    assert.equal(maxAbsDiff(one.getParams(), two.getParams()), 0, 'same initial parameters');
    // 8 rows split 4+4, then 5 rows split 3+2, then 1 row (worker 1 idle)
    const batches = [...Array.from({ length: 8 }, () => makeBatch(8)), makeBatch(5, 100), makeBatch(1, 200)];
    const curves: number[][] = [[], []];
    for (const b of batches) {
      const [r1, r2] = [await one.step(b), await two.step(b)];
      assert.equal(r1.skipped || r2.skipped, false);
      relClose(r1.gradNorm, r2.gradNorm, 1e-4);
      curves[0].push(r1.loss);
      curves[1].push(r2.loss);
    }
    curves[0].forEach((l, i) => relClose(l, curves[1][i], 1e-4));
    assert.ok(curves[0][7] < 0.5 * curves[0][0], `loss should drop on a fixed batch: ${curves[0].join(', ')}`);
    assert.ok(maxAbsDiff(one.getParams(), two.getParams()) < 1e-4);
    assert.equal(one.stepCount, batches.length);
    relClose(await one.evalLoss(makeBatch(8)), await two.evalLoss(makeBatch(8)), 1e-4);
  });

  it('restoring parameters and optimizer state replays a step bit for bit', async () => {
    const params = two.getParams();
    const state = two.getOptimizerState();
    const first = await two.step(makeBatch(6, 300));
    const after1 = two.getParams();
    two.setParams(params);
    two.setOptimizerState(state);
    const again = await two.step(makeBatch(6, 300));
    assert.equal(again.loss, first.loss);
    assert.equal(maxAbsDiff(two.getParams(), after1), 0);
    assert.equal(two.stepCount, state.step + 1);
  });

  it('skips non-finite steps and respects the learning rate', async () => {
    const before0 = one.getParams();
    const steps = one.stepCount;
    const bad = makeBatch(4);
    bad.x.data[0] = NaN;
    const r = await one.step(bad);
    assert.equal(r.skipped, true);
    assert.equal(one.stepCount, steps);
    assert.equal(maxAbsDiff(one.getParams(), before0), 0);
    one.setLearningRate(0);
    await one.step(makeBatch(4));
    assert.equal(maxAbsDiff(one.getParams(), before0), 0, 'lr 0 leaves the parameters alone');
    assert.throws(() => one.setLearningRate(-1), /learning rate/);
  });

  it('an error in a worker\'s loss rejects the step, and the trainer goes on', async () => {
    const batch = { ...makeBatch(4), fail: { shape: [4], data: new Float32Array(4) } };
    await assert.rejects(two.step(batch), /worker 0: deliberate failure in loss/);
    const r = await two.step(makeBatch(4));
    assert.ok(Number.isFinite(r.loss));
  });

  it('micro-batches accumulate to the same step as whole shards', async () => {
    const micro = await DataParallelTrainer.create({ module: MODEL, config: CONFIG, workers: 2, optimizer: OPTIMIZER, microBatch: 2 });
    try {
      micro.setParams(two.getParams());
      micro.setOptimizerState(two.getOptimizerState());
      const batch = makeBatch(7, 400); // shards of 4 and 3 rows → micro-batches 2+2 and 2+1
      const [a, b] = [await micro.step(batch), await two.step(batch)];
      relClose(a.loss, b.loss, 1e-5);
      relClose(a.gradNorm, b.gradNorm, 1e-4);
      assert.ok(maxAbsDiff(micro.getParams(), two.getParams()) < 1e-5);
    } finally {
      await micro.dispose();
    }
  });

  it('refuses overlapping calls and bad input', async () => {
    const running = two.step(makeBatch(4));
    await assert.rejects(two.step(makeBatch(4)), /busy/);
    assert.throws(() => two.getParams(), /busy/);
    await running;
    await assert.rejects(two.step({ x: { shape: [2, 4], data: new Float32Array(8) }, y: { shape: [3, 2], data: new Float32Array(6) } }), /rows/);
    assert.throws(() => two.setParams({ nope: [1] }), /unknown parameter/);
  });
});

describe('DataParallelTrainer failures', () => {
  it('a factory error rejects create()', async () => {
    await assert.rejects(
      DataParallelTrainer.create({ module: MODEL, config: { ...CONFIG, failInCreate: true }, workers: 2, optimizer: OPTIMIZER }),
      /deliberate failure in createTrainable/,
    );
    await assert.rejects(
      DataParallelTrainer.create({ module: MODEL, exportName: 'nothing', workers: 1, optimizer: OPTIMIZER }),
      /does not export a function 'nothing'/,
    );
  });

  it('a worker that exits rejects the step instead of hanging', async () => {
    const t = await DataParallelTrainer.create({ module: MODEL, config: CONFIG, workers: 1, optimizer: OPTIMIZER });
    try {
      const batch = { ...makeBatch(2), exit: { shape: [2], data: new Float32Array(2) } };
      await assert.rejects(t.step(batch), /worker 0 exited with code 3/);
      await assert.rejects(t.step(makeBatch(2)), /exited with code 3/);
    } finally {
      await t.dispose();
    }
  });

  for (const mode of ['dispose', 'forget']) {
    it(`the process exits after a step when the trainer is ${mode === 'dispose' ? 'disposed' : 'never disposed'}`, async () => {
      const script = fileURLToPath(new URL('./fixtures/dispose-exit.js', import.meta.url));
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [script, mode], { timeout: 30_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout));
      });
      assert.match(out, /stepped loss=\d/);
    });
  }
});
