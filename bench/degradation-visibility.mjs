#!/usr/bin/env node
/**
 * How visible are the estimator's training degradations? For each class, the input PSNR of
 * single-degradation estimator samples (the same `estimatorBatch` Phase III trains on: native
 * 128² patches of the training photos, severity drawn per sample) against their clean patch,
 * as percentiles. Session 13 asked whether the estimator takes clean photos for haze because it
 * is trained on barely visible haze (it is not: training haze is strong).
 *
 *   npm run build && node bench/degradation-visibility.mjs [--batches N] [--model dir]
 *
 * --batches N: batches of 16 samples (default 40, about 80 per class). --model: the model whose
 * estimator's classes (and their order, which decides what each seed draws) are sampled
 * (default weights/default). Seeded (Rng('vis<b>')), so a rerun prints the same table.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { openImageFolders } from '../dist/train/data/image-source.js';
import { estimatorBatch } from '../dist/train/data/batches.js';
import { Rng } from '../dist/util/rng.js';
import { sharedDataDir } from '../dist/util/paths.js';

const option = (name) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const batches = Number(option('--batches') ?? 40);
if (!(Number.isInteger(batches) && batches > 0)) throw new Error('--batches takes a positive integer');
const modelDir = option('--model') ?? new URL('../weights/default', import.meta.url).pathname;

// the estimator's own class list: estimatorBatch draws a sample's class by its index in this list
const CLASSES = JSON.parse(readFileSync(path.join(modelDir, 'estimator.json'), 'utf8')).config.classes;
const PATCH = 128;
const BATCH = 16;
const { train } = await openImageFolders([path.join(sharedDataDir(), 'train', 'clean')]);
const byClass = Object.fromEntries(CLASSES.map((c) => [c, []]));
const n = PATCH * PATCH * 3;
for (let b = 0; b < batches; b++) {
  const batch = await estimatorBatch(train, new Rng(`vis${b}`), { batch: BATCH, patch: PATCH, classes: CLASSES, mixedFraction: 0, cleanFraction: 0, withTarget: true });
  for (let s = 0; s < BATCH; s++) {
    const k = Array.from(batch.labels.data.subarray(s * CLASSES.length, (s + 1) * CLASSES.length)).findIndex((v) => v > 0);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const d = batch.input.data[s * n + j] - batch.target.data[s * n + j];
      sum += d * d;
    }
    byClass[CLASSES[k]].push(10 * Math.log10(1 / Math.max(sum / n, 1e-10)));
  }
}
console.log(`input PSNR (dB) of single-degradation estimator samples, ${PATCH}² patches, ${batches} × ${BATCH} samples`);
console.log('class'.padEnd(10) + ['n', 'p10', 'p25', 'p50', 'p75', 'p90', '>35 dB', '>40 dB'].map((h) => h.padStart(8)).join(''));
for (const c of CLASSES) {
  const v = byClass[c].sort((a, b) => a - b);
  const q = (f) => v[Math.floor(f * (v.length - 1))].toFixed(1);
  const share = (t) => `${Math.round((100 * v.filter((x) => x > t).length) / v.length)}%`;
  console.log(c.padEnd(10) + [String(v.length), q(0.1), q(0.25), q(0.5), q(0.75), q(0.9), share(35), share(40)].map((x) => x.padStart(8)).join(''));
}
