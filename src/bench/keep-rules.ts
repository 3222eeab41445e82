/**
 * How much of the input should SW keep? Compares rules for the keep share k (output =
 * k·input + (1 − k)·SW) on the held-out training photos, never on the bench sets: every rule is a
 * function of the estimator's outputs, so each crop is restored once with keep-clean off and every
 * rule's output is formed from that restoration and the input in memory.
 *
 * Held-out crops as every training phase holds them out (openImageFolders' split): the 256² centre
 * of each image (--size W[xH]: the W×H centre, or all of a smaller side: --size 768 reads the
 * estimator's crops spread over a photo as on the bench sets, the 256² centre as on the gate's
 * crops); the 8 single degradations, 5 mixed pairs and the crop itself (clean), severity
 * 0.5, seeded Rng(`swblend:<file>:<case>`) (the draws of the SW blend comparisons before it; --draw and
 * --severity give others), 8-bit in and out. RGB PSNR against the clean crop.
 *
 * --family probe degrades with the probe generators (src/probe/generators.ts: never trained on; a
 * mixed case applies its two in turn; no severity) instead of the training ones.
 *
 *   npm run build && node dist/bench/keep-rules.js [--weights dir] [--limit n] [--json out.json] [--size W[xH]]
 *     [--veto from:to,…] [--claim-veto from:to,…] [--namer-keep from:to,…] [--family train|probe] [--draw tag] [--severity s|random]
 *     [--mode sw|adapter:<name>|…]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDegradations } from '../degrade/registry.js';
import type { DegradationName } from '../degrade/types.js';
import { toUint8 } from '../degrade/quantize.js';
import { PSNR_CAP_DB, quantise8 } from '../eval/protocol.js';
import { CLEAN_WORST_DB } from '../eval/table.js';
import type { RGBImage } from '../image/types.js';
import { readImage } from '../io/image-io.js';
import { centerCrop, psnr } from '../metrics/index.js';
import { CLEAN_OUTPUT, cleanWeight, odds } from '../model/soft-weights.js';
import { createRestorer } from '../restore/restorer.js';
import { estimatorCrops } from '../restore/estimator-input.js';
import { darkChannelLevel } from '../image/dark-channel.js';
import { hazeVeto } from '../model/haze-veto.js';
import { claimVeto } from '../model/claim-veto.js';
import { namerKeep } from '../model/clean-gate.js';
import { PROBES } from '../probe/generators.js';
import { openImageFolders } from '../train/data/image-source.js';
import { sharedDataDir } from '../util/paths.js';
import { option } from './args.js';
import { Rng } from '../util/rng.js';

// --size W or WxH (default 256): the centre part of each held-out photo, at most its own size
const [SIZE_W, SIZE_H] = (() => {
  const m = /^(\d+)(?:x(\d+))?$/.exec(option('--size') ?? '256');
  if (!m) throw new Error('--size must be W or WxH in pixels');
  return [Number(m[1]), Number(m[2] ?? m[1])];
})();
// --draw <tag> (default swblend): the label of the degradation streams, Rng(`<tag>:<file>:<case>`);
// --severity <s|random> (default 0.5): a fixed severity, or each degradation's own training draw.
// Another draw confirms a choice made on the first one.
const DRAW = option('--draw') ?? 'swblend';
const SEVERITY = option('--severity') === 'random' ? undefined : Number(option('--severity') ?? 0.5);
const SINGLES: DegradationName[] = ['rain', 'haze', 'noise', 'blur', 'lowlight', 'jpeg', 'bitdepth', 'snow'];
const MIXED: DegradationName[][] = [['blur', 'noise'], ['blur', 'jpeg'], ['haze', 'snow'], ['rain', 'noise'], ['lowlight', 'noise']];
const CASES: DegradationName[][] = [...SINGLES.map((s) => [s]), ...MIXED, []];
const caseName = (names: readonly string[]) => (names.length === 0 ? 'clean' : names.join('+'));

/** A keep rule: the share of the input kept, from the class probabilities p, p(clean) c and the SW exponent x. */
type KeepRule = (p: Float32Array, c: number, x: number) => number;
const product = (p: Float32Array) => Array.from(p).reduce((a, v) => a * (1 - v), 1);
const RULES: Record<string, KeepRule> = {
  off: () => 0,
  // the estimator's own p(clean)
  pclean: (_p, c) => c,
  // p(clean) only as far as no class claims the crop
  'pclean*prod': (p, c) => c * product(p),
  // p(clean) as one more class in the SW softmax: odds(c)^x against the classes' odds^x
  'pclean-softmax': (p, c, x) => {
    const o = odds(c) ** x;
    return o / (o + Array.from(p).reduce((a, v) => a + odds(v) ** x, 0));
  },
  // the classes-only rule (keep-clean without a clean output)
  prod: (p, _c, x) => cleanWeight(p, x),
};

// --veto from:to,…: each rule also with its keep share times (1 − hazeVeto(dark-channel level))
const ranges = (flag: string) => (option(flag) ?? '').split(',').filter(Boolean).map((v) => v.split(':').map(Number) as [number, number]);
const vetoes = ranges('--veto');
// --claim-veto from:to,…: each p(clean) rule also times (1 − claimVeto(the class probabilities))
const claimVetoes = ranges('--claim-veto');
// --namer-keep from:to,…: the p(clean) rule also with its keep share raised to a ramp of the namer's
// p(clean) where that is larger: max(k, ramp(p(clean), from, to)); the naming is unchanged
const namerKeeps = ranges('--namer-keep');
const FAMILY = option('--family') ?? 'train';
if (FAMILY !== 'train' && FAMILY !== 'probe') throw new Error('--family must be train or probe');
const degrade = async (clean: RGBImage, names: DegradationName[], rng: Rng): Promise<RGBImage> => {
  if (FAMILY === 'train') return (await applyDegradations(clean, names, rng, SEVERITY)).image;
  let image = clean;
  for (const name of names) image = await PROBES[name as keyof typeof PROBES](image, rng);
  return image;
};
const weights = option('--weights');
const limit = option('--limit') === undefined ? undefined : Number(option('--limit'));
const jsonOut = option('--json');
const trainDir = path.join(sharedDataDir(), 'train', 'clean');
const { holdout } = await openImageFolders([trainDir]);
const files = [...holdout.names].sort().slice(0, limit);
const restorer = createRestorer(weights ? { weights } : {});
const runner = await restorer.load();
// without a clean output only the rules that do not read p(clean) apply (the shipped baseline)
// --mode <restore mode> (default sw): e.g. adapter:haze forces one adapter, and a folder with a
// backbone alone gives its base weights; the keep rules read SW's estimate, so only "off" then.
const MODE = option('--mode') ?? 'sw';
const rules = Object.fromEntries(Object.entries(RULES).filter(([name]) => (MODE === 'sw' || name === 'off') && (runner.hasCleanOutput || !name.startsWith('pclean'))));
if (MODE !== 'sw' && vetoes.length > 0) throw new Error('--veto reads the SW estimate: give it with --mode sw only');
const x = runner.swExponent ?? 1;
process.stdout.write(`machine: ${os.cpus()[0]?.model} (${os.cpus().length} cores); model: ${weights ?? 'weights/default'}; held-out images: ${files.length}\n`);

const blend = (input: RGBImage, restored: RGBImage, k: number): RGBImage => ({
  width: input.width,
  height: input.height,
  data: restored.data.map((v, i) => input.data[i]! * k + v * (1 - k)),
});
const sums: Record<string, Record<string, number>> = {};
const namedSums: Record<string, Record<string, number>> = {};
const guessedRight = (truth: readonly string[], p: Float32Array, keep: number): number => {
  let best = Number.isFinite(keep) ? keep : -Infinity;
  let guess = 'clean';
  for (const [i, v] of p.entries()) if (v > best) [best, guess] = [v, runner.classes[i]!];
  return (truth.length === 0 ? guess === 'clean' : truth.includes(guess)) ? 1 : 0;
};
const perImage: unknown[] = [];
for (const file of files) {
  const rel = path.relative(trainDir, file).split(path.sep).join('/');
  const full = quantise8((await readImage(file)).image);
  const clean = centerCrop(full, Math.min(SIZE_W, full.width), Math.min(SIZE_H, full.height));
  const row: Record<string, unknown> = { file: rel };
  for (const names of CASES) {
    const name = caseName(names);
    const degraded = quantise8(await degrade(clean, names, new Rng(`${DRAW}:${rel}:${name}`)));
    const raw = { data: toUint8(degraded), width: degraded.width, height: degraded.height, channels: 3 as const };
    const result = await restorer.restore(raw, { mode: MODE, keepClean: false });
    // the restore's own estimate (no second estimator pass): the classes, and p(clean) when the model has it
    const probabilities = Float32Array.from(runner.classes, (name) => result.probabilities[name]!);
    // the model's keep share (its gate's, or the estimator's p(clean)), and the p(clean) that names a
    // photo clean (a gate's namer where it has one, else the same share)
    const c = runner.hasCleanOutput ? result.keepShare : Number.NaN;
    const namedClean = result.probabilities[CLEAN_OUTPUT] ?? Number.NaN;
    const scores: Record<string, number> = { input: Math.min(psnr(degraded, clean), PSNR_CAP_DB) };
    // 1 where the estimate's top guess (the classes and "clean" at the keep share) is a true class
    const named: Record<string, number> = {};
    const scoreKeeping = (k: number) => Math.min(psnr(quantise8(blend(degraded, result.image, k)), clean), PSNR_CAP_DB);
    const crops = estimatorCrops(degraded, 128);
    const level = darkChannelLevel(crops.data, crops.count, 128);
    for (const [rule, keep] of Object.entries(rules)) {
      const k = Math.min(1, Math.max(0, keep(probabilities, c, x)));
      scores[rule] = scoreKeeping(k);
      named[rule] = guessedRight(names, probabilities, rule === 'pclean' ? namedClean : k);
      if (rule === 'off') continue;
      for (const [from, to] of vetoes) scores[`${rule}~${from}:${to}`] = scoreKeeping(k * (1 - hazeVeto(level, from, to)));
      if (rule !== 'pclean') continue;
      for (const [from, to] of claimVetoes) {
        const kc = k * (1 - claimVeto(probabilities, from, to));
        scores[`${rule}^${from}:${to}`] = scoreKeeping(kc);
        named[`${rule}^${from}:${to}`] = guessedRight(names, probabilities, kc);
      }
      for (const [from, to] of namerKeeps) {
        scores[`${rule}|${from}:${to}`] = scoreKeeping(Math.max(k, namerKeep(namedClean, from, to)));
        named[`${rule}|${from}:${to}`] = named[rule]!;
      }
    }
    // keep-clean whose haze (and snow) claims count only as far as the dark channel supports haze
    for (const [from, to] of vetoes) {
      const v = hazeVeto(level, from, to);
      for (const [tag, scaled] of [['hz', ['haze']], ['hzsn', ['haze', 'snow']]] as const) {
        const p = probabilities.map((q, i) => ((scaled as readonly string[]).includes(runner.classes[i]!) ? q * v : q));
        scores[`prod-${tag}~${from}:${to}`] = scoreKeeping(cleanWeight(p, x) * (1 - v));
      }
    }
    scores['dark'] = level;
    scores['keep'] = c;
    row[name] = scores;
    row[`${name}:named`] = named;
    const namedBucket = (namedSums[name] ??= {});
    for (const [k, v] of Object.entries(named)) namedBucket[k] = (namedBucket[k] ?? 0) + v;
    row[`${name}:p`] = result.probabilities;
    const bucket = (sums[name] ??= {});
    for (const [k, v] of Object.entries(scores)) bucket[k] = (bucket[k] ?? 0) + v;
  }
  perImage.push(row);
  process.stdout.write(`  ${rel}\n`);
}

const columns = ['input', ...Object.keys(sums['clean']!).filter((k) => k !== 'input' && k !== 'keep' && k !== 'dark'), 'dark', ...(runner.hasCleanOutput ? ['keep'] : [])];
const widths = columns.map((c) => Math.max(15, c.length + 2));
// NaN: a figure that has no meaning for the column (a count of the dark level), printed as —
const line = (label: string, values: number[]) => `${label.padEnd(16)}${values.map((v, i) => (Number.isNaN(v) ? '—' : v.toFixed(2)).padStart(widths[i]!)).join('')}\n`;
const psnrColumn = (c: string) => c !== 'dark' && c !== 'keep';
process.stdout.write(`\nRGB PSNR (dB), mean over ${files.length} held-out crops of at most ${SIZE_W}×${SIZE_H} (dark, keep: the dark-channel level and the model's keep share, their means)\n${''.padEnd(16)}${columns.map((c, i) => c.padStart(widths[i]!)).join('')}\n`);
const mean = (names: string[], col: string) => names.reduce((a, n) => a + sums[n]![col]! / files.length, 0) / names.length;
for (const name of Object.keys(sums)) process.stdout.write(line(name, columns.map((c) => sums[name]![c]! / files.length)));
process.stdout.write(line('mean singles', columns.map((c) => mean(SINGLES, c))));
process.stdout.write(line('mean mixed', columns.map((c) => mean(MIXED.map(caseName), c))));
// a clean photo changed badly matters more than the mean shows (identical crops count as PSNR_CAP_DB)
const cleanSorted = (col: string) => perImage.map((r) => ((r as Record<string, Record<string, number>>)['clean']!)[col]!).sort((a, b) => a - b);
process.stdout.write(line('clean median', columns.map((c) => cleanSorted(c)[Math.floor(files.length / 2)]!)));
process.stdout.write(line('clean worst', columns.map((c) => cleanSorted(c)[0]!)));
process.stdout.write(line(`clean < ${CLEAN_WORST_DB} dB`, columns.map((c) => (psnrColumn(c) ? cleanSorted(c).filter((v) => v < CLEAN_WORST_DB).length : NaN))));
// the do-no-harm check per rule: the most any degraded case's mean falls under plain SW
const degradedCases = Object.keys(sums).filter((n) => n !== 'clean');
process.stdout.write(line('largest loss', columns.map((c) => (psnrColumn(c) ? Math.max(...degradedCases.map((n) => (sums[n]!['off']! - sums[n]![c]!) / files.length)) : NaN))));
// photo by photo: degraded photos a rule leaves more than HARM_DB under plain SW
const HARM_DB = 1;
const photoScores = (n: string) => perImage.map((r) => (r as Record<string, Record<string, number>>)[n]!);
process.stdout.write(line(`harmed > ${HARM_DB} dB`, columns.map((c) => (psnrColumn(c) ? degradedCases.reduce((a, n) => a + photoScores(n).filter((s) => s['off']! - s[c]! > HARM_DB).length, 0) : NaN))));
// top-1 of the estimate with "clean" at each rule's keep share, in % of the single-degradation cases
const singlesNamed = (col: string) => (SINGLES.every((n) => namedSums[n]?.[col] !== undefined) ? (100 * SINGLES.reduce((a, n) => a + namedSums[n]![col]!, 0)) / (SINGLES.length * files.length) : NaN);
process.stdout.write(line('top-1 singles %', columns.map(singlesNamed)));
process.stdout.write(line('top-1 clean %', columns.map((c) => (namedSums['clean']?.[c] !== undefined ? (100 * namedSums['clean']![c]!) / files.length : NaN))));
for (const n of SINGLES) process.stdout.write(line(`top-1 ${n} %`, columns.map((c) => (namedSums[n]?.[c] !== undefined ? (100 * namedSums[n]![c]!) / files.length : NaN))));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ format: 'abair-keep-rules', version: 1, createdAt: new Date().toISOString(), weights: weights ?? null, rules: Object.keys(rules), perImage }, null, 1));
restorer.dispose();
