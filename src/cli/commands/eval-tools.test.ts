import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../run-cli.js';
import { EVAL_FORMAT, EVAL_VERSION, type EvalReport } from '../../eval/report.js';
import { README_TABLE_END, README_TABLE_START, renderReadmeTable } from '../../eval/readme-table.js';
import { readEvalReport } from '../../eval/results-md.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-eval-tools-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const scores = (psnr: number) => ({ psnr, ssim: 0.5, ssimUniform7: 0.5 });

/** A minimal eval report: one suite with datasets given as [id, input, output, hashes]. */
function report(datasets: [string, number, number, string[]][]): EvalReport {
  return {
    format: EVAL_FORMAT, version: EVAL_VERSION, createdAt: '2026-01-02T03:04:05Z', abairVersion: '0.1.0',
    protocol: { space: 'rgb', cropMultiple: 16, seedRule: 'degradation of each image seeded by Rng(…)' } as EvalReport['protocol'],
    mode: 'sw', model: { kind: 'weights', label: 'x', provenance: { 'backbone.json': { steps: 10, cpuHours: 1.25 }, 'lora-rain.json': { steps: 5, cpuHours: 0.5 } } },
    quick: false, limit: null, dataRoot: 'bench', accuracy: null, confusion: null, wallSeconds: 1,
    suites: [{
      name: 'derain', mean: { input: scores(10), output: scores(20) }, accuracy: null, confusion: null,
      datasets: datasets.map(([id, input, output, hashes]) => ({
        id, label: id, folder: id, source: 'real', sample: false, truth: ['rain'], note: '', available: hashes.length, images: hashes.length, skipped: null,
        mean: { input: scores(input), output: scores(output) }, accuracy: { correct: 1, total: hashes.length, top1: 1 / hashes.length }, confusion: { rain: { rain: 1, snow: hashes.length - 1 } }, secondsPerMegapixel: null,
        perImage: hashes.map((h, i) => ({ name: `${i}.png`, outputSha256: h }) as EvalReport['suites'][number]['datasets'][number]['perImage'][number]),
      })),
    }],
  } as EvalReport;
}

async function write(name: string, r: EvalReport): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, JSON.stringify(r));
  return file;
}

test('eval compare: dataset means side by side, labels, decimals and the estimator\'s picks', async () => {
  const a = await write('a.json', report([['Rain100H', 12.125, 13.7364, ['x', 'y']]]));
  const b = await write('b.json', report([['Rain100H', 12.125, 14.2, ['x', 'z']], ['Other', 1, 2, ['q']]]));
  const run = await runCli(['eval', 'compare', a, `new=${b}`, '--decimals', '3', '--confusion']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^\| dataset \| input \| a \(top-1\) \| new \(top-1\) \|/);
  assert.match(run.stdout, /\| derain\/Rain100H \| 12\.13 \| 13\.736 \(1\/2\) \| 14\.200 \(1\/2\) \|/);
  assert.match(run.stdout, /\| derain\/Other \| 1\.00 \| — \| 2\.000 \(1\/1\) \|/, 'a dataset one report lacks gets a dash');
  assert.match(run.stdout, /\*\*derain mean\*\* \| 10\.00 \| \*\*20\.0000\*\*/);
  assert.match(run.stdout, /- derain\/Rain100H: a: rain 1, snow 1; new: rain 1, snow 1/);
});

test('eval compare --outputs: exit 0 only when every image hash matches', async () => {
  const a = await write('o1.json', report([['Rain100H', 1, 2, ['h1', 'h2']]]));
  const same = await write('o2.json', report([['Rain100H', 1, 2, ['h1', 'h2']]]));
  const other = await write('o3.json', report([['Rain100H', 1, 2, ['h1', 'changed']]]));
  const ok = await runCli(['eval', 'compare', '--outputs', a, same]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /derain\/Rain100H: 2\/2 images byte-identical\nin all: 2\/2/);
  const bad = await runCli(['eval', 'compare', '--outputs', a, other]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /1\/2 images byte-identical \(differ or missing: 1\.png\)/);
  assert.match(bad.stderr, /^abair: 1 of 2 images differ/);
});

test('eval compare: bad usage exits 2, a bad file 1, each with one line', async () => {
  const a = await write('u.json', report([['Rain100H', 1, 2, ['h']]]));
  for (const args of [['eval', 'compare', a], ['eval', 'compare', a, a, '--decimals', '9'], ['eval', 'compare', '--outputs', a, a, a], ['eval', 'compare', a, a, '--datasets', 'x/y']]) {
    const run = await runCli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
  }
  await fs.writeFile(path.join(dir, 'not-eval.json'), '{"format":"other"}');
  const run = await runCli(['eval', 'compare', a, path.join(dir, 'not-eval.json')]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /not-eval\.json: not an abair eval result/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('eval readme-table rewrites only the marked block, --check tells a stale one, no markers is refused', async () => {
  const rows = [{ label: 'Rain100H', key: 'derain/Rain100H', from: 'sw' as const, paper: { psnr: 19.37, where: 'T3' } }];
  const r = report([['Rain100H', 12.125, 13.7364, ['x', 'y']]]);
  const block = renderReadmeTable(r, r, rows);
  assert.match(block, /\| Rain100H \| real pairs \| 2 \| 12\.13 \| 13\.74 \| 19\.37 \(T3\) \|/);
  assert.match(block, /2 test images/);
  assert.match(block, /Compute: 1\.8 CPU-hours/);
  assert.match(block, /backbone 10 steps, adapters rain 5/);

  // the real table: the committed README holds exactly what the committed eval records give
  const readme = path.join(dir, 'README.md');
  await fs.writeFile(readme, `# t\n\nbefore\n${README_TABLE_START}\nold\n${README_TABLE_END}\nafter\n`);
  const sw = path.join(repo, 'docs', 'eval', 'model-sw-all.json');
  const zs = path.join(repo, 'docs', 'eval', 'model-5class-unseen-sw.json');
  const stale = await runCli(['eval', 'readme-table', '--readme', readme, '--sw', sw, '--zero-shot', zs, '--check']);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /not the one/);
  const run = await runCli(['eval', 'readme-table', '--readme', readme, '--sw', sw, '--zero-shot', zs]);
  assert.equal(run.code, 0, run.stderr);
  const text = await fs.readFile(readme, 'utf8');
  assert.ok(text.startsWith('# t\n\nbefore\n') && text.endsWith(`${README_TABLE_END}\nafter\n`));
  assert.equal(text, `# t\n\nbefore\n${renderReadmeTable(await readEvalReport(sw), await readEvalReport(zs))}\nafter\n`);
  const shipped = await runCli(['eval', 'readme-table', '--readme', path.join(repo, 'README.md'), '--sw', sw, '--zero-shot', zs, '--check']);
  assert.equal(shipped.code, 0, `README.md's results table is stale: ${shipped.stderr}`);

  await fs.writeFile(readme, '# no block\n');
  const none = await runCli(['eval', 'readme-table', '--readme', readme, '--sw', sw, '--zero-shot', zs]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no results-table block/);
});
