/**
 * Benchmark of data-parallel training: the small U-Net of train-workers-unet.ts trained with
 * 1 worker and with 2 workers (or --workers …) in the same run, on identical seeded batches,
 * interleaved step by step; prints the median steps/s, patches/s and the speed-up over 1 worker.
 *
 *   node dist/bench/train-workers.js [--steps 12] [--warmup 2] [--batch 8] [--size 64] [--workers 1,2]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DataParallelTrainer } from '../tfjs/parallel/trainer.js';
import type { HostBatch } from '../tfjs/parallel/types.js';
import { Rng } from '../util/rng.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '8' },
    size: { type: 'string', default: '64' },
    width: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1,2' },
    backend: { type: 'string', default: 'wasm' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node dist/bench/train-workers.js [--steps 12] [--warmup 2] [--batch 8] [--size 64] [--width 16] [--workers 1,2] [--backend wasm|cpu]');
  process.exit(0);
}
const steps = Number(values.steps), warmup = Number(values.warmup), batchSize = Number(values.batch), size = Number(values.size);
const workerCounts = values.workers.split(',').map(Number);
const backend = values.backend === 'cpu' ? 'cpu' : 'wasm';

/** Seeded smooth colour patterns as targets, plus Gaussian noise (σ 0.1) as inputs. */
function makeBatch(step: number): HostBatch {
  const rng = new Rng(`train-workers:${step}`);
  const target = new Float32Array(batchSize * size * size * 3);
  const input = new Float32Array(target.length);
  for (let n = 0; n < batchSize; n++) {
    const f = Array.from({ length: 6 }, () => rng.uniform(0.02, 0.3));
    const ph = Array.from({ length: 6 }, () => rng.uniform(0, 2 * Math.PI));
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) {
      const i = ((n * size + y) * size + x) * 3 + c;
      target[i] = 0.5 + 0.25 * Math.sin(f[c] * x + ph[c]) * Math.cos(f[c + 3] * y + ph[c + 3]);
      input[i] = target[i] + 0.1 * rng.normal();
    }
  }
  const shape = [batchSize, size, size, 3];
  return { input: { shape, data: input }, target: { shape, data: target } };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const batches = Array.from({ length: warmup + steps }, (_, i) => makeBatch(i));
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}, backend ${backend}`);
console.log(`U-Net width ${values.width}, batch ${batchSize}×${size}×${size}×3, L1, AdamW; ${warmup} warm-up + ${steps} timed steps`);

// All trainers live at once and take turns step by step (idle workers sleep), so a load change
// on the shared machine hits every worker count alike instead of whichever happened to run then.
const runs = [];
for (const workers of workerCounts) {
  const trainer = await DataParallelTrainer.create({
    module: new URL('./train-workers-unet.js', import.meta.url),
    config: { width: Number(values.width), seed: 1 },
    workers,
    backend,
    optimizer: { lr: 1e-3, weightDecay: 1e-4, clipNorm: 1 },
  });
  runs.push({ workers, trainer, times: [] as number[], grad: [] as number[], reduce: [] as number[], update: [] as number[], losses: [] as number[] });
}
console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  for (let i = 0; i < batches.length; i++) {
    // rotate who goes first, so no worker count always follows the same neighbour
    for (let j = 0; j < runs.length; j++) {
      const run = runs[(i + j) % runs.length];
      const t0 = performance.now();
      const r = await run.trainer.step(batches[i]);
      const dt = performance.now() - t0;
      run.losses.push(r.loss);
      if (i >= warmup) {
        run.times.push(dt);
        run.grad.push(r.ms.grad); run.reduce.push(r.ms.reduce); run.update.push(r.ms.update);
      }
    }
  }
} finally {
  await Promise.all(runs.map((r) => r.trainer.dispose()));
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const run of runs) {
  const stepsPerSec = 1000 / median(run.times);
  console.log(
    `workers ${run.workers}: ${stepsPerSec.toFixed(2)} steps/s, ${(stepsPerSec * batchSize).toFixed(1)} patches/s ` +
    `(median step ${median(run.times).toFixed(0)} ms: grad ${median(run.grad).toFixed(0)}, reduce ${median(run.reduce).toFixed(1)}, ` +
    `update ${median(run.update).toFixed(1)}; ${run.trainer.paramCount} params; loss ${run.losses[0].toFixed(4)} → ${run.losses[run.losses.length - 1].toFixed(4)})`,
  );
}
const base = runs.find((r) => r.workers === 1);
if (base) {
  for (const r of runs) if (r !== base) console.log(`speed-up ${r.workers} vs 1 worker: ${(median(base.times) / median(r.times)).toFixed(2)}x`);
}
