/**
 * Whole-image restoration benchmark through the library's own path, comparing models (weights
 * folders) on ONNX Runtime, e.g. a new model against the shipped one at 12 MP:
 *
 *   npm run bench:restore -- [--weights a,b,…] [--sizes 1,12,50] [--tile 512] [--overlap 32]
 *     [--runs 3] [--run-budget <s>] [--mode sw] [--runtime node|wasm] [--threads 2]
 *
 * Each timed run is a child process of its own (restore-child.ts: load, warm-up, one restore of a
 * synthetic 4:3 image made in memory), and the models' runs are interleaved (run 1 of a, run 1 of
 * b, run 2 of a, …), so a change in the machine's load hits every model alike. This parent prints
 * one markdown report (restore-report.ts) with the machine, the load average at start and end, the
 * models, the median per model × size and each model's time against the first one's.
 *
 * Models: folders, `default` (the shipped model) or `preset:<name>`, a freshly initialised model
 * (backbone, one random adapter per default class, estimator — random and trained weights of one
 * architecture cost the same, so it is labelled "untrained weights: timing only"). Without
 * --weights: the shipped model if there is one, else preset:tiny.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { DEFAULT_ORT_THREADS } from '../ort/runtime.js';
import { defaultModelDir } from '../restore/default-model.js';
import { measure, type ChildResult, type ChildSpec } from './restore-child.js';
import { modelLabel, parseBenchArgs, type BenchModelSpec } from './restore-options.js';
import { formatReport, isFailed, median, RESTORE_BENCH_FORMAT, type FailedRow, type ReportContext, type ReportRow, type RestoreBenchRecord } from '../eval/restore-report.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const RESULT_PREFIX = 'RESULT ';

/** Writes a random (untrained) model folder of a preset: backbone, one adapter per default class, estimator. */
async function writeUntrainedModel(preset: string): Promise<string> {
  // Making weights is the model's (tfjs) side; restoring them below is not, so tfjs loads only here.
  const { initEngine } = await import('../tfjs/backend.js');
  const { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } = await import('../model/index.js');
  const { randomize } = await import('../model/test-helpers.js');
  const config = presetConfig(preset);
  await initEngine({ backend: 'wasm' });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-bench-model-'));
  const base = createBackbone(config, 1);
  await saveBackbone(dir, config, base, { preset, provenance: { note: 'untrained weights: timing only' } });
  disposeParams(base);
  for (const [i, name] of DEFAULT_CLASSES.entries()) {
    const adapter = createAdapter(name, loraTargets(config), { seed: i });
    randomize(adapter.params, '.B', 0.01, i); // non-zero B, so the merge does real work
    await saveAdapter(dir, adapter, config);
    disposeParams(adapter.params);
  }
  const estConfig = estimatorConfig([...DEFAULT_CLASSES]);
  const est = createEstimator(estConfig);
  await saveEstimator(dir, estConfig, est);
  disposeParams(est);
  return dir;
}

interface ChosenModel {
  label: string;
  dir: string;
  /** what the report says about it */
  description: string;
  timingOnly: boolean;
  temporary: boolean;
}

/** The model folder a --weights entry stands for; `temporary` folders are deleted at the end. */
async function chooseModel(spec: BenchModelSpec): Promise<ChosenModel> {
  const label = modelLabel(spec);
  if (spec.kind === 'folder') {
    if (!existsSync(path.join(spec.dir, 'backbone.safetensors'))) throw new Error(`--weights ${spec.dir}: no backbone.safetensors there`);
    return { label, dir: spec.dir, description: `${label}: model folder`, timingOnly: false, temporary: false };
  }
  if (spec.kind === 'default') {
    const dir = defaultModelDir();
    if (!existsSync(path.join(dir, 'backbone.safetensors'))) throw new Error(`--weights default: no shipped model (no backbone.safetensors in ${dir})`);
    return { label, dir, description: `${label}: shipped default model`, timingOnly: false, temporary: false };
  }
  const dir = await writeUntrainedModel(spec.preset);
  return { label, dir, description: `${label}: freshly initialised '${spec.preset}' preset, ${DEFAULT_CLASSES.length} adapters + estimator`, timingOnly: true, temporary: true };
}

/** Runs one child; its progress lines go to our stderr as they come. */
function runChild(spec: ChildSpec): Promise<(ChildResult & { ortPackage?: string }) | FailedRow> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [self, '--child', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-2000);
    });
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) {
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult & { ortPackage: string });
        return;
      }
      const why = stderrTail.trim().split('\n').slice(-2).join(' / ') || 'no output';
      resolve({ model: spec.model, megapixels: spec.megapixels, error: `exit ${code ?? signal}: ${why}` });
    });
  });
}

/** The runs of one model × size as one row: every run's times, the median load, the highest RSS. */
function mergeRuns(runs: readonly ChildResult[]): ChildResult {
  const first = runs[0]!;
  return {
    ...first,
    seconds: runs.flatMap((r) => r.seconds),
    cpuSeconds: runs.flatMap((r) => r.cpuSeconds),
    loadSeconds: median(runs.map((r) => r.loadSeconds)),
    rssLoadedMiB: Math.max(...runs.map((r) => r.rssLoadedMiB)),
    rssDuringTilesMiB: Math.max(...runs.map((r) => r.rssDuringTilesMiB)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

async function parent(argv: string[]): Promise<void> {
  const shipped = existsSync(path.join(defaultModelDir(), 'backbone.safetensors'));
  const options = parseBenchArgs(argv, shipped ? { kind: 'default' } : { kind: 'preset', preset: 'tiny' });
  const loadStart = os.loadavg();
  const models: ChosenModel[] = [];
  const rows: ReportRow[] = [];
  const packages = new Set<string>();
  try {
    for (const spec of options.models) models.push(await chooseModel(spec));
    for (const megapixels of options.sizes) {
      const done = new Map<string, ChildResult[]>(models.map((m) => [m.label, []]));
      const failed = new Map<string, FailedRow>();
      for (let run = 0; run < options.runs; run++) {
        for (const model of models) {
          const runs = done.get(model.label)!;
          if (failed.has(model.label)) continue;
          const spent = runs.reduce((sum, r) => sum + r.seconds[0]!, 0);
          if (run > 0 && options.runBudgetSeconds !== undefined && spent + runs.at(-1)!.seconds[0]! > options.runBudgetSeconds) continue;
          process.stderr.write(`bench:restore: ${model.label}, ${megapixels} MP, run ${run + 1}/${options.runs} …\n`);
          const spec: ChildSpec = { model: model.label, modelDir: model.dir, megapixels, tile: options.tile, overlap: options.overlap, mode: options.mode };
          if (options.runtime) spec.runtime = options.runtime;
          if (options.threads !== undefined) spec.threads = options.threads;
          const result = await runChild(spec);
          if (isFailed(result)) {
            failed.set(model.label, result);
            continue;
          }
          if (result.ortPackage) packages.add(result.ortPackage);
          delete result.ortPackage;
          process.stderr.write(`  ${result.seconds[0]!.toFixed(1)} s wall, ${result.cpuSeconds[0]!.toFixed(1)} s CPU\n`);
          runs.push(result);
        }
      }
      for (const model of models) {
        const runs = done.get(model.label)!;
        rows.push(runs.length > 0 ? mergeRuns(runs) : failed.get(model.label)!);
      }
    }
  } finally {
    for (const model of models) if (model.temporary) await fs.rm(model.dir, { recursive: true, force: true });
  }
  const cpus = os.cpus();
  const context: ReportContext = {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    loadStart,
    loadEnd: os.loadavg(),
    modelLabel: models.map((m) => m.description).join('; '),
    timingOnly: models.every((m) => m.timingOnly),
    tile: options.tile,
    overlap: options.overlap,
    mode: options.mode,
    runs: options.runs,
    threads: options.threads ?? DEFAULT_ORT_THREADS,
    ortPackage: [...packages].join(', ') || 'ONNX Runtime',
    models: models.map((m) => m.label),
  };
  process.stdout.write(`${formatReport(rows, context)}\n`);
  if (options.json) {
    const record: RestoreBenchRecord = { format: RESTORE_BENCH_FORMAT, version: 2, createdAt: new Date().toISOString(), command: `npm run bench:restore -- ${argv.join(' ')}`.trim(), context, rows };
    await writeFileAtomic(options.json, `${JSON.stringify(record, null, 2)}\n`);
    process.stderr.write(`bench:restore: wrote ${options.json}\n`);
  }
  if (rows.some((r) => 'error' in r)) process.exitCode = 1;
}

async function child(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as ChildSpec;
  const result = await measure(spec);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  // The ONNX worker and wasm threads must not keep the child alive.
  process.exit(0);
}

const argv = process.argv.slice(2);
const work = argv[0] === '--child' ? child(argv[1]!) : parent(argv);
work.catch((err: unknown) => {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.stderr.write(`bench:restore: ${err.message.replace(/^error: /, '')} (run with --help for usage)\n`);
    process.exit(2);
  }
  process.stderr.write(`bench:restore: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
