import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetResult, EvalReport } from '../eval/report.js';
import { checkMinimums, formatChecks } from './minimums.js';

/** A dataset with per-image output PSNRs (input PSNR `input` for each), top-1 `correct` of them when given. */
function dataset(id: string, truth: string[], input: number, outputs: number[], correct?: number): DatasetResult {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    id, label: id, truth, images: outputs.length,
    mean: { input: { psnr: input }, output: { psnr: mean(outputs) } },
    accuracy: correct === undefined ? null : { correct, total: outputs.length },
    perImage: outputs.map((psnr) => ({ output: { psnr } })),
  } as unknown as DatasetResult;
}

const report = (suites: Record<string, DatasetResult[]>): EvalReport => ({ suites: Object.entries(suites).map(([name, datasets]) => ({ name, datasets })) }) as unknown as EvalReport;

test('checkMinimums: floors, the clean worst image, losses against the shipped model, top-1, SW over OH', () => {
  const baseline = report({ denoise: [dataset('CBSD68-sigma25', ['noise'], 20.5, [29, 29])], synthetic: [dataset('Kodak24-rain', ['rain'], 24, [32, 32])], mixed: [dataset('Kodak24-blur+noise', ['blur', 'noise'], 19, [24, 24])] });
  const candidate = report({
    denoise: [dataset('CBSD68-sigma25', ['noise'], 20.5, [30.2, 30.0], 2)],
    synthetic: [dataset('Kodak24-rain', ['rain'], 24, [31.6, 31.6], 1), dataset('Kodak24-blur', ['blur'], 24, [25.6, 25.6], 2)],
    mixed: [dataset('Kodak24-blur+noise', ['blur', 'noise'], 19, [24.4, 24.4])],
    clean: [dataset('Kodak24-clean', [], 100, [50, 35])],
    probe: [dataset('Kodak24-probe-snow', ['snow'], 23, [27, 27, 27, 27], 3)],
  });
  const oh = report({ mixed: [dataset('Kodak24-blur+noise', ['blur', 'noise'], 19, [24.35, 24.35])] });
  const checks = checkMinimums(candidate, baseline, oh, null);
  const find = (name: RegExp) => {
    const c = checks.find((x) => name.test(x.name));
    assert.ok(c, `a check named ${name}`);
    return c;
  };
  assert.equal(find(/^CBSD68 σ25$/).pass, true);
  assert.ok(Math.abs(find(/^CBSD68 σ25$/).measured! - 30.1) < 1e-9);
  assert.equal(find(/^CBSD68 σ15$/).pass, null, 'a set not in the files is not measured, not passed');
  assert.equal(find(/blur over its input/).pass, true);
  assert.equal(find(/clean.*mean/).pass, true);
  assert.equal(find(/clean.*worst/).measured, 35);
  assert.equal(find(/clean.*worst/).pass, false);
  const rainLoss = find(/Kodak24-rain: loss/);
  assert.ok(Math.abs(rainLoss.measured! - 0.4) < 1e-9);
  assert.equal(rainLoss.pass, false, '0.4 dB below the shipped model');
  assert.equal(find(/Kodak24-rain: shipped \+/).pass, true, '+7.6 over its input');
  assert.equal(find(/blur\+noise: shipped \+/).pass, true, '+5.4 over its input');
  assert.equal(find(/SW over OH/).pass, false, '+0.05 < 0.1');
  assert.ok(Math.abs(find(/top-1 on the single/).measured! - 100 * 5 / 6) < 1e-9, 'pooled over the single sets, probe and mixed apart');
  assert.equal(find(/probe snow/).measured, 75);
  assert.equal(find(/probe snow/).pass, false);
  const text = formatChecks(checks);
  assert.match(text, /MISSED/);
  assert.match(text, /not measured/);
  assert.match(text, /paper 31\.38, gap -1\.28/);
});
