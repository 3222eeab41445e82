/**
 * Phase I training throughput with the real data pipeline: CutMix batches built in the main thread
 * (prefetched one step ahead) while DataParallelTrainer trains the backbone + segmentation head in
 * 1 and in 2 workers. Prints a markdown table.
 *
 *   npm run bench:train -- [--preset small,tiny] [--batch 8] [--patch 64] [--steps 6] [--warmup 2]
 *                          [--workers 1,2] [--images DIR[,DIR…]]
 *   npm run bench:train -- --engine ort,tfjs [--cases tiny:16,small:8] [--threads 2] [--workers 2] [--max-batch small:64,small:128]
 *       the two training engines interleaved step by step (src/bench/train-engines.ts); --max-batch then
 *       finds the largest ONNX Runtime batch that fits in memory per preset:patch (src/bench/max-batch.ts)
 *
 * Effective GFLOP/s is an estimate: 3 × forward FLOPs (backward ≈ 2× forward) of the backbone
 * (src/model/flops.ts, segmentation head excluded) × patches/s.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { DataParallelTrainer } from '../tfjs/parallel/trainer.js';
import { presetConfig } from '../model/config.js';
import { backboneFlopsPerPixel } from '../model/flops.js';
import { openImageFolders } from '../train/data/image-source.js';
import { pretrainBatch } from '../train/data/batches.js';
import { Prefetcher } from '../train/data/prefetcher.js';
import { sharedDataDir } from '../util/paths.js';
import { Rng } from '../util/rng.js';
import { benchEngines, type EngineName } from './train-engines.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small,tiny' },
    batch: { type: 'string', default: '8' },
    patch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1,2' },
    images: { type: 'string' },
    engine: { type: 'string' },
    cases: { type: 'string', default: 'tiny:16,small:8' },
    threads: { type: 'string', default: '2' },
    'max-batch': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: node dist/bench/train-throughput.js [--preset small,tiny] [--batch 8] [--patch 64] [--steps 6] [--warmup 2] [--workers 1,2] [--images DIR[,DIR...]]\n' +
      '       node dist/bench/train-throughput.js --engine ort,tfjs [--cases tiny:16,small:8] [--threads 2] [--workers 2] [--patch 64] [--steps 6] [--warmup 2]\n' +
      'Phase I (backbone + segmentation head) training throughput with the real CutMix data pipeline, 1 vs 2 workers;\n' +
      'with --engine, the tfjs-wasm and ONNX Runtime engines interleaved step by step.',
  );
  process.exit(0);
}
const usage = (message: string): never => {
  console.error(`bench:train: ${message}`);
  process.exit(2);
};
// --engine: checked before the images are decoded, so a typo fails at once
const engineRun = values.engine === undefined ? null : {
  engines: values.engine.split(',').map((s) => s.trim()).map((e) => (e === 'ort' || e === 'tfjs' ? e : usage(`--engine: unknown engine '${e}' (known: ort, tfjs)`))) as EngineName[],
  cases: values.cases.split(',').map((c) => {
    const [preset, b] = c.split(':');
    if (!preset || !Number.isInteger(Number(b)) || Number(b) < 1) return usage(`--cases: '${c}' is not PRESET:BATCH`);
    try {
      presetConfig(preset);
    } catch (err) {
      usage(`--cases: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { preset, batch: Number(b) };
  }),
};
const presets = values.preset.split(',').map((s) => s.trim());
const batch = Number(values.batch), patch = Number(values.patch), steps = Number(values.steps), warmup = Number(values.warmup);
const workerCounts = values.workers.split(',').map(Number);
const imageDirs = values.images ? values.images.split(',') : [path.join(sharedDataDir(), 'train', 'clean')];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}; load average at start ${load()}`);
const { train } = await openImageFolders(imageDirs);
let t0 = performance.now();
for (let i = 0; i < train.size; i++) await train.getRaw(i); // training decodes each image once; keep that out of the timing
console.log(`data: ${train.size} training images from ${imageDirs.join(', ')}, decoded and cached in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

if (engineRun) {
  await benchEngines({ ...engineRun, patch, steps, warmup, workers: Math.max(...workerCounts), threads: Number(values.threads), train });
  if (values['max-batch'] !== undefined) {
    // the largest batch that fits, one child process per try (max-batch.ts)
    spawnSync(process.execPath, [fileURLToPath(new URL('./max-batch.js', import.meta.url)), '--cases', values['max-batch'] || 'small:64,small:128'], { stdio: 'inherit' });
  }
  process.exit(0);
}

const buildBatch = (step: number) => pretrainBatch(train, new Rng(`bench:pretrain:${step}`), { batch, patch, classes: DEFAULT_CLASSES });

// The pipeline on its own (main thread idle otherwise): median over 10 batches.
const dataTimes: number[] = [];
for (let k = 0; k < 10; k++) {
  t0 = performance.now();
  await buildBatch(10_000 + k);
  dataTimes.push(performance.now() - t0);
}
const dataMs = median(dataTimes);
console.log(`pretrainBatch ${batch}×${patch}²: median ${dataMs.toFixed(1)} ms/batch (min ${Math.min(...dataTimes).toFixed(1)}, max ${Math.max(...dataTimes).toFixed(1)})`);
console.log(`${warmup} warm-up + ${steps} timed steps per row; a step's time includes waiting for its prefetched batch\n`);

interface Row { preset: string; workers: number; sPerStep: number; patchesPerSec: number; gflops: number; waitMs: number }
const rows: Row[] = [];
for (const preset of presets) {
  const forwardPerPatch = backboneFlopsPerPixel(presetConfig(preset)) * patch * patch;
  for (const workers of workerCounts) {
    const trainer = await DataParallelTrainer.create({
      module: new URL('../model/trainable.js', import.meta.url),
      config: { phase: 'backbone', preset, seed: 1, segWeight: 0.1 },
      workers,
      backend: 'wasm',
      optimizer: { lr: 2e-4, weightDecay: 1e-4, clipNorm: 1 },
    });
    const prefetcher = new Prefetcher(buildBatch, 1);
    try {
      const times: number[] = [];
      const waits: number[] = [];
      for (let step = 0; step < warmup + steps; step++) {
        const start = performance.now();
        const b = await prefetcher.get(step);
        const got = performance.now();
        await trainer.step(b);
        if (step >= warmup) {
          times.push((performance.now() - start) / 1000);
          waits.push(got - start);
        }
      }
      const sPerStep = median(times);
      const patchesPerSec = batch / sPerStep;
      rows.push({ preset, workers, sPerStep, patchesPerSec, gflops: (3 * forwardPerPatch * patchesPerSec) / 1e9, waitMs: median(waits) });
      console.log(`${preset}, ${workers} worker(s): ${sPerStep.toFixed(3)} s/step (${trainer.paramCount} params); load average ${load()}`);
    } finally {
      prefetcher.close();
      await trainer.dispose();
    }
  }
}

console.log(`\nPhase I, batch ${batch}×${patch}², wasm backend, ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)\n`);
console.log('| preset | workers | median s/step | patches/s | eff. GFLOP/s (est.) | data ms/batch (standalone; wait in step) | speed-up vs 1 worker |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const base = rows.find((b) => b.preset === r.preset && b.workers === 1);
  const speedup = base ? (base.sPerStep / r.sPerStep).toFixed(2) + '×' : '–';
  console.log(
    `| ${r.preset} | ${r.workers} | ${r.sPerStep.toFixed(3)} | ${r.patchesPerSec.toFixed(2)} | ${r.gflops.toFixed(2)} | ${dataMs.toFixed(1)}; ${r.waitMs.toFixed(1)} | ${speedup} |`,
  );
}
console.log(`\nload average at end ${load()} (other processes share these cores)`);
