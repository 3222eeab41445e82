import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../run-cli.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-info-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

async function abair(...args: string[]) {
  return runCli(args);
}

const rgba = path.join(dir, 'rgba.png');
const rotated = path.join(dir, 'rotated.jpg');
const bad = path.join(dir, 'bad.png');
await sharp(new Uint8Array(6 * 4 * 4).fill(200), { raw: { width: 6, height: 4, channels: 4 } }).png().toFile(rgba);
await sharp(new Uint8Array(6 * 4 * 3).fill(90), { raw: { width: 6, height: 4, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toFile(rotated);
await fs.writeFile(bad, 'not an image');

test('prints format, size, channels, bit depth, alpha and orientation', async () => {
  const run = await abair('info', rgba, rotated);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  assert.match(run.stdout, new RegExp(`${rgba.replace(/[.\\]/g, '\\$&')}\\n  format: +png\\n  size: +6×4\\n  channels: +4\\n  bit depth: +8\\n  alpha: +yes\\n  orientation: +none`));
  assert.match(run.stdout, /format: +jpeg\n  size: +4×6\n  channels: +3\n  bit depth: +8\n  alpha: +no\n  orientation: +6 \(rotated 90° CW, applied on read\)/);
});

test('--json gives machine-readable output, with error entries for unreadable files', async () => {
  const run = await abair('info', '--json', rgba, bad, rotated);
  assert.equal(run.code, 1, run.stderr);
  const parsed = JSON.parse(run.stdout);
  assert.deepEqual(parsed[0], { path: rgba, format: 'png', width: 6, height: 4, channels: 4, bitDepth: 8, hasAlpha: true, orientation: null });
  assert.equal(parsed[1].path, bad);
  assert.match(parsed[1].error, /not a recognised image/);
  assert.equal(parsed[2].orientation, 6);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('unreadable files: one line each on stderr, no stack trace, others still shown, exit 1', async () => {
  const missing = path.join(dir, 'missing.png');
  const run = await abair('info', bad, rgba, missing);
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.deepEqual(lines, [`abair: ${bad}: not a recognised image (readable: PNG, JPEG, WebP, TIFF, BMP, GIF, HEIF/AVIF)`, `abair: ${missing}: file not found`]);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.match(run.stdout, /format: +png/);
});

test('--help explains the command; no argument is a usage error', async () => {
  const help = await abair('info', '--help');
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: abair info \[options\] <image\.\.\.>/);
  assert.match(help.stdout, /--json/);
  const none = await abair('info');
  assert.equal(none.code, 2);
});
