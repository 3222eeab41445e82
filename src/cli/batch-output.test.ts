/** runRestore's output side: metadata, bit depth, formats, --quality, --json, --quiet, --progress (fake model runner). */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readImage } from '../io/image-io.js';
import { exifOrientation } from '../io/metadata.js';
import { UsageError } from '../util/errors.js';
import { runRestore, type RestoreCommandOptions } from './batch.js';
import { runRestoreFake } from './run-cli.js';


function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'abair-restore-out-'));
}

const run = runRestoreFake;

function texture(width: number, height: number, channels: number, scale = 255): number[] {
  return Array.from({ length: width * height * channels }, (_, i) => Math.round(((i * 37 + 11) % 256) * (scale / 255)));
}

async function writeRgbPng(file: string, width: number, height: number, channels: 3 | 4): Promise<void> {
  await sharp(Uint8Array.from(texture(width, height, channels)), { raw: { width, height, channels } }).png().toFile(file);
}

/** A phone-style JPEG: 24×16 stored, orientation 6 (shown 16×24), Display P3, EXIF with a camera make. */
async function writePhoneJpeg(file: string): Promise<Buffer> {
  await sharp(Uint8Array.from(texture(24, 16, 3)), { raw: { width: 24, height: 16, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withIccProfile('p3')
    .withExifMerge({ IFD0: { Make: 'BatchCam' } })
    .jpeg({ quality: 95 })
    .toFile(file);
  return (await sharp(file).metadata()).icc!;
}

test('photos kept whole: EXIF and the profile carried over, orientation applied once; --strip drops them', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'phone.jpg');
  const icc = await writePhoneJpeg(input);
  const kept = await run([input]);
  assert.equal(kept.exitCode, 0, kept.stderr);
  const meta = await sharp(path.join(dir, 'phone.restored.jpg')).metadata();
  assert.ok(meta.icc?.equals(icc), 'same colour profile');
  assert.ok(meta.exif?.includes(Buffer.from('BatchCam')), 'EXIF kept');
  assert.equal(exifOrientation(meta.exif!), 1, 'rotated pixels, orientation reset');
  assert.deepEqual([meta.width, meta.height], [16, 24]);

  const stripped = await run([input], { strip: true, output: path.join(dir, 'plain.jpg') });
  assert.equal(stripped.exitCode, 0, stripped.stderr);
  const plain = await sharp(path.join(dir, 'plain.jpg')).metadata();
  assert.deepEqual([plain.icc, plain.exif, plain.width, plain.height], [undefined, undefined, 16, 24]);
});

test('16-bit in, 16-bit out for PNG and TIFF; JPEG gets a note, not silence', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'deep.png');
  const samples = Uint16Array.from(texture(20, 12, 3, 65535));
  await sharp(samples, { raw: { width: 20, height: 12, channels: 3 } }).toColourspace('rgb16').png().toFile(input);
  const r = await run([input]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal((await readImage(path.join(dir, 'deep.restored.png'))).info.bitDepth, 16);
  assert.doesNotMatch(r.stderr, /note/);
  const tif = await run([input], { format: 'tif' });
  assert.equal((await readImage(path.join(dir, 'deep.restored.tif'))).info.bitDepth, 16);
  assert.doesNotMatch(tif.stderr, /note/);
  const jpg = await run([input], { format: 'jpg' });
  assert.equal(jpg.exitCode, 0);
  assert.match(jpg.stderr, /^abair: note: .*deep\.restored\.jpg: JPEG holds 8 bits per channel: the 16-bit image is written at 8 bits/m);
});

test('every --format writes; alpha kept, or a note where the format cannot hold it', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'clear.png');
  await writeRgbPng(input, 18, 10, 4);
  const expected: Record<string, string> = { png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', avif: 'heif', tif: 'tiff', tiff: 'tiff', bmp: 'bmp' };
  for (const [format, reads] of Object.entries(expected)) {
    const output = path.join(dir, `out-${format}.${format}`);
    const r = await run([input], { output, format });
    assert.equal(r.exitCode, 0, `${format}: ${r.stderr}`);
    const back = await readImage(output);
    assert.equal(back.info.format, reads, format);
    const jpeg = reads === 'jpeg';
    assert.equal(back.alpha !== null, !jpeg, `${format} alpha`);
    if (jpeg) assert.match(r.stderr, /JPEG cannot hold transparency: alpha dropped/);
    else assert.doesNotMatch(r.stderr, /note/, format);
  }
  // the default output of a writable input format is that format
  const bmpIn = path.join(dir, 'in.bmp');
  await run([input], { output: bmpIn });
  await run([bmpIn]);
  assert.equal((await readImage(path.join(dir, 'in.restored.bmp'))).info.format, 'bmp');
});

test('--quality: 1-100, lossy outputs only, and it takes effect', async () => {
  const dir = freshDir();
  const input = path.join(dir, 'q.png');
  await writeRgbPng(input, 40, 40, 3);
  for (const quality of [0, 101, 1.5]) await assert.rejects(run([input], { quality, format: 'jpg' }), (e: Error) => e instanceof UsageError && /--quality must be an integer from 1 to 100/.test(e.message));
  await assert.rejects(run([input], { quality: 80, output: path.join(dir, 'x.png') }), /--quality applies to jpg, webp and avif output, not png/);
  await run([input], { quality: 20, output: path.join(dir, 'low.jpg') });
  await run([input], { quality: 95, output: path.join(dir, 'high.jpg') });
  assert.ok(statSync(path.join(dir, 'low.jpg')).size < statSync(path.join(dir, 'high.jpg')).size);
  // when the format follows each input, a lossless one gets a note instead of a silent no-op
  const r = await run([input], { quality: 80 });
  assert.equal(r.exitCode, 0);
  assert.match(r.stderr, /note: .*q\.restored\.png: --quality does not apply to this lossless format/);
});

test('--json: one object per file and line (input, output, probabilities, weights, seconds); failures too', async () => {
  const dir = freshDir();
  await writeRgbPng(path.join(dir, 'a.png'), 12, 12, 3);
  await writeRgbPng(path.join(dir, 'b.png'), 20, 8, 4);
  writeFileSync(path.join(dir, 'c.png'), 'not an image');
  const r = await run([dir], { json: true, format: 'jpg' });
  assert.equal(r.exitCode, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const [a, b, c] = records.sort((x, y) => String(x['input']).localeCompare(String(y['input'])));
  assert.equal(a!['input'], path.join(dir, 'a.png'));
  assert.equal(a!['output'], path.join(dir, 'a.restored.jpg'));
  assert.deepEqual(Object.keys(a!['probabilities'] as object), ['rain', 'haze', 'noise']);
  assert.ok(Math.abs((a!['probabilities'] as Record<string, number>)['rain']! - 0.8) < 1e-6);
  const weights = Object.values(a!['weights'] as Record<string, number>);
  assert.ok(Math.abs(weights.reduce((s, w) => s + w, 0) - 1) < 1e-5, 'SW weights sum to 1');
  assert.ok(typeof a!['seconds'] === 'number' && (a!['seconds'] as number) >= 0);
  assert.deepEqual(a!['notes'], []);
  assert.deepEqual(b!['notes'], ['JPEG cannot hold transparency: alpha dropped']);
  assert.equal(c!['input'], path.join(dir, 'c.png'));
  assert.match(String(c!['error']), /c\.png: not a recognised image/);
  assert.match(r.stderr, /^abair: .*c\.png: not a recognised image/m, 'errors still on stderr');
});

test('--quiet: nothing but errors; --progress silent / lines', async () => {
  const dir = freshDir();
  await writeRgbPng(path.join(dir, 'a.png'), 40, 40, 4);
  const quiet = await run([path.join(dir, 'a.png')], { quiet: true, format: 'jpg' });
  assert.equal(quiet.exitCode, 0);
  assert.equal(quiet.stdout, '');
  assert.equal(quiet.stderr, '', 'no progress, no notes');
  const failing = await run([path.join(dir, 'a.png'), path.join(dir, 'missing.png')], { quiet: true, overwrite: true, format: 'jpg' });
  assert.equal(failing.exitCode, 1);
  assert.equal(failing.stdout, '');
  assert.equal(failing.stderr.split('\n').filter(Boolean).length, 1, 'only the error line');
  assert.ok(failing.stderr.startsWith(`abair: ${path.join(dir, 'missing.png')}`), failing.stderr);
  const jsonQuiet = await run([path.join(dir, 'a.png')], { quiet: true, json: true, overwrite: true });
  assert.equal(jsonQuiet.stdout.trimEnd().split('\n').length, 1, '--json still prints its object');
  assert.equal(jsonQuiet.stderr, '');

  const silent = await run([path.join(dir, 'a.png')], { progress: 'silent', overwrite: true });
  assert.doesNotMatch(silent.stderr, /tile/);
  const lines = await run([path.join(dir, 'a.png')], { progress: 'lines', overwrite: true });
  assert.match(lines.stderr, /a\.png .*tile/);
  const old = await run([path.join(dir, 'a.png')], { progress: false, overwrite: true });
  assert.doesNotMatch(old.stderr, /tile/);
});
