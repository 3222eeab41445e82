#!/usr/bin/env node
/**
 * Experiment: how should SW mode blend the adapters? On the benchmark, OH (argmax adapter only)
 * beat SW (then: sigmoid probabilities normalised to sum 1) on mixed degradations, where the paper
 * says SW should win. Hypothesis: normalising dilutes each adapter (two true classes get ~0.5
 * each, wrong classes take some weight too). This run chose the softmax of the logits as SW's
 * rule (session 5; docs/model.md); the other rules stay as columns. This must not be decided on
 * the benchmark test sets, so it runs on the HELD-OUT split of the training photos: the same
 * openImageFolders split (path hash, default fraction 0.05) that every training phase uses on
 * ../shared/data/train/clean, taken from dist/, so these images were never trained on.
 *
 * Per held-out image: centre crop 256×256; for each case (the 8 single degradations and the
 * mixed pairs blur+noise, blur+jpeg, haze+snow, rain+noise, lowlight+noise) degrade with
 * applyDegradations(crop, names, Rng(`swblend:<file>:<case>`), 0.5), quantise to 8 bits, and
 * restore with the shipped default model (weights/default) on the ONNX engine (as `abair restore`
 * and `abair eval` default to) in these modes:
 *   oh           argmax adapter only
 *   sw           the product's SW: the softmax of the estimator's logits times the model's SW
 *                exponent x (w ∝ (p/(1−p))^x; x is the estimator's swExponent, 1 unless set
 *                with `abair model set-blend`; src/model/soft-weights.ts)
 *   sum          the first SW rule: weights:<name>=<p/Σp>,…; a wrong class at p = 0.3 keeps
 *                0.3/Σp, where the softmax leaves it odds 0.43 against ~250 for a right one at 0.996
 *   raw          weights:<name>=<p>,… with p the sw run's raw probabilities (not normalised)
 *   oracle       the true adapter (singles) / weights:a=0.5,b=0.5 (mixed), as `abair eval --mode oracle`
 *   oracle-full  mixed only: weights:a=1,b=1
 *   softmax0     the softmax with a fixed logit 0 for "no adapter" added (w = odds/(1+Σodds)):
 *                weights sum to < 1 when no class is likely, leaving the backbone alone
 *   sharp        the softmax of twice the logits (w ∝ odds²), whatever the model's exponent: SW
 *                with temperature ½, for estimators whose probabilities are less peaked (session
 *                10's dominant labels); equal to sw on a model whose exponent is 2
 *   keep         the product's SW with keep-clean forced on (`restore(…, {keepClean: true})`, what
 *                `abair model set-blend --keep-clean on` makes the default): the output pulled back
 *                toward the input by the estimated chance that nothing is wrong (cleanWeight)
 *   x<e>         with --exponents e1,e2,…: the product's rule with exponent e (w ∝ odds^e), one column
 *                each, to compare blend exponents on held-out crops before changing a model's
 *                swExponent (session 13)
 * One more case, `clean`: the crop itself, undegraded (input PSNR = the 100 dB cap), restored in
 * the oh, sw and keep modes: how much the model changes a photo that needs nothing (session 12).
 * It is reported on its own row, not in the singles mean.
 * RGB PSNR (dB, capped at 100) of the 8-bit output vs the clean crop, and of the input.
 *
 *   npm run build && node bench/sw-blend.mjs [--limit N] [--model dir] [--json out.json]
 *                                            [--exponents e1,e2,…] [--minimal] [--max-side N]
 *                                            [--seed-tag T]
 *
 * --limit N: the first N held-out images (sorted by path). --model: a model folder instead of the
 * shipped weights/default. --json: every per-image number. --minimal: only the input, oh, sw and
 * x<e> columns (a third of the restores). --max-side N: each held-out image at its own size,
 * centre-cropped to at most N per side, instead of the 256² square (the estimator's crop grid
 * then meets photo sizes that are not multiples of 16, as on LIVE1 and users' photos). --seed-tag
 * T: seeds Rng(`T:<file>:<case>`) instead of `swblend:…`, another draw of every degradation.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { applyDegradations } from '../dist/degrade/registry.js';
import { toUint8 } from '../dist/degrade/quantize.js';
import { readImage } from '../dist/io/image-io.js';
import { centerCrop, psnr } from '../dist/metrics/index.js';
import { quantise8, PSNR_CAP_DB } from '../dist/eval/protocol.js';
import { createRestorer } from '../dist/restore/restorer.js';
import { Rng } from '../dist/util/rng.js';
import { loadOrt } from '../dist/onnx/runtime.js';
import { odds as oddsOf, softWeights } from '../dist/model/soft-weights.js';
import { heldOutImages, option } from './held-out.mjs';

const args = process.argv.slice(2);
const limit = option('--limit') === undefined ? undefined : Number(option('--limit'));
if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit takes a positive integer`);
const jsonOut = option('--json');
const modelDir = option('--model');
const exponents = (option('--exponents') ?? '').split(',').filter((e) => e !== '').map(Number);
for (const e of exponents) if (!(Number.isFinite(e) && e > 0)) throw new Error(`--exponents takes positive numbers, got ${option('--exponents')}`);
const minimal = args.includes('--minimal');
// --max-side N: whole held-out images, centre-cropped to at most N on each side (not square, not
// snapped to 16): photos' own sizes, where the estimator's crops need not start on the JPEG block
// grid (session 14). Without it: the 256² centre square.
const maxSide = option('--max-side') === undefined ? undefined : Number(option('--max-side'));
if (maxSide !== undefined && !(Number.isInteger(maxSide) && maxSide >= 16)) throw new Error(`--max-side takes an integer ≥ 16`);
// --seed-tag T: degrade with Rng(`T:<file>:<case>`) instead of `swblend:…`: a second, independent
// draw of every degradation on the same images (session 14)
const seedTag = option('--seed-tag') ?? 'swblend';
const exponentColumn = (e) => `x${e}`;

const SIZE = 256;
const SEVERITY = 0.5;
const SINGLES = ['rain', 'haze', 'noise', 'blur', 'lowlight', 'jpeg', 'bitdepth', 'snow'];
const MIXED = [['blur', 'noise'], ['blur', 'jpeg'], ['haze', 'snow'], ['rain', 'noise'], ['lowlight', 'noise']];
const CASES = [...SINGLES.map((s) => [s]), ...MIXED, []];
const caseName = (names) => (names.length === 0 ? 'clean' : names.join('+'));

const started = performance.now();
// exactly the training split: openImageFolders([dir]) with its default holdout fraction (0.05)
const { trainDir, files, heldOut, trained } = await heldOutImages(limit);

const restorer = createRestorer({ runtime: 'onnx', ...(modelDir ? { weights: modelDir } : {}) });
const engine = await restorer.load();
const classes = engine.classes;
for (const c of SINGLES) if (!classes.includes(c)) throw new Error(`the default model has no ${c} adapter (it has ${classes.join(', ')})`);

const cap = (p) => Math.min(p, PSNR_CAP_DB);
const rawPixels = (img) => ({ data: toUint8(img), width: img.width, height: img.height, channels: 3 });
const fmtW = (v) => String(v); // full precision: Number(String(v)) === v

const ortError = await loadOrt().then(() => null, (err) => err.message);
console.log(`machine: ${cpus()[0].model} (${cpus().length} cores); engine: ${ortError ? `tfjs (ONNX Runtime unavailable: ${ortError})` : 'onnx'}; model: ${modelDir ?? 'weights/default'} (${classes.join(', ')})`);
console.log(`held-out images: ${heldOut} of ${heldOut + trained} in ${trainDir} (fraction 0.05); using ${files.length}${limit !== undefined ? ` (--limit ${limit})` : ''}`);

const perImage = [];
for (const [fi, file] of files.entries()) {
  const rel = path.relative(trainDir, file).split(path.sep).join('/');
  const full = quantise8((await readImage(file)).image);
  const side = Math.min(SIZE, full.width, full.height);
  if (maxSide === undefined && side < SIZE) console.log(`  note: ${rel} is ${full.width}×${full.height}; cropped to ${side}×${side}`);
  const cropW = maxSide === undefined ? side : Math.min(maxSide, full.width);
  const cropH = maxSide === undefined ? side : Math.min(maxSide, full.height);
  const clean = centerCrop(full, cropW, cropH);
  const t0 = performance.now();
  const row = { file: rel, width: cropW, height: cropH, cases: {} };
  for (const names of CASES) {
    const name = caseName(names);
    const { image } = await applyDegradations(clean, names, new Rng(`${seedTag}:${rel}:${name}`), SEVERITY);
    const degraded = quantise8(image);
    const input = rawPixels(degraded);
    const score = async (mode, keepClean) => {
      const r = await restorer.restore(input, { mode, ...(keepClean === undefined ? {} : { keepClean }) });
      return { psnr: cap(psnr(quantise8(r.image), clean)), probabilities: r.probabilities, adapterWeights: r.adapterWeights, cleanShare: r.cleanShare };
    };
    const sw = await score('sw');
    // on a model with keep-clean on, its own SW already is the keep column
    const keep = engine.keepClean || minimal ? sw : await score('sw', true);
    const p = sw.probabilities;
    // odds p/(1−p) = exp(logit), with the same clamp as SW's own softWeights
    const odds = Object.fromEntries(classes.map((c) => [c, oddsOf(p[c])]));
    const sumOdds = classes.reduce((s, c) => s + odds[c], 0);
    const sumP = classes.reduce((s, c) => s + p[c], 0);
    // the product's rule with exponent 2 (what `abair model set-blend --sw-exponent 2` selects)
    const sharp = softWeights(classes.map((c) => p[c]), 2);
    const blend = (w) => `weights:${classes.map((c, k) => `${c}=${fmtW(w[k])}`).join(',')}`;
    const exponentModes = Object.fromEntries(exponents.map((e) => [exponentColumn(e), blend(softWeights(classes.map((c) => p[c]), e))]));
    const modes = names.length === 0 ? { oh: 'oh' } : minimal ? { oh: 'oh', ...exponentModes } : {
      oh: 'oh',
      ...exponentModes,
      sum: `weights:${classes.map((c) => `${c}=${fmtW(sumP > 0 ? p[c] / sumP : 1 / classes.length)}`).join(',')}`,
      raw: `weights:${classes.map((c) => `${c}=${fmtW(p[c])}`).join(',')}`,
      softmax0: `weights:${classes.map((c) => `${c}=${fmtW(odds[c] / (1 + sumOdds))}`).join(',')}`,
      sharp: blend(sharp),
      oracle: names.length === 1 ? `adapter:${names[0]}` : `weights:${names.map((n) => `${n}=${1 / names.length}`).join(',')}`,
    };
    if (names.length > 1 && !minimal) modes['oracle-full'] = `weights:${names.map((n) => `${n}=1`).join(',')}`;
    const out = { input: cap(psnr(degraded, clean)), sw: sw.psnr, ...(minimal ? {} : { keep: keep.psnr }) };
    const weights = { sw: sw.adapterWeights, keepCleanShare: minimal ? undefined : keep.cleanShare };
    for (const [key, mode] of Object.entries(modes)) {
      const r = await score(mode);
      out[key] = r.psnr;
      weights[key] = r.adapterWeights;
    }
    const argmax = classes.reduce((best, c) => (p[c] > p[best] ? c : best), classes[0]);
    // the clean crop has no true class: its top-1 is not counted
    row.cases[name] = { psnr: out, probabilities: p, probabilitySum: classes.reduce((s, c) => s + p[c], 0), argmax, argmaxCorrect: names.length === 0 ? null : names.includes(argmax), weights };
  }
  perImage.push(row);
  console.log(`  [${fi + 1}/${files.length}] ${rel}  ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// ---- table --------------------------------------------------------------------------------
const COLS = minimal
  ? ['input', 'oh', 'sw', ...exponents.map(exponentColumn)]
  : ['input', 'oh', 'sw', ...exponents.map(exponentColumn), 'keep', 'sum', 'raw', 'softmax0', 'sharp', 'oracle', 'oracle-full'];
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const caseMeans = {};
for (const names of CASES) {
  const name = caseName(names);
  const rows = perImage.map((r) => r.cases[name]);
  const m = {};
  for (const col of COLS) if (col in rows[0].psnr) m[col] = mean(rows.map((r) => r.psnr[col]));
  m.sumP = mean(rows.map((r) => r.probabilitySum));
  m.top1 = names.length === 0 ? undefined : rows.filter((r) => r.argmaxCorrect).length / rows.length;
  m.cleanShare = mean(rows.map((r) => r.weights.keepCleanShare));
  caseMeans[name] = m;
}
const groupMean = (group) => {
  const m = {};
  for (const col of [...COLS, 'sumP', 'top1', 'cleanShare']) {
    const vals = group.map((n) => caseMeans[caseName(n)][col]).filter((v) => v !== undefined);
    if (vals.length) m[col] = mean(vals);
  }
  return m;
};
const fmt = (v, d = 2) => (v === undefined ? '' : v.toFixed(d)).padStart(13);
const header = 'case'.padEnd(16) + COLS.map((c) => c.padStart(13)).join('') + 'Σp'.padStart(8) + 'top1'.padStart(7) + 'kept'.padStart(7);
const line = (label, m) =>
  label.padEnd(16) + COLS.map((c) => fmt(m[c])).join('') + m.sumP.toFixed(2).padStart(8) + (m.top1 === undefined ? '' : `${Math.round(m.top1 * 100)}%`).padStart(7) + (Number.isFinite(m.cleanShare) ? m.cleanShare.toFixed(2) : '').padStart(7);
console.log('');
console.log(`RGB PSNR (dB), ${maxSide === undefined ? `${side0()}×${side0()} centre crops` : `whole images centre-cropped to ≤ ${maxSide} per side`} of ${files.length} held-out training images, severity ${SEVERITY}, 8-bit in/out; Σp = mean sum of the estimator's probabilities, top1 = argmax is a true class, kept = mean share of the input kept by keep-clean (the keep column)`);
console.log(header);
for (const s of SINGLES) console.log(line(s, caseMeans[s]));
console.log(line('mean singles', groupMean(SINGLES.map((s) => [s]))));
for (const m of MIXED) console.log(line(caseName(m), caseMeans[caseName(m)]));
console.log(line('mean mixed', groupMean(MIXED)));
console.log(line('clean', caseMeans.clean));
const wall = (performance.now() - started) / 1000;
console.log(`\nwall time: ${wall.toFixed(0)} s (${(wall / 60).toFixed(1)} min)`);

function side0() {
  return perImage[0]?.width ?? SIZE;
}

if (jsonOut) {
  writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        what: 'bench/sw-blend.mjs: SW blending variants on held-out training images',
        machine: cpus()[0].model,
        trainDir,
        heldOut,
        images: files.length,
        limit: limit ?? null,
        size: maxSide === undefined ? SIZE : null,
        maxSide: maxSide ?? null,
        severity: SEVERITY,
        seedRule: `Rng(\`${seedTag}:<relative path>:<case>\`)`,
        classes,
        model: modelDir ?? 'weights/default',
        wallSec: wall,
        means: { perCase: caseMeans, singles: groupMean(SINGLES.map((s) => [s])), mixed: groupMean(MIXED), clean: caseMeans.clean },
        perImage,
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${jsonOut}`);
}
restorer.dispose();
