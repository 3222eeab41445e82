#!/usr/bin/env node
/**
 * The run-record table of docs/training.md, from the runs' own logs, so that every step count,
 * wall time, CPU-hour and validation figure there can be regenerated:
 *
 *   node scripts/training-record.mjs <run folder>... [--every 500]
 *
 * Each run folder holds the train-log.jsonl of one `abair train` run (resumed runs keep one log,
 * with elapsed time carried over). One markdown row per run: phase, steps × batch, wall seconds,
 * CPU-hours (wall × workers, the same convention as the weight files' provenance), and validation
 * at step 0, every --every steps (default: 4 points) and at the last step.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args, positionals: runs } = parseArgs({ allowPositionals: true, options: { every: { type: 'string' } } });
if (runs.length === 0) {
  console.error('usage: node scripts/training-record.mjs <run folder>... [--every N]');
  process.exit(2);
}

/** One run's summary, or a one-line reason it has none. */
function summarise(dir) {
  const file = path.join(dir, 'train-log.jsonl');
  if (!existsSync(file)) throw new Error(`${dir}: no train-log.jsonl`);
  const entries = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const meta = entries.find((e) => e.type === 'meta');
  if (!meta) throw new Error(`${file}: no meta line`);
  const steps = entries.filter((e) => e.type === 'step');
  const vals = entries.filter((e) => e.type === 'val');
  const last = steps.at(-1);
  // `--resume --reschedule --steps N` logs the new plan; the last one is the plan the run ended on
  const planned = entries.filter((e) => e.type === 'reschedule').at(-1)?.toSteps ?? meta.steps;
  const wall = last?.elapsedSec ?? 0;
  return { dir, meta, planned, lastStep: last?.step ?? 0, wall, cpuHours: (wall * (meta.workers ?? 1)) / 3600, vals };
}

/** "psnr dB" for restoration phases (input first), "BCE / accuracy" for the estimator. */
function formatVal(v) {
  if (typeof v.psnr === 'number') return `${v.psnr.toFixed(2)}`;
  if (typeof v.bce === 'number') return `${v.bce.toFixed(3)} / ${(100 * v.accuracy).toFixed(1)} %`;
  return '?';
}

function pickVals(vals, lastStep) {
  if (vals.length === 0) return [];
  const every = args.every ? Number(args.every) : Math.max(1, Math.round(lastStep / 4 / 50) * 50);
  return vals.filter((v, i) => v.step === 0 || v.step % every === 0 || i === vals.length - 1);
}

const rows = [];
let total = 0;
for (const dir of runs) {
  try {
    const s = summarise(dir);
    total += s.cpuHours;
    const name = s.meta.name ?? (s.meta.classes ? `estimator (${s.meta.classes.length} classes)` : s.meta.preset ?? s.meta.phase);
    const input = s.vals.find((v) => typeof v.inputPsnr === 'number')?.inputPsnr;
    const curve = pickVals(s.vals, s.lastStep).map((v) => `${v.step}: ${formatVal(v)}`).join(', ');
    rows.push(
      `| ${name} | ${s.meta.phase} | ${s.lastStep} / ${s.planned} × ${s.meta.batch} | ${s.wall.toFixed(0)} s | ${s.meta.workers ?? 1} | ${s.cpuHours.toFixed(2)} | ${input === undefined ? '' : input.toFixed(2)} | ${curve} |`,
    );
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
console.log('| run | phase | steps done / planned × batch | wall | workers | CPU-h | validation input (dB) | validation (step: dB, or BCE / per-label accuracy) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(`\nTotal: ${total.toFixed(2)} CPU-h over ${runs.length} run(s) (wall × workers; runs sharing the 2 cores count their own wall time, so this is an upper bound of the CPU used).`);
