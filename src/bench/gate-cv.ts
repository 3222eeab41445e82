/**
 * Cross-validates clean-gate fits on a samples file of `abair train clean-gate --samples`: the
 * images are split into folds, each fold's gate is fitted on the other folds' samples and scored on
 * its own, so a fit setting is judged on images its gate never saw (the held-out photos of
 * keep-rules.js are 29; this reads all 467 training images, each held out once). Scores come from
 * the stored blend errors (src/train/clean-gate-fit.ts), so no image is restored again: RGB PSNR
 * of each 256² crop, k·input + (1 − k)·SW against the clean crop, k the share the gate would ship
 * (MLP × what the haze veto leaves, raised by the namer keep where the gate has one).
 *
 * The estimator and adapters that made the samples trained on these images, so this ranks fit
 * settings; a choice is then made on keep-rules.js's held-out photos.
 *
 *   npm run build && node dist/bench/gate-cv.js --samples runs/clean-gate/samples.json
 *     [--weights dir] [--folds 5] [--variants shipped,veto-fit,clean-weight=2,cap=60,…] [--json out.json]
 *
 * A variant is settings joined by '+' on top of the fit settings the --weights folder's gate records
 * ('shipped': those alone): veto-fit or no-veto-fit (whether the fit sees the veto), clean-weight=w,
 * cap=dB, hidden=n, harm=h (how many times a decibel lost against plain SW counts), no-namer-keep,
 * statistics=a:b (the optional crop statistics read, colon-separated, or none), veto=from:to or none,
 * veto-on=dark|dark01 (the dark-channel level the veto reads).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLEAN_WORST_DB } from '../eval/table.js';
import { gateOutputs, OPTIONAL_STATISTICS, type CleanGate, type HazeVetoRamp, type OptionalStatistic } from '../model/clean-gate.js';
import { PSNR_CAP_DB } from '../eval/protocol.js';
import { blendPsnr, fitCleanGate, fitCleanNamer } from '../train/clean-gate-fit.js';
import { CLEAN_GATE_DEFAULTS } from '../train/defaults.js';
import { gateSamples, type StoredSample } from '../train/phases/clean-gate.js';
import { option } from './args.js';
import { modelGate } from './model-gate.js';

const samplesFile = option('--samples');
if (!samplesFile) throw new Error('--samples <file> is required (a samples file of abair train clean-gate --samples)');
const weights = option('--weights') ?? 'weights/default';
const folds = Number(option('--folds') ?? 5);
const variantNames = (option('--variants') ?? 'shipped,veto-fit').split(',').filter(Boolean);
const jsonOut = option('--json');

// the model's gate gives the classes and every setting a variant does not change
const { gate: shipped, provenance } = await modelGate(weights);
// the fit settings it was made with (files from before a setting existed were fitted without it)
const made = provenance as { cleanWeight?: number; harmWeight?: number; vetoInFit?: boolean; capDb?: number };
const file = JSON.parse(readFileSync(samplesFile, 'utf8')) as { settings: { cases: string[] }; samples: StoredSample[] };
const perImage = file.settings.cases.length;
const veto = shipped.hazeVeto;
const samples = gateSamples(file.samples, shipped.classes.length, shipped.statistics, veto);
const images = samples.length / perImage;
if (!Number.isInteger(images)) throw new Error(`${samplesFile}: ${samples.length} samples are not whole images of ${perImage} cases`);

interface Variant {
  vetoInFit: boolean;
  cleanWeight: number;
  harmWeight: number;
  capDb: number;
  hidden: number;
  namerKeep: { from: number; to: number } | null;
  statistics: OptionalStatistic[];
  veto: HazeVetoRamp | null;
}
const base: Variant = { vetoInFit: made.vetoInFit ?? false, cleanWeight: made.cleanWeight ?? 1, harmWeight: made.harmWeight ?? 1, capDb: made.capDb ?? CLEAN_GATE_DEFAULTS.capDb, hidden: shipped.hidden, namerKeep: shipped.namerKeep ?? null, statistics: [...shipped.statistics], veto: shipped.hazeVeto };
function checkStatistic(name: string): OptionalStatistic {
  if (!(OPTIONAL_STATISTICS as readonly string[]).includes(name)) throw new Error(`--variants: '${name}' is not a crop statistic (${OPTIONAL_STATISTICS.join(', ')})`);
  return name as OptionalStatistic;
}
function vetoRamp(text: string, level: HazeVetoRamp['level']): HazeVetoRamp {
  const [from, to] = text.split(':').map(Number);
  if (!(from! >= 0 && to! > from! && to! <= 1)) throw new Error(`--variants: veto '${text}' is not from:to with 0 ≤ from < to ≤ 1`);
  return { from: from!, to: to!, ...(level ? { level } : {}) };
}
function parseVariant(name: string): Variant {
  const v = { ...base };
  for (const part of name.split('+')) {
    const [key, value] = part.split('=');
    if (key === 'shipped') continue;
    else if (key === 'veto-fit') v.vetoInFit = true;
    else if (key === 'no-veto-fit') v.vetoInFit = false;
    else if (key === 'clean-weight') v.cleanWeight = Number(value);
    else if (key === 'harm') v.harmWeight = Number(value);
    else if (key === 'cap') v.capDb = Number(value);
    else if (key === 'hidden') v.hidden = Number(value);
    else if (key === 'no-namer-keep') v.namerKeep = null;
    else if (key === 'veto') v.veto = value === 'none' ? null : vetoRamp(value ?? '', v.veto?.level);
    else if (key === 'veto-on') {
      if (value !== 'dark' && value !== 'dark01') throw new Error(`--variants: veto-on '${value}' is not dark or dark01`);
      if (!v.veto) throw new Error('--variants: veto-on needs a veto');
      v.veto = { from: v.veto.from, to: v.veto.to, ...(value === 'dark01' ? { level: value } : {}) };
    }
    else if (key === 'statistics') v.statistics = value === 'none' ? [] : (value ?? '').split(':').map((n) => checkStatistic(n));
    else throw new Error(`--variants: unknown setting '${part}'`);
  }
  return v;
}

process.stdout.write(`machine: ${os.cpus()[0]?.model} (${os.cpus().length} cores); gate settings of ${weights}; ${images} images × ${perImage} cases from ${path.basename(samplesFile)}; ${folds} folds by image\n`);
const foldOf = (i: number) => Math.floor(i / perImage) % folds;
/** the held-out PSNR of every sample under each variant (PSNR_CAP_DB for a crop kept whole) */
const scores: Record<string, Float64Array> = { off: Float64Array.from(samples, (s) => blendPsnr(s, 0, PSNR_CAP_DB)) };
for (const name of variantNames) {
  const v = parseVariant(name);
  const out = new Float64Array(samples.length);
  const started = Date.now();
  // the features of this variant's statistics (the samples' errors and labels are the same)
  const same = v.statistics.join() === shipped.statistics.join() && JSON.stringify(v.veto) === JSON.stringify(veto);
  const read = same ? samples : gateSamples(file.samples, shipped.classes.length, v.statistics, v.veto);
  for (let f = 0; f < folds; f++) {
    const train = read.filter((_, i) => foldOf(i) !== f);
    const opts = { steps: CLEAN_GATE_DEFAULTS.steps, lr: CLEAN_GATE_DEFAULTS.lr, seed: 1 };
    const { gate } = fitCleanGate(train, { classes: shipped.classes, statistics: v.statistics, hazeVeto: v.veto, hidden: v.hidden, capDb: v.capDb, cleanWeight: v.cleanWeight, harmWeight: v.harmWeight, vetoInFit: v.vetoInFit, ...opts });
    const named: CleanGate = shipped.namer ? fitCleanNamer(gate, train, { hidden: v.hidden, ...opts }).gate : gate;
    // the keep share as a restore takes it from this gate
    const fitted: CleanGate = { ...named, ...(v.namerKeep && named.namer ? { namerKeep: v.namerKeep } : { namerKeep: undefined }) };
    for (const [i, s] of file.samples.entries()) {
      if (foldOf(i) !== f) continue;
      out[i] = blendPsnr(s, gateOutputs(fitted, s.rows, s.count, s.stride, s.stats).keep, PSNR_CAP_DB);
    }
  }
  scores[name] = out;
  process.stdout.write(`  ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const labels = [...new Set(samples.map((s) => s.label!))];
const columns = Object.keys(scores);
const meanOf = (col: string, label: string) => {
  let sum = 0;
  let n = 0;
  for (const [i, s] of samples.entries()) if (s.label === label) [sum, n] = [sum + scores[col]![i]!, n + 1];
  return sum / n;
};
const singles = labels.filter((l) => l !== 'clean' && !l.includes('+'));
const mixed = labels.filter((l) => l.includes('+'));
const widths = columns.map((c) => Math.max(12, c.length + 2));
const line = (label: string, values: number[]) => `${label.padEnd(18)}${values.map((v, i) => (Number.isNaN(v) ? '—' : v.toFixed(2)).padStart(widths[i]!)).join('')}\n`;
process.stdout.write(`\nRGB PSNR (dB) of the 256² crops on their held-out fold, mean per case (off: plain SW)\n${''.padEnd(18)}${columns.map((c, i) => c.padStart(widths[i]!)).join('')}\n`);
for (const l of labels) process.stdout.write(line(l, columns.map((c) => meanOf(c, l))));
const avg = (ls: string[], c: string) => ls.reduce((a, l) => a + meanOf(c, l), 0) / ls.length;
process.stdout.write(line('mean singles', columns.map((c) => avg(singles, c))));
process.stdout.write(line('mean mixed', columns.map((c) => avg(mixed, c))));
const cleanSorted = (c: string) => samples.flatMap((s, i) => (s.label === 'clean' ? [scores[c]![i]!] : [])).sort((a, b) => a - b);
process.stdout.write(line('clean worst', columns.map((c) => cleanSorted(c)[0]!)));
process.stdout.write(line('clean 5th pct', columns.map((c) => cleanSorted(c)[Math.floor(cleanSorted(c).length / 20)]!)));
process.stdout.write(line(`clean < ${CLEAN_WORST_DB} dB`, columns.map((c) => cleanSorted(c).filter((v) => v < CLEAN_WORST_DB).length)));
const degraded = labels.filter((l) => l !== 'clean');
const HARM_DB = 1;
process.stdout.write(line(`harmed > ${HARM_DB} dB`, columns.map((c) => samples.filter((s, i) => s.label !== 'clean' && scores['off']![i]! - scores[c]![i]! > HARM_DB).length)));
process.stdout.write(line('largest loss', columns.map((c) => Math.max(...degraded.map((l) => meanOf('off', l) - meanOf(c, l))))));
const first = variantNames[0]!;
process.stdout.write(line(`loss vs ${first}`.slice(0, 17), columns.map((c) => (c === 'off' ? NaN : Math.max(...degraded.map((l) => meanOf(first, l) - meanOf(c, l)))))));
process.stdout.write(`(${samples.filter((s) => s.label === 'clean').length} clean crops; harmed: degraded crops more than ${HARM_DB} dB under plain SW)\n`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ format: 'abair-gate-cv', version: 1, createdAt: new Date().toISOString(), samples: path.basename(samplesFile), folds, variants: variantNames.map((n) => ({ name: n, ...parseVariant(n) })), means: Object.fromEntries(columns.map((c) => [c, Object.fromEntries(labels.map((l) => [l, meanOf(c, l)]))])) }, null, 1));
