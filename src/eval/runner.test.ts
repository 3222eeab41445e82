import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEvalCommand } from '../cli/commands/eval.js';
import { initEngine } from '../tfjs/backend.js';
import { createFakeRunner } from '../restore/fake-runner.js';
import { createRestorer } from '../restore/restorer.js';
import { sharedDataDir } from '../util/paths.js';
import { accuracyOf, argmaxClass, mergeConfusions } from './estimator-stats.js';
import { describeWeightsDir } from './model-info.js';
import type { EvalReport } from './report.js';
import { renderResultsMarkdown } from './results-md.js';
import { restoreModeFor, runEvaluation } from './runner.js';
import { renderSuiteTable } from './table.js';
import { needsData } from '../util/test-data.js';

const dataSkip = needsData('bench');

await initEngine({ backend: 'wasm' });
const bench = path.join(sharedDataDir(), 'bench');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-eval-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

test('oracle modes: the true adapter, equal weights for mixed, skipped without the adapter', () => {
  const classes = ['rain', 'haze', 'noise', 'blur'];
  assert.deepEqual(restoreModeFor('oracle', ['rain'], classes), { mode: 'adapter:rain' });
  assert.deepEqual(restoreModeFor('oracle', ['blur', 'noise'], classes), { mode: 'weights:blur=0.5,noise=0.5' });
  assert.match((restoreModeFor('oracle', ['jpeg'], classes) as { skip: string }).skip, /no jpeg adapter/);
  assert.deepEqual(restoreModeFor('oh', ['jpeg'], classes), { mode: 'oh' });
  assert.match((restoreModeFor('oracle', [], classes) as { skip: string }).skip, /clean input has no true adapter/);
});

test('the clean suite: input = the clean image, output scored against it, clean share recorded, no accuracy but a confusion row', { skip: dataSkip }, async () => {
  // the fake estimator is unsure (nothing above 0.3), so keep-clean keeps most of the input
  const runner = createFakeRunner({ classes: ['rain', 'haze'], probabilities: [0.3, 0.1], strengths: [0.5, 0.5] });
  const restorer = createRestorer({ runner });
  const run = (keepClean: boolean) =>
    runEvaluation({ suites: ['clean'], dataRoot: bench, mode: 'sw', restorer, model: { kind: 'injected', label: 'fake' }, limit: 1, restoreOptions: { keepClean } });
  const [plain, kept] = [await run(false), await run(true)];
  const d = plain.suites[0]!.datasets;
  assert.deepEqual(d.map((x) => x.id), ['Kodak24-clean', 'CBSD68-clean']);
  const image = d[0]!.perImage[0]!;
  assert.equal(image.input.psnr, 100, 'the input is the clean image: PSNR at the cap');
  assert.ok(image.output.psnr < 100, 'the fake model runner changes the image');
  assert.equal(image.correct, null);
  assert.equal(image.cleanShare, 0);
  assert.equal(plain.suites[0]!.accuracy, null);
  assert.deepEqual(plain.suites[0]!.confusion, { clean: { rain: 2 } });
  const keptImage = kept.suites[0]!.datasets[0]!.perImage[0]!;
  assert.ok(keptImage.cleanShare! > 0.5, `clean share ${keptImage.cleanShare}`);
  assert.ok(keptImage.output.psnr > image.output.psnr + 3, `keep-clean: ${keptImage.output.psnr} vs ${image.output.psnr} dB`);
  const table = renderSuiteTable(plain.suites[0]!, plain);
  assert.match(table, /\| Kodak24 clean \| clean \(undegraded\) \| 1 of 24 \| 100\.00 \/ 1\.0000 \|/);
  assert.match(table, /the input is the clean image itself/);
  assert.match(table, /What the estimator took them for \(its top class, images\): Kodak24 clean: rain 1; CBSD68 clean: rain 1\./);
  const least = plain.suites[0]!.datasets[0]!.perImage[0]!;
  const under = least.output.psnr < 36 ? 1 : 0;
  assert.ok(table.includes(`The least kept image: Kodak24 clean: ${least.output.psnr.toFixed(2)} dB (${least.name}), ${under} of 1 under 36 dB; CBSD68 clean: `), table);
  assert.doesNotMatch(table, /kept at least half the input/, 'only degraded images are counted');
  // a degraded set with the same unsure estimate: the images mostly kept are counted
  const derain = await runEvaluation({ suites: ['derain'], dataRoot: bench, mode: 'sw', restorer, model: { kind: 'injected', label: 'fake' }, limit: 1, restoreOptions: { keepClean: true } });
  assert.match(renderSuiteTable(derain.suites[0]!, derain), /Degraded images of which keep-clean kept at least half the input: Rain100H 1 of 1/);
  const derainPlain = await runEvaluation({ suites: ['derain'], dataRoot: bench, mode: 'sw', restorer, model: { kind: 'injected', label: 'fake' }, limit: 1, restoreOptions: { keepClean: false } });
  assert.doesNotMatch(renderSuiteTable(derainPlain.suites[0]!, derainPlain), /kept at least half/);
  const oracle = await runEvaluation({ suites: ['clean'], dataRoot: bench, mode: 'oracle', restorer, model: { kind: 'injected', label: 'fake' }, limit: 1 });
  assert.match(oracle.suites[0]!.datasets[0]!.skipped!, /clean input has no true adapter/);
});

test('estimator statistics', () => {
  assert.equal(argmaxClass({ rain: 0.2, haze: 0.7, noise: 0.7 }), 'haze');
  assert.deepEqual(accuracyOf([true, false, true, true]), { correct: 3, total: 4, top1: 0.75 });
  assert.deepEqual(mergeConfusions([{ rain: { rain: 2 } }, null, { rain: { haze: 1 }, noise: { rain: 1 } }]), { rain: { rain: 2, haze: 1 }, noise: { rain: 1 } });
});

test('an OH run with the fake model runner gives a table and JSON with accuracy and confusion matrix', { skip: dataSkip }, async () => {
  // the fake estimator always says rain > haze > noise
  const runner = createFakeRunner({ classes: ['rain', 'haze', 'noise'], probabilities: [0.8, 0.4, 0.1], strengths: [0.5, 0.5, 0.5] });
  const json = path.join(dir, 'oh.json');
  let out = '';
  const report = await runEvalCommand(
    { suite: 'derain,denoise', mode: 'oh', limit: 2, json, progress: false },
    { runner, stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } },
  );
  assert.ok(report);
  assert.match(out, /### Suite `derain`/);
  assert.match(out, /\| Rain100H \| real pairs \| 2 of 100 \| [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \| [+−][\d.]+ \/ [+−][\d.]+ \|/);
  assert.match(out, /Mode: OH/);
  assert.match(out, /Estimator top-1 accuracy \(argmax is a true class\): 100\.0 % \(4\/4\)/); // derain: all rain
  assert.match(out, /Estimator top-1 accuracy \(argmax is a true class\): 0\.0 % \(0\/6\)/); // denoise: never noise
  assert.match(out, /\| true ↓ \/ predicted → \| rain \|/);

  const saved = JSON.parse(await fs.readFile(json, 'utf8')) as EvalReport;
  assert.equal(saved.format, 'abair-eval');
  assert.equal(saved.mode, 'oh');
  assert.deepEqual(saved.accuracy, { correct: 4, total: 10, top1: 0.4 });
  assert.deepEqual(saved.confusion, { rain: { rain: 4 }, noise: { rain: 6 } });
  const rain = saved.suites[0]!.datasets[0]!;
  assert.equal(rain.perImage.length, 2);
  const first = rain.perImage[0]!;
  assert.equal(first.predicted, 'rain');
  assert.equal(first.restoreMode, 'oh');
  assert.deepEqual(first.adapterWeights, { rain: 1, haze: 0, noise: 0 });
  assert.ok(first.output.psnr !== first.input.psnr, 'the fake model runner changes the image');
  assert.ok(typeof first.output.ssimUniform7 === 'number');
  assert.ok(rain.secondsPerMegapixel! > 0);
  // every prepare() got the OH weights
  assert.ok(runner.prepared.every((w) => Array.from(w).join() === '1,0,0'));
});

test('oracle mode restores with the true adapter and skips datasets the model has no adapter for', { skip: dataSkip }, async () => {
  const runner = createFakeRunner({ classes: ['rain', 'haze'], probabilities: [0.2, 0.9] });
  const restorer = createRestorer({ runner });
  const report = await runEvaluation({
    suites: ['derain', 'unseen'],
    dataRoot: bench,
    mode: 'oracle',
    restorer,
    model: { kind: 'injected', label: 'fake' },
    limit: 1,
    datasetFilter: (d) => d.id === 'Rain100L_sample' || d.id === 'LIVE1-jpeg-q20',
  });
  const [rain, jpeg] = [report.suites[0]!.datasets[0]!, report.suites[1]!.datasets[0]!];
  assert.equal(rain.perImage[0]!.restoreMode, 'adapter:rain');
  assert.deepEqual(rain.perImage[0]!.adapterWeights, { rain: 1, haze: 0 });
  assert.equal(rain.perImage[0]!.predicted, 'haze', 'accuracy is the estimator\'s, whatever the mode');
  assert.deepEqual(rain.accuracy, { correct: 0, total: 1, top1: 0 });
  assert.equal(jpeg.images, 0);
  assert.match(jpeg.skipped!, /no jpeg adapter/);
});

test('results document: tables plus the provenance of the weights configs', { skip: dataSkip }, async () => {
  const weights = path.join(dir, 'weights');
  await fs.mkdir(weights);
  await fs.writeFile(path.join(weights, 'backbone.json'), JSON.stringify({ format: 'abair-weights', version: 1, kind: 'backbone', provenance: { steps: 3000, cpuHours: 2.5 } }));
  await fs.writeFile(path.join(weights, 'notes.json'), '{"something": "else"}');
  const model = await describeWeightsDir(weights);
  assert.deepEqual(model.provenance, { 'backbone.json': { steps: 3000, cpuHours: 2.5 } });
  const report = await runEvaluation({ suites: ['dehaze'], dataRoot: bench, mode: 'identity', model, limit: 1 });
  const md = renderResultsMarkdown([{ kind: 'eval', file: '/x/identity.json', report }], 'abair eval --results-md docs/results.md --json-in identity.json');
  assert.match(md, /^# Results/);
  assert.match(md, /Generated by `abair eval --results-md docs\/results.md --json-in identity.json`/);
  assert.match(md, /`backbone.json` provenance \(data, steps, compute\): steps=3000, cpuHours=2.5/);
  assert.match(md, /\| SOTS-outdoor \(sample\) \| real pairs, sample \| 1 of 2 \|/);
  assert.match(md, /\| Kodak24 haze \| synthetic \(ours\) \| 1 of 24 \|/);
});
