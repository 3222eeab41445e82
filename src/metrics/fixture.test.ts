/**
 * Reproduces every value of data/fixtures/metrics.json (scikit-image 0.19.3 on real bench pairs):
 * PSNR within 1e-3 dB, SSIM within 1e-4. Fails loudly when the shared data folder is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from '../util/paths.js';
import type { RGBImage } from '../image/types.js';
import { centerCrop, psnr, ssim, type MetricOptions } from './index.js';
import { readImage } from '../io/image-io.js';
import { needsData } from '../util/test-data.js';

const dataSkip = needsData('fixtures/metrics.json');

interface FixturePair {
  input: string;
  target: string;
  /** [height, width] both images are centre-cropped to before measuring */
  crop_to: [number, number];
  [convention: string]: unknown;
}

interface Fixture {
  conventions: Record<string, string>;
  pairs: FixturePair[];
}

type Metric = (a: RGBImage, b: RGBImage, options?: MetricOptions) => number;

/** How each named convention of the fixture maps onto this module's options. */
const CONVENTIONS: Record<string, { metric: Metric; options: MetricOptions; tolerance: number }> = {
  psnr_rgb: { metric: psnr, options: { space: 'rgb' }, tolerance: 1e-3 },
  ssim_rgb_gaussian: { metric: ssim, options: { space: 'rgb', ssimWindow: 'gaussian' }, tolerance: 1e-4 },
  ssim_rgb_skimage_default: { metric: ssim, options: { space: 'rgb', ssimWindow: 'uniform7' }, tolerance: 1e-4 },
  psnr_y: { metric: psnr, options: { space: 'y' }, tolerance: 1e-3 },
  ssim_y_gaussian: { metric: ssim, options: { space: 'y', ssimWindow: 'gaussian' }, tolerance: 1e-4 },
};

const NON_METRIC_KEYS = new Set(['input', 'target', 'crop_to']);

function loadFixture(): { fixture: Fixture; root: string } {
  const dataDir = sharedDataDir();
  const file = path.join(dataDir, 'fixtures', 'metrics.json');
  if (!existsSync(file)) {
    throw new Error(`metric fixture not found at ${file}: the shared data folder is missing (set ABAIR_DATA)`);
  }
  // Pair paths are written relative to the folder that holds data/ (e.g. "data/bench/...").
  return { fixture: JSON.parse(readFileSync(file, 'utf8')) as Fixture, root: path.dirname(dataDir) };
}

test('metric fixture: every convention is one this module implements', { skip: dataSkip }, () => {
  const { fixture } = loadFixture();
  for (const name of Object.keys(fixture.conventions)) {
    assert.ok(name in CONVENTIONS, `fixture convention '${name}' has no implementation mapping`);
  }
  assert.ok(fixture.pairs.length > 0, 'fixture lists no pairs');
});

test('metric fixture: reproduces every scikit-image value', { skip: dataSkip }, async (t) => {
  const { fixture, root } = loadFixture();
  let checked = 0;
  const largestGap: Record<string, number> = {};
  for (const pair of fixture.pairs) {
    const [height, width] = pair.crop_to;
    const input = centerCrop((await readImage(path.join(root, pair.input))).image, width, height);
    const target = centerCrop((await readImage(path.join(root, pair.target))).image, width, height);
    for (const [name, expected] of Object.entries(pair)) {
      if (NON_METRIC_KEYS.has(name)) continue;
      const convention = CONVENTIONS[name];
      assert.ok(convention, `${pair.input}: unknown convention '${name}'`);
      assert.equal(typeof expected, 'number', `${pair.input}: ${name} is not a number`);
      const got = convention.metric(input, target, convention.options);
      largestGap[name] = Math.max(largestGap[name] ?? 0, Math.abs(got - (expected as number)));
      assert.ok(
        Math.abs(got - (expected as number)) <= convention.tolerance,
        `${pair.input} ${name}: got ${got}, scikit-image ${expected as number} (tolerance ${convention.tolerance})`,
      );
      checked++;
    }
  }
  assert.ok(checked >= fixture.pairs.length, 'no fixture values were checked');
  // Printed for the reader: the largest difference from scikit-image per convention.
  for (const [name, gap] of Object.entries(largestGap)) t.diagnostic(`largest gap ${name}: ${gap.toExponential(2)}`);
});
