/**
 * The ONNX Runtime Phase I train step against the tfjs engine on the tiny preset (16² patches,
 * batch 2, synthetic batches, same initialisation):
 *   - per-parameter gradients at the initial weights: max|g_ort − g_tfjs| ≤ 1e-4 · max|g_tfjs|
 *     for every parameter (float32 on both sides, different summation orders; observed ≤ 1.1e-5);
 *   - the losses of the first 8 AdamW steps (warm-up + cosine lr, weight decay, clipping at 1)
 *     agree within 1e-5 relative (observed ≤ 5e-7), gradient norms within 1e-3.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { DataParallelTrainer } from '../tfjs/parallel/trainer.js';
import type { HostBatch } from './host-batch.js';
import { presetConfig } from '../model/config.js';
import { createTrainable } from '../model/trainable.js';
import { learningRate } from '../train/schedule.js';
import { Rng } from '../util/rng.js';
import { estimatorConfig } from '../model/estimator.js';
import { initialBackbone, OrtAdapterTrainer, OrtEstimatorTrainer, OrtPretrainTrainer } from './ort-trainer.js';

const config = presetConfig('tiny');
const N = 2, P = 16, SEED = 5, SEG_WEIGHT = 0.1;

function syntheticBatch(step: number): HostBatch {
  const rng = new Rng(`ort-step:${step}`);
  const image = () => Float32Array.from({ length: N * P * P * 3 }, () => rng.uniform(0, 1));
  const target = image();
  // a degraded-looking input: the target plus noise
  const input = target.map((t) => t + 0.2 * rng.uniform(-1, 1));
  const seg = Int32Array.from({ length: N * P * P }, () => Math.floor(rng.uniform(0, config.segClasses + 1)));
  return { input: { shape: [N, P, P, 3], data: input }, target: { shape: [N, P, P, 3], data: target }, seg: { shape: [N, P, P], data: seg } };
}

test('initialBackbone draws the same values as createBackbone', async () => {
  await initEngine({ backend: 'wasm' });
  const model = await createTrainable({ phase: 'backbone', config, seed: SEED, segWeight: SEG_WEIGHT });
  const host = initialBackbone(config, SEED);
  for (const [name, v] of Object.entries(model.params)) assert.deepEqual(host[name], v.dataSync(), name);
});

test('ORT gradients match the tfjs engine parameter by parameter', async () => {
  await initEngine({ backend: 'wasm' });
  const batch = syntheticBatch(0);
  const model = await createTrainable({ phase: 'backbone', config, seed: SEED, segWeight: SEG_WEIGHT });
  const tensors = { input: tf.tensor(batch.input!.data, batch.input!.shape), target: tf.tensor(batch.target!.data, batch.target!.shape), seg: tf.tensor(batch.seg!.data, batch.seg!.shape, 'int32') };
  const { value, grads } = tf.variableGrads(() => model.loss(tensors));
  const ort = await OrtPretrainTrainer.create({ config, batch: N, patch: P, seed: SEED, segWeight: SEG_WEIGHT, optimizer: { lr: 1e-3 } });
  try {
    const mine = await ort.lossAndGradients(batch);
    const tfLoss = value.dataSync()[0]!;
    assert.ok(Math.abs(mine.loss - tfLoss) <= 1e-5 * Math.abs(tfLoss), `loss ${mine.loss} vs tfjs ${tfLoss}`);
    const worst: [string, number][] = [];
    for (const [name, v] of Object.entries(model.params)) {
      const ref = grads[v.name]!.dataSync() as Float32Array;
      const got = mine.grads[name]!;
      let diff = 0, scale = 0;
      for (let i = 0; i < ref.length; i++) {
        diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
        scale = Math.max(scale, Math.abs(ref[i]!));
      }
      worst.push([name, diff / Math.max(scale, 1e-12)]);
    }
    worst.sort((a, b) => b[1] - a[1]);
    if (process.env.ORT_STEP_DEBUG) console.log(`loss ${mine.loss} vs ${tfLoss}; worst gradient differences ${worst.slice(0, 3).map(([n, e]) => `${n} ${e.toExponential(2)}`).join(', ')}`);
    assert.ok(worst[0]![1] <= 1e-4, `worst relative gradient differences: ${worst.slice(0, 3).map(([n, e]) => `${n} ${e.toExponential(2)}`).join(', ')}`);
  } finally {
    await ort.dispose();
    tf.dispose([value, ...Object.values(grads), ...Object.values(tensors)]);
  }
});

test('the first 8 training steps: ORT and tfjs losses agree', async () => {
  const steps = 8;
  const schedule = { lr: 2e-3, warmup: 2, steps };
  const optimizer = { lr: learningRate(schedule, 0), weightDecay: 1e-4, clipNorm: 1 };
  const tfjs = await DataParallelTrainer.create({
    module: new URL('../model/trainable.js', import.meta.url),
    config: { phase: 'backbone', config, seed: SEED, segWeight: SEG_WEIGHT },
    workers: 1,
    optimizer,
  });
  const ort = await OrtPretrainTrainer.create({ config, batch: N, patch: P, seed: SEED, segWeight: SEG_WEIGHT, optimizer });
  try {
    const rows: string[] = [];
    for (let k = 0; k < steps; k++) {
      const lr = learningRate(schedule, k);
      tfjs.setLearningRate(lr);
      ort.setLearningRate(lr);
      const a = await tfjs.step(syntheticBatch(k));
      const b = await ort.step(syntheticBatch(k));
      rows.push(`step ${k + 1}: tfjs ${a.loss.toFixed(6)} ort ${b.loss.toFixed(6)} rel ${(Math.abs(a.loss - b.loss) / a.loss).toExponential(1)} (grad norm ${a.gradNorm.toFixed(4)} / ${b.gradNorm.toFixed(4)})`);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(a.loss), rows.join('\n'));
      assert.ok(Math.abs(a.gradNorm - b.gradNorm) <= 1e-3 * a.gradNorm, rows.join('\n'));
    }
    if (process.env.ORT_STEP_DEBUG) console.log(rows.join('\n'));
  } finally {
    await tfjs.dispose();
    await ort.dispose();
  }
});

test('ORT trainer: restoring params + optimizer state continues bit-identically; a wrong batch shape is refused', async () => {
  const options = { config, batch: N, patch: P, seed: SEED, segWeight: SEG_WEIGHT, optimizer: { lr: 1e-3, weightDecay: 1e-4, clipNorm: 1 } };
  const a = await OrtPretrainTrainer.create(options);
  const b = await OrtPretrainTrainer.create({ ...options, seed: SEED + 1 });
  try {
    await a.step(syntheticBatch(0));
    await a.step(syntheticBatch(1));
    b.setParams(a.getParams());
    b.setOptimizerState(a.getOptimizerState());
    assert.equal(b.stepCount, 2);
    const [ra, rb] = [await a.step(syntheticBatch(2)), await b.step(syntheticBatch(2))];
    assert.equal(rb.loss, ra.loss);
    assert.deepEqual(b.getParams(), a.getParams());
    const wrong = syntheticBatch(3);
    wrong.input = { shape: [N, 8, 8, 3], data: new Float32Array(N * 64 * 3) };
    await assert.rejects(a.step(wrong), /batch 'input' is 2×8×8×3; this train-step graph was built for 2×16×16×3/);
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test('Phase III: the estimator train step agrees with the tfjs engine over 6 steps', async () => {
  const est = estimatorConfig(['rain', 'noise', 'haze'], { inputSize: 16, widths: [4, 8] });
  const n = 4, size = 24, steps = 6;
  const batchFor = (k: number): HostBatch => {
    const rng = new Rng(`ort-est:${k}`);
    return {
      input: { shape: [n, size, size, 3], data: Float32Array.from({ length: n * size * size * 3 }, () => rng.uniform(0, 1)) },
      labels: { shape: [n, 3], data: Float32Array.from({ length: n * 3 }, () => (rng.uniform(0, 1) < 0.4 ? 1 : 0)) },
    };
  };
  const optimizer = { lr: 3e-3, weightDecay: 1e-4, clipNorm: 1 };
  const tfjs = await DataParallelTrainer.create({ module: new URL('../model/trainable.js', import.meta.url), config: { phase: 'estimator', estimator: est, seed: SEED }, workers: 1, optimizer });
  const ort = await OrtEstimatorTrainer.create({ config: est, batch: n, size, seed: SEED, optimizer });
  try {
    const rows: string[] = [];
    for (let k = 0; k < steps; k++) {
      const a = await tfjs.step(batchFor(k));
      const b = await ort.step(batchFor(k));
      rows.push(`step ${k + 1}: tfjs ${a.loss.toFixed(6)} ort ${b.loss.toFixed(6)} rel ${(Math.abs(a.loss - b.loss) / a.loss).toExponential(1)}`);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(a.loss), rows.join('\n'));
    }
    if (process.env.ORT_STEP_DEBUG) console.log(rows.join('\n'));
  } finally {
    await tfjs.dispose();
    await ort.dispose();
  }
});

test('Phase II: the adapter train step (frozen backbone) agrees with the tfjs engine over 6 steps', async () => {
  const steps = 6;
  const optimizer = { lr: 3e-3, weightDecay: 1e-4, clipNorm: 1 };
  const adapter = { name: 'noise', rank: 2 };
  const tfjs = await DataParallelTrainer.create({ module: new URL('../model/trainable.js', import.meta.url), config: { phase: 'adapter', config, seed: SEED, adapter }, workers: 1, optimizer });
  const ort = await OrtAdapterTrainer.create({ config, batch: N, patch: P, frozen: initialBackbone(config, SEED), adapter, seed: SEED, optimizer });
  try {
    assert.ok(ort.paramCount > 0 && ort.paramCount === tfjs.paramCount, `adapter sizes ${ort.paramCount} vs ${tfjs.paramCount}`);
    const rows: string[] = [];
    for (let k = 0; k < steps; k++) {
      const a = await tfjs.step(syntheticBatch(k));
      const b = await ort.step(syntheticBatch(k));
      rows.push(`step ${k + 1}: tfjs ${a.loss.toFixed(6)} ort ${b.loss.toFixed(6)} rel ${(Math.abs(a.loss - b.loss) / a.loss).toExponential(1)} (grad norm ${a.gradNorm.toFixed(4)} / ${b.gradNorm.toFixed(4)})`);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(a.loss), rows.join('\n'));
      assert.ok(Math.abs(a.gradNorm - b.gradNorm) <= 1e-3 * a.gradNorm, rows.join('\n'));
    }
    // the adapter learned something (B starts at zero, so step 1 is the frozen backbone's loss)
    assert.notDeepEqual(ort.getParams()[`lora.noise.enc1.0.attn.qkv.B`], new Float32Array(ort.getParams()[`lora.noise.enc1.0.attn.qkv.B`]!.length));
    if (process.env.ORT_STEP_DEBUG) console.log(rows.join('\n'));
  } finally {
    await tfjs.dispose();
    await ort.dispose();
  }
});
