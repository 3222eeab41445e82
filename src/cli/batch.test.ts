import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readImage } from '../io/image-io.js';
import { UsageError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { outputPathsFor, runRestore, type RestoreCommandOptions } from './batch.js';
import { createFakeRunner } from '../restore/fake-runner.js';
import { runRestoreFake } from './run-cli.js';


function noise(n: number, seed: number): Buffer {
  const rng = new Rng(seed);
  return Buffer.from(Uint8Array.from({ length: n }, () => rng.int(256)));
}

async function writePng(file: string, width: number, height: number, channels: 1 | 3 | 4, seed: number): Promise<void> {
  await sharp(noise(width * height * channels, seed), { raw: { width, height, channels } }).png().toFile(file);
}

function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'abair-restore-'));
}

const run = runRestoreFake;

test('folder batch: a corrupt file is reported, the others are written, exit code 1', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 40, 30, 4, 1);
  await sharp(noise(33 * 21 * 3, 2), { raw: { width: 33, height: 21, channels: 3 } }).jpeg().toFile(path.join(dir, 'b.jpg'));
  await writePng(path.join(dir, 'gray.png'), 17, 9, 1, 3);
  writeFileSync(path.join(dir, 'bad.png'), 'this is not a png');
  writeFileSync(path.join(dir, 'notes.txt'), 'ignored: not an image');
  const r = await run([dir]);
  assert.equal(r.exitCode, 1);
  assert.deepEqual(r.failed, [path.join(dir, 'bad.png')]);
  assert.deepEqual(r.written.map((f) => path.basename(f)).sort(), ['a.restored.png', 'b.restored.jpg', 'gray.restored.png']);
  assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('abair:')).length, 1);
  assert.match(r.stderr, /abair: .*bad\.png/);
  assert.match(r.stdout, /a\.png -> .*a\.restored\.png {2}\(rain 0\.80, haze 0\.40, noise 0\.10\)/);
  // alpha survives, size is kept, gray became RGB
  const a = await readImage(path.join(dir, 'a.restored.png'));
  const original = await readImage(path.join(dir, 'a.png'));
  assert.deepEqual([a.image.width, a.image.height], [40, 30]);
  assert.deepEqual(a.alpha, original.alpha);
  const g = await readImage(path.join(dir, 'gray.restored.png'));
  assert.deepEqual([g.image.width, g.image.height, g.info.channels], [17, 9, 3]);
  // running again on the folder does not pick up its own outputs, and refuses to replace them
  const again = await run([dir]);
  assert.equal(again.written.length, 0);
  assert.equal(again.failed.length, 4);
  assert.match(again.stderr, /already exists \(use --overwrite/);
});

test('existing output is refused (file unchanged) unless --overwrite', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'x.png');
  const target = path.join(dir, 'x.restored.png');
  await writePng(input, 20, 20, 3, 4);
  writeFileSync(target, 'old contents');
  const refused = await run([input]);
  assert.equal(refused.exitCode, 1);
  assert.equal(readFileSync(target, 'utf8'), 'old contents');
  const replaced = await run([input], { overwrite: true });
  assert.equal(replaced.exitCode, 0);
  assert.equal((await readImage(target)).image.width, 20);
});

test('an input is never overwritten, even with --overwrite', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'y.png');
  await writePng(input, 12, 12, 3, 5);
  const before = readFileSync(input);
  const r = await run([input], { output: input, overwrite: true });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /it is one of the inputs/);
  assert.deepEqual(readFileSync(input), before);
});

test('-o with --explain writes the result and the sheet and prints sorted probabilities', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'rainy.png');
  await writePng(input, 45, 30, 3, 6);
  const out = path.join(dir, 'clean.webp');
  const r = await run([input], { output: out, explain: true });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.written, [out, path.join(dir, 'clean.explain.png')]);
  assert.match(r.stdout, /\(rain 0\.80, haze 0\.40, noise 0\.10\)/);
  const sheet = await readImage(path.join(dir, 'clean.explain.png'));
  assert.ok(sheet.image.width > 3 * 512 && sheet.image.height > 512 * (30 / 45)); // three panels + legend
  assert.equal((await readImage(out)).info.format, 'webp');
});

test('usage errors: -o with several inputs, bad mode, bad format, -o with --out-dir; nothing written', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'p.png'), 8, 8, 3, 7);
  await writePng(path.join(dir, 'q.png'), 8, 8, 3, 8);
  await assert.rejects(run([path.join(dir, 'p.png'), path.join(dir, 'q.png')], { output: path.join(dir, 'o.png') }), UsageError);
  await assert.rejects(run([dir], { output: path.join(dir, 'o.png') }), UsageError);
  await assert.rejects(run([dir], { mode: 'adaptive' }), UsageError);
  await assert.rejects(run([dir], { format: 'gif' }), UsageError);
  await assert.rejects(run([dir], { output: path.join(dir, 'o.png'), outDir: dir }), UsageError);
  await assert.rejects(run([dir], { tile: 16, overlap: 9 }), UsageError);
  assert.deepEqual(readdirSync(dir).sort(), ['p.png', 'q.png']);
});

test('globs, --out-dir and --format; unmatched patterns are reported', async () => {
  const dir = freshDir();
  mkdirSync(path.join(dir, 'in'));
  await writePng(path.join(dir, 'in', 'one.png'), 10, 10, 3, 9);
  await writePng(path.join(dir, 'in', 'two.png'), 10, 10, 3, 10);
  await writePng(path.join(dir, 'in', 'three.png'), 10, 10, 3, 11);
  const outDir = path.join(dir, 'out');
  const r = await run([path.join(dir, 'in', 't*.png'), path.join(dir, 'in', 'none-*.png')], { outDir, format: 'jpg' });
  assert.equal(r.exitCode, 1);
  assert.deepEqual(readdirSync(outDir).sort(), ['three.restored.jpg', 'two.restored.jpg']);
  assert.match(r.stderr, /none-\*\.png: no images match/);
});

test('two inputs with the same name into one --out-dir: the second is refused, not silently merged', async () => {
  const dir = freshDir();
  mkdirSync(path.join(dir, 'a'));
  mkdirSync(path.join(dir, 'b'));
  await writePng(path.join(dir, 'a', 'same.png'), 8, 8, 3, 12);
  await writePng(path.join(dir, 'b', 'same.png'), 8, 8, 3, 13);
  const r = await run([path.join(dir, 'a', 'same.png'), path.join(dir, 'b', 'same.png')], { outDir: path.join(dir, 'out'), overwrite: true });
  assert.equal(r.exitCode, 1);
  assert.equal(r.written.length, 1);
  assert.match(r.stderr, /another input of this run/);
});

test('abort stops the batch; the interrupted image is not written', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'big.png'), 64, 64, 3, 14);
  const controller = new AbortController();
  setImmediate(() => controller.abort());
  await assert.rejects(run([path.join(dir, 'big.png')], {}, controller.signal), (e: Error) => e.name === 'AbortError');
  assert.equal(existsSync(path.join(dir, 'big.restored.png')), false);
  assert.deepEqual(readdirSync(dir), ['big.png']); // no temp files left either
});

test('output naming', () => {
  assert.deepEqual(outputPathsFor('d/photo.gif', {}), { output: path.join('d', 'photo.restored.png'), explain: path.join('d', 'photo.explain.png') });
  assert.equal(outputPathsFor('d/photo.tif', {}).output, path.join('d', 'photo.restored.tif'));
  assert.equal(outputPathsFor('d/photo.JPG', {}).output, path.join('d', 'photo.restored.jpg'));
  assert.equal(outputPathsFor('d/photo.jpg', { outDir: 'o', format: 'webp' }).output, path.join('o', 'photo.restored.webp'));
  assert.equal(outputPathsFor('d/photo.jpg', { output: 'x/r.restored.png' }).explain, path.join('x', 'r.explain.png'));
});

test('keep-clean on an estimator without the clean output says, in one note, that clean detection is unavailable', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 20, 20, 3, 7);
  const asked = await run([path.join(dir, 'a.png')], { keepClean: true, overwrite: true });
  assert.equal(asked.exitCode, 0);
  assert.equal(asked.stderr.split('\n').filter((l) => /no clean output, so clean detection is unavailable/.test(l)).length, 1);
  const plain = await run([path.join(dir, 'a.png')], { overwrite: true });
  assert.doesNotMatch(plain.stderr, /clean output/, 'keep-clean off (the default of such models): nothing to say');
});

/** runRestore with a given model runner, capturing stdout/stderr. */
async function runWith(runner: ReturnType<typeof createFakeRunner>, inputs: string[], options: RestoreCommandOptions = {}) {
  const err: string[] = [];
  const result = await runRestore(inputs, { tile: 16, overlap: 4, ...options }, {
    runner,
    stdout: { write: () => true },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    progressMode: 'silent',
  });
  return { ...result, stderr: err.join('') };
}

test('two runs to one -o without --overwrite: one writes, the other fails with "already exists (use --overwrite" (never replaced silently)', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 40, 30, 3, 11);
  await writePng(path.join(dir, 'b.png'), 40, 30, 3, 12);
  const out = path.join(dir, 'same.png');
  // both check the (absent) target before either writes: the race that used to lose a file
  const [ra, rb] = await Promise.all([
    runWith(createFakeRunner({ strengths: [0, 0, 0] }), [path.join(dir, 'a.png')], { output: out }),
    runWith(createFakeRunner({ strengths: [0, 0, 0] }), [path.join(dir, 'b.png')], { output: out }),
  ]);
  assert.deepEqual([ra.exitCode, rb.exitCode].sort(), [0, 1]);
  const loser = ra.exitCode === 1 ? ra : rb;
  const winnerInput = ra.exitCode === 0 ? 'a.png' : 'b.png';
  assert.match(loser.stderr, /same\.png: it already exists \(use --overwrite to replace it\)/);
  // the file on disk is the winner's, whole
  const written = await readImage(out);
  const original = await readImage(path.join(dir, winnerInput));
  assert.deepEqual(written.image.data, original.image.data);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  // --overwrite still replaces, atomically
  const again = await runWith(createFakeRunner({ strengths: [0, 0, 0] }), [path.join(dir, 'a.png')], { output: out, overwrite: true });
  assert.equal(again.exitCode, 0);
});

test('--out-dir onto a file, or a folder that cannot be written, fails at once with one line', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 20, 10, 3, 13);
  writeFileSync(path.join(dir, 'taken'), 'a file');
  const runner = createFakeRunner();
  await assert.rejects(runWith(runner, [path.join(dir, 'a.png')], { outDir: path.join(dir, 'taken') }), (err: Error) => err.message === `--out-dir ${path.join(dir, 'taken')}: is a file, not a folder`);
  await assert.rejects(runWith(runner, [path.join(dir, 'a.png')], { outDir: path.join(dir, 'taken', 'sub') }), /--out-dir .*taken\/sub: cannot create the folder \(part of the path is a file, not a folder, (EEXIST|ENOTDIR)\)/);
  const ro = process.getuid?.() === 0 ? '/sys/abair-out' : (() => {
    const p = path.join(dir, 'ro');
    mkdirSync(p, { mode: 0o555 });
    return path.join(p, 'out');
  })();
  await assert.rejects(runWith(runner, [path.join(dir, 'a.png')], { outDir: ro }), (err: Error) => err.message.startsWith(`--out-dir ${ro}: cannot`) && !/\.tmp|\n/.test(err.message));
  assert.equal(runner.tilesRestored, 0); // refused before the model ran
});

test('a read-only output folder is found before the model runs, and the message names the target', async (t) => {
  if (process.getuid?.() === 0) {
    // root ignores permission bits; /sys is not writable even for root
    const runner = createFakeRunner();
    const dir = freshDir();
    await writePng(path.join(dir, 'a.png'), 20, 10, 3, 14);
    const r = await runWith(runner, [path.join(dir, 'a.png')], { output: '/sys/a.restored.png' });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /cannot write \/sys\/a\.restored\.png: no permission to write in \/sys/);
    assert.doesNotMatch(r.stderr, /\.tmp/);
    assert.equal(runner.tilesRestored, 0);
    return;
  }
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 20, 10, 3, 14);
  const ro = path.join(dir, 'ro');
  mkdirSync(ro, { mode: 0o555 });
  const runner = createFakeRunner();
  const r = await runWith(runner, [path.join(dir, 'a.png')], { output: path.join(ro, 'x.png') });
  assert.match(r.stderr, /cannot write .*ro\/x\.png: no permission/);
  assert.equal(runner.tilesRestored, 0);
  t.diagnostic('checked with a 0555 folder');
});

test('notes on stderr: 16-bit PNG stays 16-bit (no note), animated input restored from its first frame', async () => {
  const dir = freshDir();
  const wide = path.join(dir, 'wide.png');
  await sharp(Buffer.from(new Uint16Array(12 * 8 * 3).fill(30000).buffer), { raw: { width: 12, height: 8, channels: 3 } }).toColourspace('rgb16').png().toFile(wide);
  const frame = (c: string) => sharp({ create: { width: 12, height: 8, channels: 3, background: c } }).png().toBuffer();
  const gif = path.join(dir, 'anim.gif');
  await sharp([await frame('red'), await frame('blue')], { join: { animated: true } }).gif().toFile(gif);
  const r = await runWith(createFakeRunner(), [wide, gif]);
  assert.equal(r.exitCode, 0);
  assert.doesNotMatch(r.stderr, /wide\.(restored\.)?png.*8/, 'a 16-bit PNG is written as 16-bit PNG: nothing lost, nothing to say');
  assert.equal((await sharp(path.join(dir, 'wide.restored.png')).metadata()).depth, 'ushort');
  assert.match(r.stderr, /abair: note: .*anim\.gif has 2 frames; only the first is restored/);
});

test('a temp file left by a killed earlier run is removed when the same command runs again', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 20, 10, 3, 15);
  const { spawnSync } = await import('node:child_process');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const leftover = path.join(dir, `.a.restored.png.${dead}.00112233aabb.tmp`);
  writeFileSync(leftover, 'half a png');
  const r = await runWith(createFakeRunner(), [path.join(dir, 'a.png')]);
  assert.equal(r.exitCode, 0);
  assert.equal(existsSync(leftover), false);
  assert.ok(existsSync(path.join(dir, 'a.restored.png')));
});

test('damaged weights: NaN output or NaN estimates fail the image with one line; nothing is written', async () => {
  const dir = freshDir();
  await writePng(path.join(dir, 'a.png'), 20, 10, 3, 16);
  const nanOut = await runWith(createFakeRunner({ fill: Number.NaN }), [path.join(dir, 'a.png')]);
  assert.equal(nanOut.exitCode, 1);
  assert.match(nanOut.stderr, /a\.png: the model produced non-finite values \(NaN\/Inf; first at pixel 0,0\): its weights are damaged/);
  const nanEstimate = await runWith(createFakeRunner({ probabilities: [Number.NaN, 0.2, 0.1] }), [path.join(dir, 'a.png')]);
  assert.equal(nanEstimate.exitCode, 1);
  assert.match(nanEstimate.stderr, /the estimator returned non-finite probabilities/);
  assert.deepEqual(readdirSync(dir).sort(), ['a.png']);
});
