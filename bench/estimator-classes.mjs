#!/usr/bin/env node
/**
 * Diagnostic: what an estimator has learned, per class. Synthesises 64 held-out patches of 128²
 * (the training images' hold-out split, single degradations only, 10 % clean, seed "diag") exactly
 * as Phase III does, and prints for each true class the mean probability of every class and how
 * often the argmax is the true class.
 *
 *   npm run build && node bench/estimator-classes.mjs <model dir or estimator.safetensors> [--quantise8] [--context 3]
 */
import path from 'node:path';
import { initEngine, tf } from '../dist/engine/backend.js';
import { estimateProbabilities, loadEstimator } from '../dist/model/index.js';
import { estimatorBatch, openImageFolders } from '../dist/train/data/index.js';
import { sharedDataDir } from '../dist/util/paths.js';
import { Rng } from '../dist/util/rng.js';

const target = process.argv[2];
if (!target) {
  console.error('usage: node bench/estimator-classes.mjs <model dir or estimator.safetensors>');
  process.exit(2);
}
await initEngine({ backend: 'wasm' });
const est = await loadEstimator(target);
const classes = est.config.classes;
const K = classes.length;
const N = 64;
const { holdout } = await openImageFolders([path.join(sharedDataDir(), 'train', 'clean')]);
// --context C: degrade a (C·128)² window and show the estimator its centre 128², the way it sees a
// crop of a large degraded photo (estimatorBatch's `context`, as `abair train estimator --context`)
const ci = process.argv.indexOf('--context');
const context = ci > 0 ? Number(process.argv[ci + 1]) : 1;
if (!(Number.isInteger(context) && context >= 1)) {
  console.error('--context must be an integer ≥ 1');
  process.exit(2);
}
const batch = await estimatorBatch(holdout, new Rng('diag'), { batch: N, patch: 128, classes, mixedFraction: 0, cleanFraction: 0.1, context });
// --quantise8: round the degraded patches to 8-bit values, as every image abair is given at test time is
if (process.argv.includes('--quantise8')) batch.input.data.forEach((v, i, a) => (a[i] = Math.min(255, Math.max(0, Math.round(v * 255))) / 255));
const probabilities = estimateProbabilities(est.params, est.config, tf.tensor4d(batch.input.data, batch.input.shape));
const rows = {};
for (let i = 0; i < N; i++) {
  const truth = [...batch.labels.data.slice(i * K, (i + 1) * K)].indexOf(1);
  (rows[truth < 0 ? 'clean' : classes[truth]] ??= []).push(probabilities[i]);
}
console.log(`classes: ${classes.join(' ')}`);
for (const [name, ps] of Object.entries(rows)) {
  const mean = classes.map((_, k) => (ps.reduce((s, r) => s + r[k], 0) / ps.length).toFixed(2));
  const correct = name === 'clean' ? '—' : ps.filter((r) => r.indexOf(Math.max(...r)) === classes.indexOf(name)).length;
  console.log(`${name.padEnd(9)} n ${ps.length}  mean p ${mean.join(' ')}  argmax correct ${correct}`);
}
