/** `abair metrics` end to end: spawns the real launcher on fixture pairs and small temp images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { sharedDataDir } from '../../util/paths.js';
import { runCli } from '../run-cli.js';
import { formatText } from './metrics.js';
import { needsData } from '../../util/test-data.js';

const dataSkip = needsData('fixtures/metrics.json');

const abair = (...args: string[]) => runCli(args);

interface FixturePair {
  input: string;
  target: string;
  crop_to: [number, number];
  psnr_rgb: number;
  psnr_y: number;
  ssim_rgb_gaussian: number;
  ssim_y_gaussian: number;
  ssim_rgb_skimage_default: number;
}

function fixturePairs(): { pairs: FixturePair[]; root: string } {
  const file = path.join(sharedDataDir(), 'fixtures', 'metrics.json');
  if (!existsSync(file)) throw new Error(`metric fixture not found at ${file}: the shared data folder is missing (set ABAIR_DATA)`);
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as { pairs: FixturePair[] };
  return { pairs: fixture.pairs, root: path.dirname(sharedDataDir()) };
}

async function writePng(file: string, width: number, height: number, seed: number): Promise<void> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + seed * 101) % 256;
  await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

test('abair metrics prints the scikit-image values of fixture pairs', { skip: dataSkip }, () => {
  const { pairs, root } = fixturePairs();
  // One pair keeps the (slow) spawn count small; src/metrics/fixture.test covers every pair.
  for (const pair of [pairs[0]]) {
    const [input, target] = [path.join(root, pair.input), path.join(root, pair.target)];
    // The fixture pairs are full-size (crop_to equals the image size), so no flag is needed.
    const gaussian = abair('metrics', input, target, '--json');
    assert.equal(gaussian.code, 0, gaussian.stderr);
    const g = JSON.parse(gaussian.stdout) as Record<string, number>;
    assert.deepEqual([g.height, g.width], pair.crop_to);
    assert.ok(Math.abs(g.psnr_rgb - pair.psnr_rgb) <= 1e-3, `psnr_rgb ${g.psnr_rgb} vs ${pair.psnr_rgb}`);
    assert.ok(Math.abs(g.psnr_y - pair.psnr_y) <= 1e-3, `psnr_y ${g.psnr_y} vs ${pair.psnr_y}`);
    assert.ok(Math.abs(g.ssim_rgb - pair.ssim_rgb_gaussian) <= 1e-4, `ssim_rgb ${g.ssim_rgb}`);
    assert.ok(Math.abs(g.ssim_y - pair.ssim_y_gaussian) <= 1e-4, `ssim_y ${g.ssim_y}`);

    const uniform = abair('metrics', input, target, '--window', 'uniform7');
    assert.equal(uniform.code, 0, uniform.stderr);
    const ssimRgb = /SSIM RGB\s+([0-9.]+)\s+\(uniform7 window\)/.exec(uniform.stdout);
    assert.ok(ssimRgb, uniform.stdout);
    assert.ok(Math.abs(Number(ssimRgb[1]) - pair.ssim_rgb_skimage_default) <= 1e-4, uniform.stdout);
    const psnrRgb = /PSNR RGB\s+([0-9.]+) dB/.exec(uniform.stdout);
    assert.ok(psnrRgb && Math.abs(Number(psnrRgb[1]) - pair.psnr_rgb) <= 1e-3, uniform.stdout);
  }
});

test('abair metrics: identical images with --crop, size mismatch, bad window', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-metrics-'));
  try {
    const [a, other] = [path.join(dir, 'a.png'), path.join(dir, 'other.png')];
    await writePng(a, 40, 35, 1);
    await writePng(other, 35, 40, 1);

    const same = abair('metrics', a, a, '--crop', '16', '--json');
    assert.equal(same.code, 0, same.stderr);
    const s = JSON.parse(same.stdout) as Record<string, number | null>;
    assert.deepEqual([s.width, s.height, s.crop], [32, 32, 16]);
    assert.equal(s.psnr_rgb, null); // Infinity has no JSON form
    assert.equal(s.ssim_rgb, 1);

    const mismatch = abair('metrics', a, other);
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stdout, '');
    assert.match(mismatch.stderr, /^abair: images differ in size: .*40x35.*35x40\n$/);

    assert.equal(abair('metrics', a, a, '--window', 'box').code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatText shows identical images as inf and names the crop and window', () => {
  const text = formatText({
    restored: 'a.png',
    reference: 'b.png',
    width: 32,
    height: 16,
    window: 'uniform7',
    crop: 16,
    border: 2,
    psnr_rgb: Infinity,
    psnr_y: 40.123456,
    ssim_rgb: 1,
    ssim_y: 0.987654321,
  });
  assert.match(text, /^measured  32x16, centre-cropped to a multiple of 16, 2 px border shaved$/m);
  assert.match(text, /^PSNR RGB  inf \(identical\)$/m);
  assert.match(text, /^PSNR Y    40\.1235 dB$/m);
  assert.match(text, /^SSIM Y    0\.98765  \(uniform7 window\)$/m);
});
