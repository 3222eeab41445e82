/** Option parsing shared by `abair train …` and `abair add-degradation`. */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { sharedDataDir } from '../../util/paths.js';
import { UsageError } from '../../util/errors.js';
import { addProgressOption, progressChoice, type ProgressChoice } from '../progress-option.js';
import { DEFAULT_THREADS, type PhaseDefaults } from '../../train/defaults.js';
import type { CommonTrainOptions } from '../../train/phases/common.js';

export function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
    return n;
  };
}

/** A comma-separated list of positive integers (e.g. the estimator's conv widths). */
export function widthList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const widths = parts.map(Number);
  if (parts.length === 0 || !widths.every((w, i) => parts[i] !== '' && Number.isInteger(w) && w > 0)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers, e.g. 16,32,64,64 (got '${value}').`);
  }
  return widths;
}

export function positive(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number > 0.`);
    return n;
  };
}

export function atLeastOne(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError(`${name} must be a number ≥ 1.`);
    return n;
  };
}

export function fraction(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be in [0, 1].`);
    return n;
  };
}

export function defaultImagesDir(): string {
  return path.join(sharedDataDir(), 'train', 'clean');
}

/** Adds the options every phase shares, with the phase's defaults. */
export function addCommonOptions(cmd: Command, d: PhaseDefaults, prefix = ''): Command {
  return cmd
    .option(`--${prefix}steps <n>`, 'optimisation steps', integer('--steps', 1), d.steps)
    .option(`--${prefix}batch <n>`, 'patches per step', integer('--batch', 1), d.batch)
    .option(`--${prefix}patch <px>`, 'patch side in pixels (a multiple of 8)', integer('--patch', 8), d.patch)
    .option(`--${prefix}lr <rate>`, 'peak learning rate (AdamW; linear warm-up, cosine decay to 5%)', positive('--lr'), d.lr)
    .option(`--${prefix}warmup <steps>`, 'warm-up steps', integer('--warmup', 0), d.warmup);
}

/** The engine's thread count, and the refusal of the earlier engine's --workers. */
export function addThreadsOption(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'ONNX Runtime intra-op threads (2 = both cores of a 2-core machine)', integer('--threads', 1), DEFAULT_THREADS)
    // the tfjs engine's worker replicas are gone; say what replaced them rather than "unknown option"
    .addOption(new Option('--workers <n>').hideHelp());
}

/** --workers given: refused with what to use instead. */
export function refuseWorkers(p: { workers?: unknown }): void {
  if (p.workers !== undefined) throw new UsageError('--workers is gone: training runs in one process on ONNX Runtime; give --threads <n> instead');
}

export function addRunOptions(cmd: Command, d: PhaseDefaults): Command {
  addThreadsOption(cmd)
    .option('--resume', 'continue the run in --out from its checkpoint (same settings required)')
    .option('--reschedule', 'with --resume: continue with a different --steps (the learning-rate schedule is recomputed for the new length)')
    .option('--checkpoint-every <n>', 'write the checkpoint every n steps (also on Ctrl-C and at the end)', integer('--checkpoint-every', 1), d.checkpointEvery)
    .option('--val-every <n>', 'validate every n steps', integer('--val-every', 1), d.valEvery)
    .option('--val-count <n>', 'patches in the fixed validation batch', integer('--val-count', 1), d.valCount)
    .option('--seed <n>', 'seed of the data stream and the initial weights', integer('--seed', 0), 1);
  return addProgressOption(cmd);
}

export interface ParsedCommon {
  steps: number; batch: number; patch: number; lr: number; warmup: number;
  threads: number; workers?: unknown; resume?: boolean; reschedule?: boolean; checkpointEvery: number; valEvery: number; valCount: number; seed: number;
  /** a choice, or false from --no-progress */
  progress: ProgressChoice | false;
}

export function commonFrom(p: ParsedCommon, out: string): CommonTrainOptions {
  refuseWorkers(p);
  if (p.patch % 8 !== 0) throw new UsageError(`--patch must be a multiple of 8, got ${p.patch}`);
  if (p.reschedule && !p.resume) throw new UsageError('--reschedule needs --resume (it changes the length of an existing run)');
  return {
    steps: p.steps, batch: p.batch, patch: p.patch, lr: p.lr, warmup: p.warmup, threads: p.threads,
    out, resume: Boolean(p.resume), ...(p.reschedule ? { reschedule: true } : {}), checkpointEvery: p.checkpointEvery, valEvery: p.valEvery, valCount: p.valCount,
    seed: p.seed, command: ['abair', ...process.argv.slice(2)].join(' '), progress: progressChoice(p.progress),
  };
}
