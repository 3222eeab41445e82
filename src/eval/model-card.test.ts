import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/run-cli.js';
import { loraTargets, modelSpecs } from '../model/backbone.js';
import { presetConfig } from '../model/config.js';
import { estimatorConfig, estimatorSpecs } from '../model/estimator.js';
import { loraSpecs } from '../model/lora.js';
import { summarizeWeights } from '../model/summary.js';
import { hostWeights, saveAdapter, saveBackbone, saveEstimator, type Provenance } from '../model/weights.js';
import type { ParamSpec } from '../model/params.js';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { readModelCardInputs, renderModelCard } from './model-card.js';
import { EVAL_FORMAT, EVAL_VERSION, type DatasetResult, type EvalReport } from './report.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-card-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

/** Small deterministic values: the card reads only the sidecars, so the numbers do not matter. */
const values = (specs: readonly ParamSpec[]) => hostWeights(Object.fromEntries(specs.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(0.01)])), specs);

const machine = { cpu: 'Test CPU', cores: 4 };
const model = path.join(dir, 'model');
const config = presetConfig('tiny');
await saveBackbone(model, config, values(modelSpecs(config)), {
  preset: 'tiny',
  provenance: { command: 'abair train pretrain --preset tiny --steps 40', phase: 'pretrain', steps: 40, batch: 4, patchesSeen: 160, wallSec: 7200, cpuHours: 1.25, machine, createdAt: '2026-01-02T03:04:05.000Z', images: ['photos'], segClasses: ['rain', 'haze'], validation: { psnr: 21.5, inputPsnr: 18 } },
});
const adapterProvenance: Record<string, Provenance> = {
  rain: { command: 'abair train adapter --name rain --synthetic rain', phase: 'adapter', steps: 20, batch: 2, patchesSeen: 40, wallSec: 1800, cpuHours: 0.5, machine, createdAt: '2026-01-03T00:00:00.000Z', images: ['photos'], synthetic: ['rain'] },
  // a run that recorded almost nothing: every missing field prints as a dash
  haze: { phase: 'adapter' },
};
for (const name of ['rain', 'haze']) {
  const adapter = { name, rank: name === 'rain' ? 2 : 4, alpha: 2, targets: loraTargets(config).map((t) => t.layer) };
  const specs = loraSpecs(adapter, loraTargets(config));
  await saveAdapter(model, { config: adapter, params: values(specs) }, config, adapterProvenance[name]);
}
const est = { ...estimatorConfig(['rain', 'haze'], { inputSize: 16, widths: [4, 8] }), swExponent: 2 };
await saveEstimator(model, est, values(estimatorSpecs(est)), { command: 'abair train estimator --model m --from m', phase: 'estimator', steps: 10, cpuHours: 0.125, validation: { accuracy: 0.75, bce: 0.3 } });

function dataset(id: string, inPsnr: number, outPsnr: number, extra: Partial<DatasetResult> = {}): DatasetResult {
  const scores = (psnr: number) => ({ psnr, ssim: 0.5, ssimUniform7: 0.5 });
  return {
    id, label: id, folder: id, source: 'synthetic', sample: false, truth: ['rain'], note: '', available: 3, images: 3, skipped: null,
    mean: { input: scores(inPsnr), output: scores(outPsnr) }, accuracy: null, confusion: null, secondsPerMegapixel: 1, perImage: [], ...extra,
  };
}

const image = (name: string, psnr: number) => ({
  name, width: 16, height: 16, seed: null, params: null, input: { psnr: 100, ssim: 1, ssimUniform7: 1 }, output: { psnr, ssim: 0.9, ssimUniform7: 0.9 },
  restoreMode: 'sw', probabilities: null, adapterWeights: null, predicted: null, correct: null, restoreSeconds: 0.1,
});

const report: EvalReport = {
  format: EVAL_FORMAT, version: EVAL_VERSION, createdAt: '2026-02-01T00:00:00.000Z', abairVersion: '9.9.9',
  protocol: { space: 'rgb', cropMultiple: 16, ssimWindow: 'gaussian', alsoReported: 'ssimUniform7', quantisation: '8 bits', seedRule: 'seeded', psnrCapDb: 100, severity: 0.5, description: 'test protocol' },
  mode: 'sw', keepClean: true,
  model: { kind: 'weights', label: 'weights under test' },
  quick: false, limit: null, dataRoot: 'bench',
  suites: [
    {
      name: 'synthetic',
      datasets: [
        dataset('set-barely', 20, 20.3, { accuracy: { correct: 1, total: 3, top1: 1 / 3 } }),
        dataset('set-helps', 20, 20.5, { accuracy: { correct: 3, total: 3, top1: 1 } }),
        dataset('set-worse', 25, 24.2),
      ],
      mean: null,
      accuracy: { correct: 4, total: 6, top1: 4 / 6 },
      confusion: null,
    },
    {
      name: 'clean',
      datasets: [dataset('photos-clean', 100, 31, { source: 'none', truth: [], perImage: [image('good', 35), image('bad', 27)] })],
      mean: null,
      accuracy: null,
      confusion: null,
    },
  ],
  accuracy: { correct: 4, total: 6, top1: 4 / 6 }, confusion: null, wallSeconds: 1,
};
const evalFile = path.join(dir, 'sw.json');
await fs.writeFile(evalFile, JSON.stringify(report));
const recipeFile = path.join(packageRoot, 'recipes', 'default.json');

/** The body rows (cells trimmed) of the first markdown table after `heading`. */
function tableRows(card: string, heading: string): string[][] {
  const lines = card.slice(card.indexOf(heading)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start + 2, end).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

test('a card of a small model: sections, parameters, compute total, results and limits by the stated rules', async () => {
  const card = renderModelCard(await readModelCardInputs(model, { evals: [evalFile], recipe: recipeFile }), 'abair model card m --eval sw.json');
  for (const heading of ['## Model', '## Data', '## Recipe', '## Compute', '## Results', '## Known limits']) assert.ok(card.includes(`\n${heading}\n`), heading);
  assert.match(card, /^# Model card: .*\n\n<!-- Generated by `abair model card m --eval sw\.json`\. Do not edit by hand: rerun the command\. -->\n/);
  assert.match(card, /Generated by `abair model card m --eval sw\.json`.*Do not edit by hand/);

  // parameters: the numbers model info has
  const s = await summarizeWeights(model);
  assert.ok(card.includes(`| backbone | | | | ${s.params.backbone!.toLocaleString('en-US')} |`));
  assert.ok(card.includes(`| adapter haze | 4 | 2 | ${loraTargets(config).length} | ${s.params.adapters['haze']!.toLocaleString('en-US')} |`));
  assert.ok(card.includes(`| **total** | | | | ${s.params.total.toLocaleString('en-US')} |`));
  assert.match(card, /preset `tiny`/);
  assert.match(card, /SW weights ∝ odds\^2 \(swExponent 2\); keep-clean off/);

  // data and recipe
  assert.match(card, /training images `photos` .*: backbone, lora-rain\n/);
  assert.match(card, /no image folders recorded for: lora-haze, estimator/);
  assert.match(card, /  - lora-haze: —\n  - lora-rain: synthetic rain\n/);
  assert.match(card, /recipe \*\*default\*\*/);
  assert.match(card, /\| 3\.3 \| adapter-noise \| train adapter \| 1500 → 3000 → 4500 \|/);
  assert.match(card, /- lora-haze: —\n- lora-rain: `abair train adapter --name rain --synthetic rain`\n/);

  // compute: one row per part, missing fields as dashes, the total is the sum of the rows
  const rows = tableRows(card, '## Compute');
  assert.deepEqual(rows.map((r) => r[0]), ['backbone', 'lora-haze', 'lora-rain', 'estimator', '**total**']);
  assert.deepEqual(rows[1], ['lora-haze', 'adapter', '—', '—', '—', '—', '—', '—', '—', '—']);
  assert.deepEqual(rows[0]!.slice(1), ['pretrain', '40', '4', '160', '1.250', '2.00', 'Test CPU, 4 cores', '2026-01-02', 'PSNR 18.00 → 21.50 dB']);
  const sum = rows.slice(0, -1).reduce((a, r) => a + (r[5] === '—' ? 0 : Number(r[5])), 0);
  assert.equal(Number(rows.at(-1)![5]), sum);
  assert.equal(sum, 1.875);
  assert.match(card, /No CPU-hours recorded for lora-haze: counted as 0 in the total\./);
  assert.match(card, /estimator started from earlier weights/);
  assert.match(card, /\| estimator \| estimator \| 10 \| — \| — \| 0\.125 \| — \| — \| — \| top-1 75\.0 %, BCE 0\.300 \|/);

  // results: one table, Δ per dataset, mode and keep-clean stated
  assert.match(card, /### `sw\.json`: mode SW\n\nMode SW .*; keep-clean on; model: weights under test\./);
  assert.match(card, /\| synthetic \| set-worse \| 3 \| 25\.00 \/ 0\.5000 \| 24\.20 \/ 0\.5000 \| −0\.80 \|/);
  assert.match(card, /Protocol of every result: test protocol\./);

  // limits: Δ < 0.5 dB is listed, Δ ≥ 0.5 dB is not; worse below 0; clean photos with the worst image; accuracy
  const limits = card.slice(card.indexOf('## Known limits'));
  assert.match(limits, /- barely changes: set-barely \(suite synthetic, 3 images\): Δ \+0\.30 dB/);
  assert.match(limits, /- makes it worse: set-worse \(suite synthetic, 3 images\): Δ −0\.80 dB/);
  assert.doesNotMatch(limits, /set-helps/);
  assert.match(limits, /- clean photos changed: photos-clean .*: output 31\.00 dB PSNR .* worst image `bad` at 27\.00 dB/);
  assert.match(limits, /estimator top-1 accuracy per suite: synthetic 66\.7 % \(4\/6\)/);
  assert.match(limits, /- estimator often wrong: set-barely \(suite synthetic\): top-1 33\.3 % \(1\/3\)/);
});

test('without results or a recipe the card says so; the shipped model\'s total is the sum of its sidecars', async () => {
  const bare = renderModelCard(await readModelCardInputs(model), 'abair model card m');
  assert.match(bare, /No recipe given \(`--recipe`\)\./);
  assert.match(bare, /No evaluation results given \(`--eval`\)/);

  const shipped = path.join(packageRoot, 'weights', 'default');
  const card = renderModelCard(await readModelCardInputs(shipped), 'abair model card weights/default');
  let expected = 0;
  for (const f of (await fs.readdir(shipped)).filter((n) => n.endsWith('.json'))) {
    const p = (JSON.parse(await fs.readFile(path.join(shipped, f), 'utf8')) as { provenance?: { cpuHours?: number } }).provenance;
    if (typeof p?.cpuHours === 'number') expected += p.cpuHours;
  }
  assert.ok(expected > 0);
  assert.equal(Number(tableRows(card, '## Compute').at(-1)![5]), Number(expected.toFixed(3)));
});

test('bad inputs are one-line UserErrors naming the file', async () => {
  const notJson = path.join(dir, 'broken.json');
  await fs.writeFile(notJson, '{ nope');
  const oneLine = (pattern: RegExp) => (err: unknown) => err instanceof UserError && pattern.test(err.message) && !err.message.includes('\n');
  await assert.rejects(readModelCardInputs(path.join(dir, 'missing')), oneLine(/missing: not found/));
  await assert.rejects(readModelCardInputs(model, { evals: [recipeFile] }), oneLine(/default\.json: not an abair eval result/));
  await assert.rejects(readModelCardInputs(model, { evals: [notJson] }), oneLine(/broken\.json: not valid JSON/));
  await assert.rejects(readModelCardInputs(model, { speed: evalFile }), oneLine(/sw\.json: not a bench:restore record/));
  await assert.rejects(readModelCardInputs(model, { recipe: evalFile }), oneLine(/sw\.json: not an abair recipe/));
  const hollow = path.join(dir, 'hollow.json');
  await fs.writeFile(hollow, JSON.stringify({ format: EVAL_FORMAT, version: EVAL_VERSION }));
  await assert.rejects(readModelCardInputs(model, { evals: [hollow] }), oneLine(/hollow\.json: an abair eval result without its suites/));
});

test('abair model card: a wrong --eval file exits 1 with one line and writes no --out file; a good run writes it', async () => {
  const out = path.join(dir, 'card.md');
  const bad = runCli(['model', 'card', model, '--eval', recipeFile, '--out', out]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^abair: .*default\.json: not an abair eval result \(write one with abair eval --json\)\n$/);
  assert.equal(existsSync(out), false);

  const good = runCli(['model', 'card', model, '--eval', evalFile, '--out', out]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /card\.md: model card written \(\d+ lines\)/);
  const text = await fs.readFile(out, 'utf8');
  assert.ok(text.includes(`Generated by \`abair model card ${model} --eval ${evalFile} --out ${out}\``));
  assert.deepEqual((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
});
