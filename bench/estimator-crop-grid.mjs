#!/usr/bin/env node
/**
 * Diagnostic (session 14): does the estimator's crop grid meet JPEG's block grid? JPEG codes an
 * image in 8×8 blocks (16×16 macroblocks under 4:2:0) counted from its top-left pixel, and Phase
 * III jpeg-codes each training patch from the patch's own origin. The engines show the estimator
 * a grid×grid set of native 128² crops; on photos whose sizes are not multiples of 16 those crops
 * can start between blocks. This measures, with the estimator alone (no restores, about 1 min per
 * grid × align pair), on the held-out split of the training photos at their own size:
 *   - for every grid size and crop-offset alignment given (align 1 = free offsets, what the engines
 *     did before session 14; 16 = what they do now) and every way of averaging the crops (mean of
 *     probabilities, the product's; mean of logits, an alternative),
 *   - the SW weight (the product's rule, the model's swExponent) that lands on the true classes,
 *     per single degradation and over the mixed pairs, the singles' top-1, and on clean images the
 *     largest probability (what a clean photo is taken for).
 * Crops are cut by dist's estimatorCrops, so align 16 with grid 3 is exactly what the engines run.
 * The images are degraded whole (severity 0.5, Rng(`cropgrid:<file>:<case>`), 8-bit), so any JPEG
 * grid starts at the image's top-left pixel as in a real photo.
 *
 *   npm run build && node bench/estimator-crop-grid.mjs [--model dir] [--grids 3,4,6]
 *                                                        [--aligns 1,16] [--limit N]
 */
import path from 'node:path';
import { cpus } from 'node:os';
import { applyDegradations } from '../dist/degrade/registry.js';
import { readImage } from '../dist/io/image-io.js';
import { quantise8 } from '../dist/eval/protocol.js';
import { Rng } from '../dist/util/rng.js';
import { estimatorCrops } from '../dist/restore/estimator-input.js';
import { initEngine, tf } from '../dist/engine/backend.js';
import { loadEstimator, estimateProbabilities } from '../dist/model/index.js';
import { softWeights } from '../dist/model/soft-weights.js';
import { heldOutImages, option } from './held-out.mjs';

const list = (name, fallback) => option(name, fallback).split(',').map(Number);
const grids = list('--grids', '3');
const aligns = list('--aligns', '1,16');
for (const v of [...grids, ...aligns]) if (!(Number.isInteger(v) && v >= 1)) throw new Error('--grids and --aligns take positive integers');
const limit = option('--limit') === undefined ? undefined : Number(option('--limit'));
const modelDir = option('--model', new URL('../weights/default', import.meta.url).pathname);

await initEngine({ backend: 'wasm' });
const est = await loadEstimator(modelDir);
const classes = est.config.classes;
const S = est.config.inputSize;
const exponent = est.config.swExponent ?? 1;
const { trainDir, files } = await heldOutImages(limit);

const SINGLES = classes;
const MIXED = [['blur', 'noise'], ['blur', 'jpeg'], ['haze', 'snow'], ['rain', 'noise'], ['lowlight', 'noise']].filter((m) => m.every((n) => classes.includes(n)));
const CASES = [...SINGLES.map((s) => [s]), ...MIXED, []];

const logit = (p) => Math.log(Math.min(Math.max(p, 1e-6), 1 - 1e-6) / (1 - Math.min(Math.max(p, 1e-6), 1 - 1e-6)));
const AVERAGES = {
  'mean p': (col) => col.reduce((a, b) => a + b, 0) / col.length,
  'mean logit': (col) => 1 / (1 + Math.exp(-col.reduce((a, b) => a + logit(b), 0) / col.length)),
};

const acc = new Map(); // variant → field → [sum, n]
const add = (variant, field, v) => {
  if (!acc.has(variant)) acc.set(variant, {});
  const a = acc.get(variant);
  a[field] ??= [0, 0];
  a[field][0] += v;
  a[field][1] += 1;
};
const started = performance.now();
let skipped = 0;
for (const file of files) {
  const full = quantise8((await readImage(file)).image);
  if (full.width < S || full.height < S) { skipped++; continue; }
  const rel = path.relative(trainDir, file).split(path.sep).join('/');
  for (const names of CASES) {
    const name = names.length === 0 ? 'clean' : names.join('+');
    const { image } = await applyDegradations(full, names, new Rng(`cropgrid:${rel}:${name}`), 0.5);
    const degraded = quantise8(image);
    for (const grid of grids) for (const align of aligns) {
      const batch = estimatorCrops(degraded, S, grid, align);
      const rows = tf.tidy(() => estimateProbabilities(est.params, est.config, tf.tensor4d(batch.data, [batch.count, S, S, 3])));
      for (const [averageName, average] of Object.entries(AVERAGES)) {
        const p = classes.map((_, k) => average(rows.map((r) => r[k])));
        const variant = `grid ${grid}, align ${align}, ${averageName}`;
        if (names.length === 0) { add(variant, 'clean max p', Math.max(...p)); continue; }
        const w = softWeights(p, exponent);
        const onTrue = names.reduce((s, n) => s + w[classes.indexOf(n)], 0);
        if (names.length === 1) {
          add(variant, names[0], onTrue);
          add(variant, 'singles', onTrue);
          add(variant, 'top-1', p.indexOf(Math.max(...p)) === classes.indexOf(names[0]) ? 1 : 0);
        } else add(variant, 'mixed', onTrue);
      }
    }
  }
  process.stderr.write('.');
}
process.stderr.write('\n');
const fields = [...SINGLES, 'singles', 'mixed', 'top-1', 'clean max p'];
console.log(`machine: ${cpus()[0].model}; model: ${modelDir}; estimator input ${S}², SW exponent ${exponent}`);
console.log(`held-out training images at their own size: ${files.length - skipped}${skipped ? ` (${skipped} smaller than ${S} skipped)` : ''}; severity 0.5; 8-bit`);
console.log('cells: mean SW weight on the true class(es); top-1: singles argmax right; clean max p: mean largest probability on undegraded images');
console.log(['variant'.padEnd(34), ...fields.map((f) => f.padStart(12))].join(''));
for (const [variant, a] of acc) console.log([variant.padEnd(34), ...fields.map((f) => (a[f] ? (a[f][0] / a[f][1]).toFixed(3) : '').padStart(12))].join(''));
console.log(`wall: ${((performance.now() - started) / 1000).toFixed(0)} s`);
