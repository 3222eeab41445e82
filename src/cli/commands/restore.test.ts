import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { packageRoot, sharedDataDir } from '../../util/paths.js';
import { needsData } from '../../util/test-data.js';

const dataSkip = needsData('bench/Kodak24/target/kodim01.png');

const bin = path.join(packageRoot, 'bin', 'abair.js');

test('abair restore when the default model folder holds no model: one clear line, exit 1, nothing written', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-cli-restore-'));
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(path.join(dir, 'x.png'));
  const r = spawnSync(process.execPath, [bin, 'restore', 'x.png'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ABAIR_WEIGHTS: dir } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^abair: ABAIR_WEIGHTS=.*: no model there \(no backbone\.safetensors in .*\)\n$/);
  assert.deepEqual(readdirSync(dir), ['x.png']);
});

test('abair restore with the shipped default model: restores, explains, reports the probabilities', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-cli-restore-'));
  await sharp({ create: { width: 40, height: 24, channels: 3, background: '#3060a0' } }).png().toFile(path.join(dir, 'x.png'));
  const env = { ...process.env };
  delete env['ABAIR_WEIGHTS'];
  const r = spawnSync(process.execPath, [bin, 'restore', 'x.png', '--explain', '--no-progress'], { cwd: dir, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['x.explain.png', 'x.png', 'x.restored.png']);
  const meta = await sharp(path.join(dir, 'x.restored.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [40, 24]);
  // One "name probability" pair per class of the shipped estimator (and the input's share when keep-clean is on).
  assert.match(r.stdout + r.stderr, /\((\w+ \d\.\d\d, ){2,}\w+ \d\.\d\d(; kept \d+ % of the input \(keep-clean\))?\)/);

  // --keep-clean overrides the model's setting (on, with the shipped clean gate): p(clean) is printed
  // with the classes, and on says how much of the input it kept when it kept any; off keeps none.
  // The uniform image looks blurred to the estimator, so the gate keeps none of it either.
  const run = (flag: string) => spawnSync(process.execPath, [bin, 'restore', 'x.png', '-o', `${flag}.png`, '--keep-clean', flag, '--no-progress'], { cwd: dir, encoding: 'utf8', env });
  const [on, off] = [run('on'), run('off')];
  assert.equal(on.status, 0, on.stderr);
  // (the pairs are sorted by probability, so p(clean) may stand anywhere among them)
  assert.match(on.stdout, /[(,] clean \d\.\d\d[,;)]/);
  assert.match(on.stdout, /\d\.\d\d(; kept \d+ % of the input \(keep-clean\))?\)\n$/);
  assert.equal(off.status, 0, off.stderr);
  assert.doesNotMatch(off.stdout, /kept/);
  // the uniform image looks blurred to the estimator: no hint; a clean photo gets one, with the share
  assert.doesNotMatch(off.stderr, /sees little wrong/);
  // The keep-clean hint needs a real clean photo (a benchmark image): skipped without the shared data.
  if (dataSkip) t.diagnostic(`keep-clean hint on a clean photo not checked: ${dataSkip}`);
  else {
    const photo = path.join(sharedDataDir(), 'bench', 'Kodak24', 'target', 'kodim01.png');
    const clean = spawnSync(process.execPath, [bin, 'restore', photo, '-o', 'kodim01.png', '--keep-clean', 'off', '--tile', '256', '--no-progress'], { cwd: dir, encoding: 'utf8', env });
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stderr, /^abair: note: the estimator sees little wrong with .*kodim01\.png; --keep-clean on would keep \d+ % of the input\n$/);
    // by default (the shipped model's keep-clean on) the clean photo is kept, nearly whole
    const kept = spawnSync(process.execPath, [bin, 'restore', photo, '-o', 'kodim01-default.png', '--tile', '256', '--no-progress'], { cwd: dir, encoding: 'utf8', env });
    assert.equal(kept.status, 0, kept.stderr);
    const share = /; kept (\d+) % of the input \(keep-clean\)\)/.exec(kept.stdout);
    assert.ok(share && Number(share[1]) >= 90, kept.stdout);
  }
  const bad = run('maybe');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--keep-clean.*maybe.*on, off|Allowed choices are on, off/);
});

test('abair restore usage errors exit 2', () => {
  const r = spawnSync(process.execPath, [bin, 'restore', 'a.png', 'b.png', '-o', 'c.png'], { cwd: tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /-o\/--output needs exactly one input/);
  const help = spawnSync(process.execPath, [bin, 'restore', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--explain/);
  assert.match(help.stdout, /--runtime <name>/);
  assert.doesNotMatch(help.stdout, /--engine|--backend|TensorFlow/);
});

test('abair restore: --tile below the minimum and --quality out of range are refused with one line, exit 2', () => {
  for (const [flag, value, pattern] of [
    ['--tile', '32', /--tile must be an integer >= 64 \(smaller tiles cannot hold the 32-pixel overlap on both sides\)/],
    ['--quality', '0', /--quality must be an integer from 1 to 100/],
    ['--quality', 'high', /--quality must be an integer from 1 to 100/],
    ['--progress', 'loud', /Allowed choices are auto, lines, silent/],
    ['--runtime', 'tfjs', /Allowed choices are node, wasm/],
    ['--engine', 'onnx', /unknown option '--engine'/],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, 'restore', 'x.png', flag, value], { cwd: tmpdir(), encoding: 'utf8' });
    assert.equal(r.status, 2, `${flag} ${value}`);
    assert.match(r.stderr.split('\n')[0]!, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('abair restore into a closed pipe (| head -1) stops quietly: no EPIPE trace, exit 0, no temp files', async (t) => {
  const bash = spawnSync('bash', ['-c', 'echo ok'], { encoding: 'utf8' });
  if (bash.status !== 0) {
    t.skip('needs bash for the pipeline');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-cli-pipe-'));
  const names = ['a.png', 'b.png', 'c.png', 'd.png'];
  for (const name of names) await sharp({ create: { width: 16, height: 16, channels: 3, background: '#406080' } }).png().toFile(path.join(dir, name));
  const env = { ...process.env };
  delete env['ABAIR_WEIGHTS'];
  for (const [args, redirect] of [
    ['--json --progress silent', '2>err.txt'],
    ['--progress lines', '2>&1'],
  ] as const) {
    const script = `"${process.execPath}" "${bin}" restore ${names.join(' ')} --out-dir out-${redirect.length} ${args} ${redirect} | head -1; exit \${PIPESTATUS[0]}`;
    const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env });
    assert.equal(r.status, 0, `${args}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
    const err = redirect === '2>err.txt' ? readFileSync(path.join(dir, 'err.txt'), 'utf8') : r.stderr;
    assert.doesNotMatch(err, /EPIPE|Error|\n\s+at /, err);
    assert.deepEqual(readdirSync(path.join(dir, `out-${redirect.length}`)).filter((f) => f.endsWith('.tmp')), []);
  }
});
