/**
 * The identity baseline (output = input) must reproduce the known input PSNRs of the benchmarks;
 * a wrong seed rule, noise scale, crop or JPEG setting shows up here first. Subsets keep it fast;
 * the full-set values (abair eval --suite denoise,derain,unseen --identity) are in the comments.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from '../util/paths.js';
import { IDENTITY_MODEL } from './model-info.js';
import { runEvaluation } from './runner.js';
import type { SuiteName } from './suites.js';
import { needsData } from '../util/test-data.js';

const dataSkip = needsData('bench', 'fixtures/metrics.json');

const bench = path.join(sharedDataDir(), 'bench');

async function identity(suite: SuiteName, datasetId: string, limit: number) {
  const report = await runEvaluation({ suites: [suite], dataRoot: bench, mode: 'identity', model: IDENTITY_MODEL, limit, datasetFilter: (d) => d.id === datasetId });
  const dataset = report.suites[0]!.datasets[0]!;
  assert.equal(dataset.images, limit);
  return dataset;
}

test('CBSD68 σ=25: first 5 images ≈ 20.43 dB (full set: 20.54 dB, the literature\'s ≈ 20.5)', { skip: dataSkip }, async () => {
  const d = await identity('denoise', 'CBSD68-sigma25', 5);
  assert.ok(Math.abs(d.mean!.input.psnr - 20.5) < 0.3, `${d.mean!.input.psnr}`);
  assert.ok(Math.abs(d.mean!.input.psnr - 20.433) < 0.01, `${d.mean!.input.psnr}`);
  assert.deepEqual(d.mean!.input, d.mean!.output, 'identity output = input');
  assert.equal(d.perImage[0]!.seed, `denoise:CBSD68-sigma25:${d.perImage[0]!.name}`);
});

test('Rain100H: first 10 images 12.19 dB (full set: 12.13 dB); image 1 matches the scikit-image fixture', { skip: dataSkip }, async () => {
  const d = await identity('derain', 'Rain100H', 10);
  assert.ok(Math.abs(d.mean!.input.psnr - 12.1) < 0.3, `${d.mean!.input.psnr}`);
  assert.ok(Math.abs(d.mean!.input.psnr - 12.192) < 0.01, `${d.mean!.input.psnr}`);
  const fixtures = JSON.parse(readFileSync(path.join(sharedDataDir(), 'fixtures', 'metrics.json'), 'utf8')) as {
    pairs: { input: string; psnr_rgb: number; ssim_rgb_gaussian: number; ssim_rgb_skimage_default: number }[];
  };
  const ref = fixtures.pairs.find((p) => p.input === 'data/bench/Rain100H/input/1.png')!;
  const first = d.perImage[0]!;
  assert.equal(first.name, '1');
  assert.ok(Math.abs(first.input.psnr - ref.psnr_rgb) < 1e-3);
  assert.ok(Math.abs(first.input.ssim - ref.ssim_rgb_gaussian) < 1e-4);
  assert.ok(Math.abs(first.input.ssimUniform7 - ref.ssim_rgb_skimage_default) < 1e-4);
});

test('LIVE1 JPEG Q20: first 5 images 27.09 dB (full set: 28.06 dB, the literature\'s ≈ 28)', { skip: dataSkip }, async () => {
  const d = await identity('unseen', 'LIVE1-jpeg-q20', 5);
  assert.ok(Math.abs(d.mean!.input.psnr - 27.09) < 0.02, `${d.mean!.input.psnr}`);
});
