/**
 * Backbone sweep: which architecture should the default model use? Each configuration of a sweep
 * file (recipes/sweep-backbone.json) trains Phase I on the ONNX Runtime engine for the same steps
 * on the same CutMix batches (the stream is a function of the seed and the step), and reports:
 *   - validation PSNR (RGB, dB) on held-out training crops, every `valEvery` steps;
 *   - CPU-seconds of this process (user + system) and wall seconds per step;
 *   - ONNX restore speed of the exported graph (s/MP, one `restoreMegapixels` image, median of 3,
 *     after one warm-up), measured in the same process for every configuration.
 * The pick follows the rule the file states; the bench sets are never touched.
 *
 *   npm run bench:sweep --  [recipes/sweep-backbone.json] [--out DIR] [--only a,b] [--steps N]
 *
 * Writes <out>/sweep.json (every figure) and prints a markdown table.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { type BackboneConfig, presetConfig, validateConfig } from '../model/config.js';
import { backboneFlopsPerPixel } from '../model/flops.js';
import { HostWeight } from '../model/host-weights.js';
import { modelSpecs } from '../model/backbone.js';
import { countParams } from '../model/params.js';
import { median } from '../eval/restore-report.js';
import { exportBackboneOnnx } from '../onnx/export.js';
import { loadOrt } from '../ort/runtime.js';
import { OrtPretrainTrainer } from '../train-ort/ort-trainer.js';
import { openImageFolders } from '../train/data/image-source.js';
import { pretrainBatch } from '../train/data/batches.js';
import { Prefetcher } from '../train/data/prefetcher.js';
import { validationSet } from '../train/data/validation.js';
import { learningRate } from '../train/schedule.js';
import type { HostBatch } from '../train-ort/host-batch.js';
import { sharedDataDir } from '../util/paths.js';
import { Rng } from '../util/rng.js';

interface SweepFile {
  description: string;
  steps: number;
  batch: number;
  patch: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  valEvery: number;
  valCount: number;
  restoreMegapixels: number;
  budgetVsTiny: number;
  configs: { name: string; preset: string; override?: Partial<BackboneConfig> }[];
}

interface Point {
  step: number;
  psnr: number;
  cpuSec: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: 'tmp/sweep' }, only: { type: 'string' }, steps: { type: 'string' }, images: { type: 'string' } },
});
const file = positionals[0] ?? 'recipes/sweep-backbone.json';
const sweep = JSON.parse(await readFile(file, 'utf8')) as SweepFile;
if (values.steps) sweep.steps = Number(values.steps);
const only = values.only?.split(',');
const configs = sweep.configs.filter((c) => !only || only.includes(c.name));
if (!configs.some((c) => c.name === 'tiny')) throw new Error('the sweep needs the tiny configuration: the restore budget is relative to it');
const ort = await loadOrt();
const imageDirs = values.images ? values.images.split(',') : [path.join(sharedDataDir(), 'train', 'clean')];
const { train, holdout } = await openImageFolders(imageDirs);
const classes = [...DEFAULT_CLASSES];
const val = await validationSet(holdout.size ? holdout : train, { count: sweep.valCount, patch: sweep.patch, seed: sweep.seed, kind: 'pretrain', classes });
await mkdir(values.out, { recursive: true });
console.log(`sweep ${file}: ${configs.length} configurations × ${sweep.steps} steps × ${sweep.batch}×${sweep.patch}²; ${train.size} training images, ${val.input!.shape[0]} validation crops; ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores)`);

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Mean PSNR of the validation inputs against their targets: what restoring has to beat. */
function inputPsnr(batch: HostBatch): number {
  const [n, h, w, c] = batch.input!.shape as [number, number, number, number];
  const row = h * w * c;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let se = 0;
    for (let q = i * row; q < (i + 1) * row; q++) se += (batch.input!.data[q]! - batch.target!.data[q]!) ** 2;
    sum += -10 * Math.log10(Math.max(se / row, 1e-10));
  }
  return sum / n;
}
const valInputPsnr = inputPsnr(val);


/** Mean PSNR of the exported graph's restorations of the validation crops. */
async function validationPsnr(model: Uint8Array, batch: HostBatch): Promise<number> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const input = batch.input!, target = batch.target!;
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const row = h * w * c;
  let sum = 0;
  for (let i = 0; i < n; i += 8) {
    const k = Math.min(8, n - i);
    const out = await session.run({ image: new ort.Tensor('float32', Float32Array.from(input.data.subarray(i * row, (i + k) * row)), [k, h, w, c]) });
    const restored = out['restored']!.data as Float32Array;
    for (let j = 0; j < k; j++) {
      let se = 0;
      for (let q = 0; q < row; q++) {
        const d = Math.min(1, Math.max(0, restored[j * row + q]!)) - target.data[(i + j) * row + q]!;
        se += d * d;
      }
      sum += -10 * Math.log10(Math.max(se / row, 1e-10));
    }
  }
  await session.release();
  return sum / n;
}

/** Median seconds per megapixel of one restore of a `mp`-megapixel image (after a warm-up). */
async function restoreSecondsPerMP(model: Uint8Array, mp: number): Promise<number> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const side = Math.round(Math.sqrt(mp * 1e6) / 8) * 8;
  const image = new ort.Tensor('float32', Float32Array.from({ length: side * side * 3 }, (_, i) => ((i * 7919) % 255) / 255), [1, side, side, 3]);
  await session.run({ image });
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await session.run({ image });
    times.push((performance.now() - t0) / 1000);
  }
  await session.release();
  return median(times) / ((side * side) / 1e6);
}

const results: Record<string, unknown>[] = [];
for (const entry of configs) {
  const config: BackboneConfig = { ...presetConfig(entry.preset), ...(entry.override ?? {}) };
  validateConfig(config);
  const params = countParams(modelSpecs(config));
  const trainer = await OrtPretrainTrainer.create({ config, batch: sweep.batch, patch: sweep.patch, seed: sweep.seed, optimizer: { lr: sweep.lr, weightDecay: sweep.weightDecay, clipNorm: sweep.clipNorm } });
  const schedule = { lr: sweep.lr, warmup: sweep.warmup, steps: sweep.steps };
  const prefetcher = new Prefetcher((k) => pretrainBatch(train, new Rng(`${sweep.seed}:sweep:${k}`), { batch: sweep.batch, patch: sweep.patch, classes }), 1);
  const exportNow = () => exportBackboneOnnx(Object.fromEntries(Object.entries(trainer.getParams()).filter(([n]) => !n.startsWith('seg.')).map(([n, d]) => [n, new HostWeight(d, trainer.layout.entries.find((e) => e.name === n)!.shape)])), { ...config, segClasses: 0 });
  const curve: Point[] = [];
  const cpu0 = cpuSeconds();
  const wall0 = performance.now();
  let trainCpu = 0;
  let trainWall = 0;
  for (let step = 0; step < sweep.steps; step++) {
    const batch = await prefetcher.get(step);
    trainer.setLearningRate(learningRate(schedule, step));
    const c0 = cpuSeconds(), w0 = performance.now();
    const r = await trainer.step(batch);
    trainCpu += cpuSeconds() - c0;
    trainWall += (performance.now() - w0) / 1000;
    if (!Number.isFinite(r.loss)) throw new Error(`${entry.name}: non-finite loss at step ${step + 1}`);
    if ((step + 1) % sweep.valEvery === 0 || step + 1 === sweep.steps) {
      const psnr = await validationPsnr(exportNow(), val);
      curve.push({ step: step + 1, psnr, cpuSec: trainCpu });
      console.log(`${entry.name} step ${step + 1}: val PSNR ${psnr.toFixed(2)} dB, ${(trainWall / (step + 1)).toFixed(3)} s/step, ${trainCpu.toFixed(0)} CPU-s`);
    }
  }
  prefetcher.close();
  await trainer.dispose();
  const sPerMP = await restoreSecondsPerMP(exportNow(), sweep.restoreMegapixels);
  const last = curve[curve.length - 1]!;
  results.push({
    name: entry.name, config, params, flopsPerPixel: backboneFlopsPerPixel(config), steps: sweep.steps,
    secondsPerStep: trainWall / sweep.steps, cpuHours: trainCpu / 3600, totalWallSec: (performance.now() - wall0) / 1000, totalCpuSec: cpuSeconds() - cpu0,
    curve, finalPsnr: last.psnr, restoreSecondsPerMP: sPerMP,
  });
  await writeFile(path.join(values.out, 'sweep.json'), JSON.stringify({ file, sweep, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, load: os.loadavg() }, inputPsnr: valInputPsnr, results }, null, 2));
}

const tiny = results.find((r) => r['name'] === 'tiny')!;
const budget = (tiny['restoreSecondsPerMP'] as number) * sweep.budgetVsTiny;
const within = results.filter((r) => (r['restoreSecondsPerMP'] as number) <= budget);
const best = within.reduce((a, b) => ((b['finalPsnr'] as number) > (a['finalPsnr'] as number) + 0.05 ? b : a), within[0]!);
console.log(`\n${sweep.description}\n`);
console.log(`Phase I, ${sweep.steps} steps × ${sweep.batch} patches of ${sweep.patch}², seed ${sweep.seed}; validation: ${val.input!.shape[0]} held-out training crops (RGB PSNR, synthetic CutMix degradations; inputs ${valInputPsnr.toFixed(2)} dB); restore: ONNX Runtime, 2 threads, one ${sweep.restoreMegapixels} MP image; ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log('| config | params | s/step | CPU-h | val PSNR by step | final | restore s/MP | vs tiny | within budget |');
console.log('|---|---:|---:|---:|---|---:|---:|---:|---|');
for (const r of results) {
  const curve = (r['curve'] as Point[]).map((p) => `${p.step}: ${p.psnr.toFixed(2)}`).join(', ');
  const s = r['restoreSecondsPerMP'] as number;
  console.log(`| ${r['name']} | ${((r['params'] as number) / 1e6).toFixed(2)} M | ${(r['secondsPerStep'] as number).toFixed(2)} | ${(r['cpuHours'] as number).toFixed(3)} | ${curve} | ${(r['finalPsnr'] as number).toFixed(2)} | ${s.toFixed(2)} | ${(s / (tiny['restoreSecondsPerMP'] as number)).toFixed(2)}× | ${s <= budget ? 'yes' : 'no'} |`);
}
console.log(`\npick by the rule: ${best['name']}`);
