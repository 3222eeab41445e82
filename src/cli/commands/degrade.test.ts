import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImage, writeImage } from '../../io/image-io.js';
import { texturedImage } from '../../degrade/synthetic-images.js';
import { runCli } from '../run-cli.js';
import { main } from '../main.js';
import { labelsPath } from './degrade.js';

const dir = mkdtempSync(path.join(tmpdir(), 'abair-degrade-'));
const input = path.join(dir, 'in.png');
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `abair degrade …` in this process (a child process per case would cost ~1 s of CPU each),
 * capturing what main() prints and the exit code it sets.
 */
async function abair(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  // console only: patching process.stdout.write would also swallow the test runner's own report
  const saved = { log: console.log, error: console.error };
  console.log = (...a: unknown[]) => void out.push(a.join(' ') + '\n');
  console.error = (...a: unknown[]) => void err.push(a.join(' ') + '\n');
  process.exitCode = undefined;
  try {
    await main(['node', 'abair', 'degrade', ...args]);
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error });
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

test('setup: a small input image', async () => {
  await writeImage(input, texturedImage(48, 32, 4));
});

test('abair degrade --type noise+blur --params: writes the image, JSON params, reproducible', async () => {
  const out1 = path.join(dir, 'a.png');
  const out2 = path.join(dir, 'b.png');
  const r = await abair(input, '-o', out1, '--type', 'noise+blur', '--severity', '0.5', '--seed', '7', '--params');
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { seed: number; layers: { name: string; params: { sigma?: number } }[] };
  assert.equal(json.seed, 7);
  assert.deepEqual(json.layers.map((l) => l.name), ['blur', 'noise']);
  assert.equal(json.layers[1]!.params.sigma, 25);
  assert.equal((await abair(input, '-o', out2, '--type', 'blur+noise', '--severity', '0.5', '--seed', '7')).code, 0);
  assert.deepEqual(readFileSync(out1), readFileSync(out2));
  assert.equal((await abair(input, '-o', out1, '--type', 'noise')).code, 1, 'refuses to overwrite');
});

test('abair degrade --cutmix writes <stem>.labels.png and prints a legend', async () => {
  const out = path.join(dir, 'mix.png');
  const r = await abair(input, '-o', out, '--cutmix', '--classes', 'noise,blur,jpeg', '--seed', '3');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 noise .*#ff3fd2/);
  assert.match(r.stdout, /0 clean/);
  assert.equal(labelsPath(out), path.join(dir, 'mix.labels.png'));
  const labels = await readImage(labelsPath(out));
  assert.equal(labels.image.width, 48);
});

test('abair degrade --sheet draws a contact sheet', async () => {
  const out = path.join(dir, 'sheet.png');
  const r = await abair('--sheet', input, '-o', out, '--cell-width', '32');
  assert.equal(r.code, 0, r.stderr);
  const sheet = await readImage(out);
  assert.equal(sheet.image.width, 4 * 32 + 3 * 4);
});

test('bad usage exits 2 with a clear message', async () => {
  const out = path.join(dir, 'x.png');
  const bad = [
    [[input, '-o', out, '--type', 'fog'], /unknown degradation 'fog'; valid types: .*noise/],
    [[input, '-o', out, '--type', 'rain', '--severity', '1.5'], /--severity must be a number in \[0, 1\]/],
    [[input, '-o', out, '--type', 'rain', '--seed', 'abc'], /--seed must be an integer/],
    [[input, '-o', out], /choose exactly one of --type/],
    [[input, '-o', out, '--type', 'noise', '--classes', 'noise'], /--classes only applies with --cutmix/],
    [[input, '-o', out, '--cutmix', '--classes', 'noise,,blur'], /comma-separated/],
  ] as const;
  for (const [args, message] of bad) {
    const r = await abair(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('the real binary: abair degrade --help lists the types, exit 0', () => {
  const help = runCli(['degrade', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Types:\n[\s\S]*bitdepth/);
});
