/**
 * Compares training runs by validation PSNR against wall-clock time, from their JSONL logs:
 * the table behind the preset choice in docs/model.md ("quality per CPU-hour").
 *
 *   node dist/bench/compare-runs.js runs/compare/tiny/train-log.jsonl runs/compare/small/train-log.jsonl [--every 5]
 *
 * For each run and each time mark (every N minutes) it prints the best-so-far validation PSNR
 * reached by then (validation is noisy, so best-so-far is the fairer curve), plus the steps done.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTrainingLog, type TrainingLog } from '../train/plot.js';

interface Mark {
  minutes: number;
  step: number;
  bestPsnr: number;
}

function marks(log: TrainingLog, everyMin: number): { marks: Mark[]; inputPsnr: number | undefined } {
  const elapsedAt = new Map(log.steps.map((s) => [s.step, s.elapsedSec ?? NaN]));
  const vals = log.vals.map((v) => ({ ...v, sec: v.step === 0 ? 0 : (elapsedAt.get(v.step) ?? NaN) })).filter((v) => Number.isFinite(v.sec));
  const end = Math.max(0, ...vals.map((v) => v.sec));
  const out: Mark[] = [];
  for (let m = everyMin; m * 60 <= end + 1e-9; m += everyMin) {
    const seen = vals.filter((v) => v.sec <= m * 60);
    if (seen.length === 0) continue;
    out.push({ minutes: m, step: seen.at(-1)!.step, bestPsnr: Math.max(...seen.map((v) => v.psnr)) });
  }
  return { marks: out, inputPsnr: vals[0]?.inputPsnr };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { every: { type: 'string', default: '5' } } });
if (positionals.length === 0) {
  console.error('usage: node dist/bench/compare-runs.js <train-log.jsonl>... [--every minutes]');
  process.exit(2);
}
const every = Number(values.every);
for (const file of positionals) {
  const log = parseTrainingLog(readFileSync(file, 'utf8'));
  const meta = log.meta ?? {};
  const { marks: rows, inputPsnr } = marks(log, every);
  console.log(`\n${file}: preset ${String(meta.preset)}, batch ${String(meta.batch)}×${String(meta.patch)}², workers ${String(meta.workers ?? '?')}, lr ${String(meta.lr)}; validation input PSNR ${inputPsnr?.toFixed(2) ?? '?'} dB`);
  console.log('| minutes | steps | best validation PSNR so far (dB) |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.minutes} | ${r.step} | ${r.bestPsnr.toFixed(2)} |`);
}
