#!/usr/bin/env node
/**
 * Mean RGB PSNR per dataset of several `abair eval --json` reports side by side (e.g. two models,
 * or SW vs OH), with each report's estimator top-1 count, as a markdown table:
 *
 *   node scripts/compare-eval-means.mjs <label>=<eval.json> <label>=<eval.json> ... [--confusion]
 *                                        [--decimals N]
 *
 * --confusion: after the table, what the estimator's argmax was on each dataset, per report
 * (e.g. "rain 58, bitdepth 31, snow 11"). --decimals N: dataset means to N decimals (default 2;
 * 3 for close calls such as LIVE1's 28.799 against the issue's 28.8).
 *
 * Datasets are keyed by suite/id (Kodak24-haze is in two suites); a dataset missing from a
 * report gets "—". The input column is that of the first report holding the dataset (inputs are
 * seeded, so every report has the same). After each suite's datasets, its mean of dataset means,
 * to 3 decimals (close calls such as SW vs OH on the mixed suite).
 */
import { readReport } from './read-report.mjs';

const args = process.argv.slice(2);
const showConfusion = args.includes('--confusion');
const decimalsAt = args.indexOf('--decimals');
const decimals = decimalsAt < 0 ? 2 : Number(args[decimalsAt + 1]);
if (!(Number.isInteger(decimals) && decimals >= 0 && decimals <= 6)) {
  console.error('--decimals takes an integer from 0 to 6');
  process.exit(2);
}
const specs = args.filter((a, i) => a !== '--confusion' && (decimalsAt < 0 || (i !== decimalsAt && i !== decimalsAt + 1))).map((arg) => {
  const eq = arg.indexOf('=');
  if (eq <= 0) {
    console.error('usage: node scripts/compare-eval-means.mjs <label>=<eval.json> ...');
    process.exit(2);
  }
  return { label: arg.slice(0, eq), file: arg.slice(eq + 1) };
});
if (specs.length === 0) {
  console.error('usage: node scripts/compare-eval-means.mjs <label>=<eval.json> ...');
  process.exit(2);
}

const reports = specs.map(({ label, file }) => {
  const json = readReport(file, (j) => j.format === 'abair-eval', 'not an abair eval report');
  const byKey = new Map();
  const confusion = new Map();
  for (const suite of json.suites) {
    for (const d of suite.datasets) {
      if (d.mean) byKey.set(`${suite.name}/${d.id}`, d);
      // confusion: { <truth>: { <argmax>: count } } with a single truth key per dataset
      if (d.confusion) confusion.set(`${suite.name}/${d.id}`, Object.values(d.confusion).reduce((all, row) => ({ ...all, ...row }), {}));
    }
    if (suite.mean) byKey.set(`${suite.name}/`, { mean: suite.mean, suiteMean: true });
  }
  return { label, byKey, confusion };
});

const keys = [...new Set(reports.flatMap((r) => [...r.byKey.keys()]))];
console.log(`| dataset | input | ${reports.map((r) => `${r.label} (top-1)`).join(' | ')} |`);
console.log(`|---|---|${reports.map(() => '---|').join('')}`);
for (const key of keys) {
  const input = reports.map((r) => r.byKey.get(key)).find(Boolean).mean.input.psnr;
  const cells = reports.map((r) => {
    const d = r.byKey.get(key);
    if (!d) return '—';
    const acc = d.accuracy ? ` (${d.accuracy.correct}/${d.accuracy.total})` : '';
    return d.suiteMean ? `**${d.mean.output.psnr.toFixed(3)}**` : `${d.mean.output.psnr.toFixed(decimals)}${acc}`;
  });
  const label = key.endsWith('/') ? `**${key.slice(0, -1)} mean**` : key;
  console.log(`| ${label} | ${input.toFixed(2)} | ${cells.join(' | ')} |`);
}
if (showConfusion) {
  console.log('\nEstimator argmax per dataset (count of images):');
  for (const key of keys.filter((k) => !k.endsWith('/'))) {
    const parts = reports.map((r) => {
      const row = r.confusion.get(key);
      const text = row ? Object.entries(row).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`).join(', ') : '—';
      return `${r.label}: ${text}`;
    });
    console.log(`- ${key}: ${parts.join('; ')}`);
  }
}
