/**
 * Command-line options of the restoration benchmark (src/bench/restore.ts), parsed with commander
 * so the script has a real --help and rejects nonsense before any model is built.
 */
import { Command, InvalidArgumentError } from 'commander';

import type { BenchEngine } from '../eval/restore-report.js';
export type { BenchEngine };
export const BENCH_ENGINES: readonly BenchEngine[] = ['onnx', 'tfjs'];

export interface BenchOptions {
  /** engines in the order they run */
  engines: BenchEngine[];
  /** image sizes in megapixels */
  sizes: number[];
  tile: number;
  overlap: number;
  /** timed runs per (engine, size) after the warm-up */
  runs: number;
  /** stop adding runs to one (engine, size) once its timed runs have taken this many seconds (≥ 1 run always) */
  runBudgetSeconds?: number;
  /** restore mode passed to the restorer ('sw', 'oh', 'adapter:<name>', …) */
  mode: string;
  /** architecture of the freshly initialised model (used unless --weights, or a shipped model without --preset) */
  preset: string;
  /** true when --preset was given: then a fresh model is benchmarked even if a trained one is shipped */
  presetGiven: boolean;
  /** a model folder to benchmark instead */
  weights?: string;
  /** how the ONNX engine feeds per-image adapter blends */
  adaptersAs: 'inputs' | 'branches';
  /** ONNX Runtime intra-op threads (default: the engine's, 2) */
  threads?: number;
  /** also write the rows and their context as JSON here (for docs/results.md) */
  json?: string;
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`needs a positive number, got '${text}'`);
  return n;
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`needs a positive integer, got '${text}'`);
  return n;
}

function nonNegativeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`needs an integer ≥ 0, got '${text}'`);
  return n;
}

export function parseEngines(text: string): BenchEngine[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = names.filter((n) => !BENCH_ENGINES.includes(n as BenchEngine));
  if (names.length === 0 || bad.length > 0) throw new InvalidArgumentError(`engines are onnx and/or tfjs, comma-separated, got '${text}'`);
  return [...new Set(names)] as BenchEngine[];
}

export function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((s) => !Number.isFinite(s) || s <= 0)) throw new InvalidArgumentError(`sizes are positive megapixel counts, e.g. 1,12,50; got '${text}'`);
  return sizes;
}

/** The commander program of the benchmark (parent side); `--child` is internal. */
export function benchProgram(): Command {
  return new Command()
    .name('bench:restore')
    .description(
      'Whole-image restoration benchmark: for each engine × size, restores a synthetic image through createRestorer ' +
        '(estimator, adapter merge, tiles, blending) in a child process of its own and reports median s/MP, CPU-s/MP, ' +
        'peak RSS and the ONNX vs tfjs speed-up as a markdown table.',
    )
    .option('--engine <list>', 'engines to run: onnx, tfjs or both', parseEngines, [...BENCH_ENGINES])
    .option('--sizes <list>', 'image sizes in megapixels (4:3)', parseSizes, [1, 12, 50])
    .option('--tile <pixels>', 'tile side', positiveInteger, 512)
    .option('--overlap <pixels>', 'overlap between tiles (at most tile / 2)', nonNegativeInteger, 32)
    .option('--runs <n>', 'timed runs per engine × size (median reported)', positiveInteger, 3)
    .option('--run-budget <seconds>', 'stop adding runs to one engine × size when the next would take its timed wall time past this (at least one run; default: no limit)', positiveNumber)
    .option('--mode <mode>', "restore mode: sw, oh, adapter:<name>, weights:<name>=<w>,…", 'sw')
    .option('--preset <name>', 'benchmark a freshly initialised model of this preset (untrained: timing only)')
    .option('--weights <dir>', 'benchmark this model folder instead')
    .option('--adapters-as <how>', 'ONNX engine: adapter blends as merged weight inputs or as branches (inputs|branches)', 'inputs')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default 2)', positiveInteger)
    .option('--json <file>', 'also write the measurements as JSON (abair eval --results-md … --json-in <file> puts them in docs/results.md)')
    .addHelpText(
      'after',
      '\nModel: --weights <dir>, else --preset <name> (fresh), else the shipped default model if there is one, else a fresh tiny model.\n' +
        'Example: npm run bench:restore -- --engine onnx,tfjs --sizes 1,12 --preset tiny --runs 3',
    );
}

/** Parses the parent's argv (without node and script) into BenchOptions; throws on bad input. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const program = benchProgram().exitOverride().configureOutput({ writeErr: () => undefined });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    engine: BenchEngine[];
    sizes: number[];
    tile: number;
    overlap: number;
    runs: number;
    runBudget?: number;
    mode: string;
    preset?: string;
    weights?: string;
    adaptersAs: string;
    threads?: number;
    json?: string;
  }>();
  if (2 * o.overlap > o.tile) throw new InvalidArgumentError(`--overlap ${o.overlap} is more than half of --tile ${o.tile}`);
  if (o.adaptersAs !== 'inputs' && o.adaptersAs !== 'branches') throw new InvalidArgumentError(`--adapters-as is inputs or branches, got '${o.adaptersAs}'`);
  if (o.weights && o.preset) throw new InvalidArgumentError('give --weights or --preset, not both');
  const options: BenchOptions = {
    engines: o.engine,
    sizes: o.sizes,
    tile: o.tile,
    overlap: o.overlap,
    runs: o.runs,
    mode: o.mode,
    preset: o.preset ?? 'tiny',
    presetGiven: o.preset !== undefined,
    adaptersAs: o.adaptersAs,
  };
  if (o.weights) options.weights = o.weights;
  if (o.threads !== undefined) options.threads = o.threads;
  if (o.runBudget !== undefined) options.runBudgetSeconds = o.runBudget;
  if (o.json) options.json = o.json;
  return options;
}

/** width × height with a 4:3 aspect ratio and about `megapixels` pixels. */
export function sizeFor(megapixels: number): { width: number; height: number } {
  const height = Math.max(1, Math.round(Math.sqrt((megapixels * 1e6 * 3) / 4)));
  return { width: Math.max(1, Math.round((megapixels * 1e6) / height)), height };
}
