#!/usr/bin/env node
/**
 * Were two eval runs' restorations byte-identical? Compares the per-image output hashes
 * (`outputSha256`) of two `abair eval --json` files, dataset by dataset.
 *
 *   node scripts/compare-eval-outputs.mjs before.json after.json [--datasets id,id…]
 *
 * Used for issue "Train and ship the default model": with the adapter fixed (`--mode oracle`), the
 * five original tasks must restore byte-identically before and after `add-degradation`.
 * Exit 0 when every compared image matches, 1 when any differs or is missing, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { datasets: { type: 'string' } }, allowPositionals: true });
if (positionals.length !== 2) {
  console.error('usage: node scripts/compare-eval-outputs.mjs <before.json> <after.json> [--datasets id,id…]');
  process.exit(2);
}
const load = (file) => {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(report.suites)) throw new Error('not an abair eval report (no suites)');
    const byDataset = new Map();
    for (const suite of report.suites) for (const d of suite.datasets) byDataset.set(d.id, d);
    return { report, byDataset };
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    process.exit(2);
  }
};
const [a, b] = positionals.map(load);
const wanted = values.datasets ? values.datasets.split(',') : [...a.byDataset.keys()].filter((id) => b.byDataset.has(id));
let failures = 0;
for (const id of wanted) {
  const [da, db] = [a.byDataset.get(id), b.byDataset.get(id)];
  if (!da || !db) {
    console.log(`${id}: missing from ${!da ? positionals[0] : positionals[1]}`);
    failures++;
    continue;
  }
  const hashes = new Map(db.perImage.map((r) => [r.name, r.outputSha256]));
  let same = 0;
  const differing = [];
  for (const r of da.perImage) {
    const other = hashes.get(r.name);
    if (r.outputSha256 && other && r.outputSha256 === other) same++;
    else differing.push(r.name);
  }
  const total = da.perImage.length;
  console.log(`${id}: ${same}/${total} images byte-identical${differing.length ? ` (differ or missing: ${differing.slice(0, 5).join(', ')}${differing.length > 5 ? ', …' : ''})` : ''}`);
  if (same !== total || total === 0 || total !== db.perImage.length) failures++;
}
process.exit(failures === 0 && wanted.length > 0 ? 0 : 1);
