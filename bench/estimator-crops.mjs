#!/usr/bin/env node
/**
 * Diagnostic: how the estimator's input is formed matters. Compares top-1 accuracy of a model
 * folder's estimator on Kodak24 images (first 8) with each of its classes applied alone (our
 * generators, severity 0.5, seeded), when it sees (a) the whole image resized to its input size
 * (estimatorInput), as the engines did before, or (b) the mean of its probabilities over the 3×3
 * grid of native-resolution crops of that size that the engines now use (estimatorCrops +
 * meanRows from dist, so this measures exactly what they run), as it was trained (Phase III
 * trains on native-resolution patches).
 *
 *   npm run build && node bench/estimator-crops.mjs [modelDir]     (default: weights/default)
 */
import { initEngine, tf } from '../dist/engine/backend.js';
import { loadEstimator, estimateProbabilities } from '../dist/model/index.js';
import { applyDegradations } from '../dist/degrade/registry.js';
import { readImage } from '../dist/io/image-io.js';
import { estimatorCrops, estimatorInput, meanRows } from '../dist/restore/estimator-input.js';
import { Rng } from '../dist/util/rng.js';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from '../dist/util/paths.js';
await initEngine({ backend: 'wasm' });
const est = await loadEstimator(process.argv[2] ?? new URL('../weights/default', import.meta.url).pathname);
const classes = est.config.classes; const S = est.config.inputSize;
const dir = path.join(sharedDataDir(), 'bench', 'Kodak24', 'target');
const files = readdirSync(dir).sort().slice(0, 8);
const score = { resize: 0, crops: 0, n: 0 }; const perClass = {};
// 8-bit, like every bench input
const q8 = (img) => ({ ...img, data: img.data.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255) });
for (const f of files) {
  const clean = (await readImage(`${dir}/${f}`)).image;
  for (const name of classes) {
    const { image } = await applyDegradations(clean, [name], new Rng(`x:${f}:${name}`), 0.5);
    const img = q8(image);
    const a = estimateProbabilities(est.params, est.config, tf.tensor4d(estimatorInput(img, S), [1, S, S, 3]))[0];
    // 3×3 grid of native-resolution crops, averaged: what the engines do
    const crops = estimatorCrops(img, S);
    const b = Array.from(meanRows(estimateProbabilities(est.params, est.config, tf.tensor4d(crops.data, [crops.count, S, S, 3])).flat(), crops.count));
    const t = classes.indexOf(name);
    const okA = a.indexOf(Math.max(...a)) === t, okB = b.indexOf(Math.max(...b)) === t;
    score.resize += okA; score.crops += okB; score.n++;
    (perClass[name] ??= [0, 0, 0]); perClass[name][0] += okA; perClass[name][1] += okB; perClass[name][2]++;
  }
}
console.log('resize', score.resize, 'crops', score.crops, 'of', score.n);
for (const [k, v] of Object.entries(perClass)) console.log(k.padEnd(9), 'resize', v[0], 'crops', v[1], '/', v[2]);
