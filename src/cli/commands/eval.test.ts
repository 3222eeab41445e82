import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../run-cli.js';
import { needsData } from '../../util/test-data.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-eval-cli-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

async function abair(...args: string[]) {
  return runCli(args);
}

test('--help explains suites, protocol and modes', async () => {
  const run = await abair('eval', '--help');
  assert.equal(run.code, 0);
  for (const word of ['--suite', '--identity', '--results-md', 'denoise', 'Rain100H', 'multiple of 16', 'oracle', 'Examples']) assert.ok(run.stdout.includes(word), word);
});

test('usage errors exit 2 with one line', async () => {
  for (const args of [['eval'], ['eval', '--suite', 'deblur'], ['eval', '--suite', 'derain', '--identity', '--weights', 'w'], ['eval', '--json-in', 'a.json'], ['eval', '--suite', 'derain', '--mode', 'max']]) {
    const run = await abair(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
  }
});

test('without a model in the default folder eval fails with one clear line (exit 1)', async () => {
  const saved = process.env['ABAIR_WEIGHTS'];
  process.env['ABAIR_WEIGHTS'] = dir;
  try {
    const run = await abair('eval', '--suite', 'derain', '--limit', '1', '--no-progress');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^abair: ABAIR_WEIGHTS=.*: no model there/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  } finally {
    if (saved === undefined) delete process.env['ABAIR_WEIGHTS'];
    else process.env['ABAIR_WEIGHTS'] = saved;
  }
});

// --suite derain reads the Rain100 benchmark sets.
test('identity run writes JSON, and --results-md turns it into the results document', { skip: needsData('bench/Rain100H', 'bench/Rain100L_sample') }, async () => {
  const json = path.join(dir, 'identity.json');
  const run = await abair('eval', '--suite', 'derain', '--limit', '1', '--identity', '--no-progress', '--json', json);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /\| Rain100H \| real pairs \| 1 of 100 \| 15\.28 \/ 0\.3780 \| 15\.28 \/ 0\.3780 \| \+0\.00 \/ \+0\.0000 \|/);
  const md = path.join(dir, 'docs', 'results.md');
  const doc = await abair('eval', '--results-md', md, '--json-in', json);
  assert.equal(doc.code, 0, doc.stderr);
  const text = await fs.readFile(md, 'utf8');
  assert.match(text, /Identity baseline/);
  assert.match(text, /\| Rain100H \| real pairs \| 1 of 100 \| 15\.28 \/ 0\.3780 \|/);
  const bad = await abair('eval', '--results-md', md, '--json-in', path.join(dir, 'missing.json'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /missing\.json: file not found/);
});

test('a report on $ABAIR_WEIGHTS names that folder, not the shipped model', async () => {
  const { describeDefaultModel } = await import('./eval.js');
  const saved = process.env['ABAIR_WEIGHTS'];
  try {
    delete process.env['ABAIR_WEIGHTS'];
    const shipped = await describeDefaultModel();
    assert.equal(shipped.label, 'default model shipped with abair (weights/default)');
    process.env['ABAIR_WEIGHTS'] = dir;
    const other = await describeDefaultModel();
    assert.equal(other.label, `default model from ABAIR_WEIGHTS (${path.resolve(dir)})`);
    assert.doesNotMatch(other.label, /shipped/);
  } finally {
    if (saved === undefined) delete process.env['ABAIR_WEIGHTS'];
    else process.env['ABAIR_WEIGHTS'] = saved;
  }
});
