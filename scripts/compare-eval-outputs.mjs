#!/usr/bin/env node
/**
 * Were two eval runs' restorations byte-identical? Compares the per-image output hashes
 * (`outputSha256`) of two `abair eval --json` files, dataset by dataset.
 *
 *   node scripts/compare-eval-outputs.mjs before.json after.json [--datasets suite/id,suite/id…]
 *
 * Used for issue "Train and ship the default model": with the adapter fixed (`--mode oracle`), the
 * five original tasks must restore byte-identically before and after `add-degradation`.
 * Datasets without images in the first file (skipped there, e.g. no adapter for them) are listed,
 * not compared. Exit 0 when every compared image matches (and there was at least one), 1 when any
 * differs or is missing, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { datasets: { type: 'string' } }, allowPositionals: true });
if (positionals.length !== 2) {
  console.error('usage: node scripts/compare-eval-outputs.mjs <before.json> <after.json> [--datasets suite/id,suite/id…]');
  process.exit(2);
}
const load = (file) => {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(report.suites)) throw new Error('not an abair eval report (no suites)');
    const byDataset = new Map();
    // keyed by suite too: the same dataset id can appear in two suites with other seeds (Kodak24-haze)
    for (const suite of report.suites) for (const d of suite.datasets) byDataset.set(`${suite.name}/${d.id}`, d);
    return { report, byDataset };
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    process.exit(2);
  }
};
const [a, b] = positionals.map(load);
const wanted = values.datasets ? values.datasets.split(',') : [...a.byDataset.keys()].filter((id) => b.byDataset.has(id));
let failures = 0;
let compared = 0;
let identical = 0;
for (const id of wanted) {
  const [da, db] = [a.byDataset.get(id), b.byDataset.get(id)];
  if (!da || !db) {
    console.log(`${id}: missing from ${!da ? positionals[0] : positionals[1]}`);
    failures++;
    continue;
  }
  if (da.perImage.length === 0) {
    // e.g. the 5-class model has no jpeg adapter, so oracle mode skipped Kodak24-jpeg: nothing to compare
    console.log(`${id}: not compared (no images in ${positionals[0]}${da.skipped ? `: ${da.skipped}` : ''})`);
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
  compared += total;
  identical += same;
  console.log(`${id}: ${same}/${total} images byte-identical${differing.length ? ` (differ or missing: ${differing.slice(0, 5).join(', ')}${differing.length > 5 ? ', …' : ''})` : ''}`);
  if (same !== total || total !== db.perImage.length) failures++;
}
console.log(`in all: ${identical}/${compared} images byte-identical`);
process.exit(failures === 0 && compared > 0 ? 0 : 1);
