#!/usr/bin/env node
/**
 * Held-out means of several `bench/sw-blend.mjs --json` reports side by side, to the decimals a
 * rule needs (the bench's own table prints 2; a jpeg-only change is judged at ±0.005 dB):
 *
 *   node scripts/compare-sw-blend.mjs <label>=<a.json>[+<b.json>…] <label>=… [--modes oh,sw]
 *                                     [--decimals N]
 *
 * Each label is one report, or several joined by '+' (e.g. two draws, `--seed-tag`), pooled: a
 * case's mean is over every image-draw of the pooled reports. As in the bench, "singles" is the
 * mean of the eight single-degradation case means, "mixed" the mean of the mixed-pair case means
 * (names with '+'), and "clean" is its own row. After the first label, each column also shows its
 * difference from the first label's. --modes: which restore columns (default sw; any column the
 * reports hold, e.g. oh, x3). --decimals: default 3.
 */
import { readReport } from './read-report.mjs';

function fail(message) {
  console.error(message);
  process.exit(2);
}

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  if (at + 1 >= args.length) fail(`${name} needs a value`);
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const decimals = Number(flag('--decimals', '3'));
if (!(Number.isInteger(decimals) && decimals >= 0 && decimals <= 6)) fail('--decimals takes an integer from 0 to 6');
const modes = flag('--modes', 'sw').split(',').filter(Boolean);
const usage = 'usage: node scripts/compare-sw-blend.mjs <label>=<report.json>[+<report.json>…] … [--modes oh,sw] [--decimals N]';
if (args.length === 0) fail(usage);

const labels = args.map((arg) => {
  const eq = arg.indexOf('=');
  if (eq <= 0) fail(usage);
  const files = arg.slice(eq + 1).split('+');
  const isSwBlend = (json) => Array.isArray(json.perImage) && json.perImage.length > 0 && String(json.what ?? '').startsWith('bench/sw-blend.mjs');
  const reports = files.map((file) => readReport(file, isSwBlend, 'not a bench/sw-blend.mjs --json report'));
  return { label: arg.slice(0, eq), reports };
});

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const cases = Object.keys(labels[0].reports[0].perImage[0].cases);
const singles = cases.filter((c) => c !== 'clean' && !c.includes('+'));
const mixed = cases.filter((c) => c.includes('+'));

/** Per case and mode: the mean over every image-draw of the label's reports (undefined if absent). */
function caseMeans({ label, reports }) {
  const rows = reports.flatMap((r) => r.perImage);
  const out = {};
  for (const c of cases) {
    const draws = rows.map((row) => row.cases[c]);
    if (draws.some((d) => d === undefined)) fail(`${label}: case ${c} missing from an image`);
    out[c] = { top1: c === 'clean' ? undefined : draws.filter((d) => d.argmaxCorrect).length / draws.length, draws: draws.length };
    for (const m of ['input', ...modes]) out[c][m] = draws.every((d) => typeof d.psnr[m] === 'number') ? mean(draws.map((d) => d.psnr[m])) : undefined;
  }
  return out;
}

const table = labels.map(caseMeans);
const group = (means, names, key) => (names.every((c) => means[c][key] !== undefined) ? mean(names.map((c) => means[c][key])) : undefined);
const rows = [
  ...singles.map((c) => [c, (m, k) => m[c][k]]),
  ['mean singles', (m, k) => group(m, singles, k)],
  ...mixed.map((c) => [c, (m, k) => m[c][k]]),
  ['mean mixed', (m, k) => group(m, mixed, k)],
  ['clean', (m, k) => m.clean[k]],
];
const cell = (value, base, first) => {
  if (value === undefined) return '—';
  const text = value.toFixed(decimals);
  if (first || base === undefined) return text;
  const d = value - base;
  return `${text} (${d >= 0 ? '+' : ''}${d.toFixed(decimals)})`;
};
const columns = labels.flatMap(({ label }) => modes.map((m) => `${label} ${m}`));
const drawsPerCase = table.map((m) => m[cases[0]].draws);
console.log(`held-out image-draws per case: ${labels.map(({ label }, i) => `${label} ${drawsPerCase[i]}`).join(', ')}; RGB PSNR (dB)`);
console.log(`| case | input | ${columns.join(' | ')} | top-1 (${labels.map((l) => l.label).join(' / ')}) |`);
console.log(`|---|---|${columns.map(() => '---|').join('')}---|`);
for (const [name, pick] of rows) {
  const cells = table.flatMap((m, i) => modes.map((mode) => cell(pick(m, mode), pick(table[0], mode), i === 0)));
  const top1 = table.map((m) => pick(m, 'top1')).map((t) => (t === undefined ? '—' : `${(t * 100).toFixed(1)} %`)).join(' / ');
  console.log(`| ${name} | ${(pick(table[0], 'input') ?? NaN).toFixed(2)} | ${cells.join(' | ')} | ${top1} |`);
}
