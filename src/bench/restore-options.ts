/**
 * Command-line options of the restoration benchmark (src/bench/restore.ts), parsed with commander
 * so the script has a real --help and rejects nonsense before any model is built.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ORT_RUNTIMES, type OrtRuntime } from '../ort/runtime.js';

/** What `--weights` names: a model folder, the shipped default model, or a fresh model of a preset. */
export type BenchModelSpec = { kind: 'folder'; dir: string } | { kind: 'default' } | { kind: 'preset'; preset: string };

interface BenchOptions {
  /** the models to compare, in order (the first is the baseline of the ratios) */
  models: BenchModelSpec[];
  /** image sizes in megapixels */
  sizes: number[];
  tile: number;
  overlap: number;
  /** timed runs per (model, size), interleaved across the models */
  runs: number;
  /** stop adding runs to one (model, size) once its timed runs have taken this many seconds (≥ 1 run always) */
  runBudgetSeconds?: number;
  /** restore mode passed to the restorer ('sw', 'oh', 'adapter:<name>', …) */
  mode: string;
  /** ONNX Runtime package (default: onnxruntime-node, else wasm) */
  runtime?: OrtRuntime;
  /** ONNX Runtime intra-op threads (default 2) */
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

/** `a,b,…`: model folders, `default` (the shipped model) or `preset:<name>` (fresh, untrained: timing only). */
function parseModels(text: string): BenchModelSpec[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new InvalidArgumentError(`--weights needs model folders, 'default' or 'preset:<name>', comma-separated, got '${text}'`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`--weights names a model twice: '${text}'`);
  return names.map((name): BenchModelSpec => {
    if (name === 'default') return { kind: 'default' };
    if (name.startsWith('preset:')) {
      const preset = name.slice('preset:'.length);
      if (!preset) throw new InvalidArgumentError(`--weights: '${name}' names no preset`);
      return { kind: 'preset', preset };
    }
    return { kind: 'folder', dir: name };
  });
}

function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((s) => !Number.isFinite(s) || s <= 0)) throw new InvalidArgumentError(`sizes are positive megapixel counts, e.g. 1,12,50; got '${text}'`);
  return sizes;
}

/** The label of a model in the report. */
export function modelLabel(spec: BenchModelSpec): string {
  return spec.kind === 'folder' ? spec.dir : spec.kind === 'default' ? 'default' : `preset:${spec.preset}`;
}

/** The commander program of the benchmark (parent side); `--child` is internal. */
function benchProgram(): Command {
  return new Command()
    .name('bench:restore')
    .description(
      'Whole-image restoration benchmark: for each model × size, restores a synthetic image through createRestorer ' +
        '(estimator, adapter merge, tiles, blending), each run in a child process of its own with the models\' runs interleaved, ' +
        'and reports median s/MP, CPU-s/MP, peak RSS and each model against the first as a markdown table.',
    )
    .option('--weights <list>', "models to compare, comma-separated: model folders, 'default' (the shipped model) or 'preset:<name>' (fresh, untrained: timing only)", parseModels)
    .option('--sizes <list>', 'image sizes in megapixels (4:3)', parseSizes, [1, 12, 50])
    .option('--tile <pixels>', 'tile side', positiveInteger, 512)
    .option('--overlap <pixels>', 'overlap between tiles (at most tile / 2)', nonNegativeInteger, 32)
    .option('--runs <n>', 'timed runs per model × size (median reported)', positiveInteger, 3)
    .option('--run-budget <seconds>', 'stop adding runs to one model × size when the next would take its timed wall time past this (at least one run; default: no limit)', positiveNumber)
    .option('--mode <mode>', "restore mode: sw, oh, adapter:<name>, weights:<name>=<w>,…", 'sw')
    .option('--runtime <name>', 'ONNX Runtime package: node or wasm (default: node, else wasm)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default 2)', positiveInteger)
    .option('--json <file>', 'also write the measurements as JSON (abair eval --results-md … --json-in <file> puts them in docs/results.md)')
    .addHelpText(
      'after',
      "\nDefault model: the shipped one if there is one, else preset:tiny.\n" +
        'Example: npm run bench:restore -- --weights runs/new,default --sizes 12 --runs 3',
    );
}

/** Parses the parent's argv (without node and script) into BenchOptions; throws on bad input. */
export function parseBenchArgs(argv: string[], defaultModel: BenchModelSpec = { kind: 'default' }): BenchOptions {
  const program = benchProgram().exitOverride().configureOutput({ writeErr: () => undefined });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    weights?: BenchModelSpec[];
    sizes: number[];
    tile: number;
    overlap: number;
    runs: number;
    runBudget?: number;
    mode: string;
    runtime?: string;
    threads?: number;
    json?: string;
  }>();
  if (2 * o.overlap > o.tile) throw new InvalidArgumentError(`--overlap ${o.overlap} is more than half of --tile ${o.tile}`);
  if (o.runtime !== undefined && !ORT_RUNTIMES.includes(o.runtime as OrtRuntime)) throw new InvalidArgumentError(`--runtime is ${ORT_RUNTIMES.join(' or ')}, got '${o.runtime}'`);
  const options: BenchOptions = {
    models: o.weights ?? [defaultModel],
    sizes: o.sizes,
    tile: o.tile,
    overlap: o.overlap,
    runs: o.runs,
    mode: o.mode,
  };
  if (o.runtime) options.runtime = o.runtime as OrtRuntime;
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
