/**
 * The estimator alone on the eval suites' inputs: top-1 per dataset (argmax over the classes and,
 * when the estimator has it, p(clean)) and the mean p(clean), without restoring anything, so it
 * takes a minute where the full `abair eval` of the same suites takes most of an hour. The inputs
 * are exactly the eval's (same datasets, seeds and 8-bit quantisation, eval/runner.ts loadPair).
 *
 *   npm run build && node dist/bench/estimator-accuracy.js [--weights dir] [--suites probe,synthetic,…] [--limit n] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { argmaxClass } from '../eval/estimator-stats.js';
import { listBenchImages } from '../eval/datasets.js';
import { loadPair } from '../eval/runner.js';
import { datasetsOf, resolveSuites, truthLabel } from '../eval/suites.js';
import { createRestorer } from '../restore/restorer.js';
import { probabilityRecord, splitEstimate } from '../restore/modes.js';
import { sharedDataDir } from '../util/paths.js';
import { option } from './args.js';

const weights = option('--weights');
const suites = resolveSuites(option('--suites') ?? 'denoise,derain,dehaze,unseen,synthetic,clean,probe');
const limit = option('--limit') === undefined ? undefined : Number(option('--limit'));
const jsonOut = option('--json');
const dataRoot = path.join(sharedDataDir(), 'bench');

const restorer = createRestorer(weights ? { weights } : {});
const runner = await restorer.load();
const rows: { suite: string; dataset: string; truth: string; images: number; correct: number; meanClean: number | null; predicted: Record<string, number> }[] = [];
process.stdout.write(`model: ${weights ?? 'weights/default'} (${runner.classes.join(', ')}${runner.hasCleanOutput ? ', + clean output' : ''})\n`);
process.stdout.write('suite      dataset                        images  top-1    mean p(clean)  predicted\n');
for (const suite of suites) {
  for (const dataset of datasetsOf(suite)) {
    let items = await listBenchImages(dataRoot, dataset.folder, !dataset.synthesise);
    if (limit !== undefined) items = items.slice(0, limit);
    const truth = [...dataset.truth];
    const predicted: Record<string, number> = {};
    let correct = 0;
    let cleanSum = 0;
    for (const item of items) {
      const { degraded } = await loadPair(dataset, suite, item);
      const { probabilities, clean } = splitEstimate(await runner.estimate(degraded), runner.classes.length);
      const top = argmaxClass(probabilityRecord(probabilities, runner.classes, clean)) ?? 'none';
      predicted[top] = (predicted[top] ?? 0) + 1;
      // a clean input is right when the estimator says clean (only an estimator with that output can)
      if (truth.length === 0 ? top === 'clean' : (truth as string[]).includes(top)) correct++;
      cleanSum += clean;
    }
    const meanClean = Number.isFinite(cleanSum) && items.length > 0 ? cleanSum / items.length : null;
    rows.push({ suite, dataset: dataset.id, truth: truthLabel(truth), images: items.length, correct, meanClean, predicted });
    const top1 = items.length > 0 ? `${((100 * correct) / items.length).toFixed(1)}%` : '—';
    const spread = Object.entries(predicted).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(`${suite.padEnd(10)} ${dataset.id.padEnd(30)} ${String(items.length).padStart(6)}  ${top1.padStart(6)}   ${meanClean === null ? '   —' : meanClean.toFixed(3).padStart(6)}         ${spread}\n`);
  }
}
const singles = rows.filter((r) => r.suite !== 'probe' && r.suite !== 'clean' && !r.truth.includes('+'));
const sum = (list: typeof rows) => list.reduce((a, r) => [a[0]! + r.correct, a[1]! + r.images], [0, 0]);
const [sc, st] = sum(singles);
const [pc, pt] = sum(rows.filter((r) => r.suite === 'probe'));
if (st! > 0) process.stdout.write(`single-degradation bench sets: ${sc}/${st} = ${((100 * sc!) / st!).toFixed(1)}%\n`);
if (pt! > 0) process.stdout.write(`probe suite: ${pc}/${pt} = ${((100 * pc!) / pt!).toFixed(1)}%\n`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ format: 'abair-estimator-accuracy', version: 1, createdAt: new Date().toISOString(), weights: weights ?? null, rows }, null, 1));
restorer.dispose();
