/**
 * Whole-image restoration benchmark, tfjs-wasm vs ONNX Runtime, through the library's own path.
 *
 *   npm run bench:restore -- [--engine onnx,tfjs] [--sizes 1,12,50] [--tile 512] [--overlap 32]
 *     [--runs 3] [--run-budget <s>] [--mode sw] [--preset tiny | --weights <dir>]
 *     [--adapters-as inputs|branches] [--threads 2]
 *
 * For each engine × size a child process (restore-child.ts) restores a synthetic 4:3 image made in
 * memory and reports wall and CPU seconds per run and its peak RSS; this parent prints one markdown
 * report (restore-report.ts) with the machine, the load average at start and end, the model, and
 * the ONNX speed-up per size.
 *
 * Model: --weights <dir>; else a freshly initialised --preset model (backbone, one random adapter
 * per default class, estimator — random and trained weights of one architecture cost the same,
 * so it is labelled "untrained weights: timing only"); else the shipped default model if there is
 * one; else a fresh tiny model.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { initEngine } from '../tfjs/backend.js';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../model/index.js';
import { randomize } from '../model/test-helpers.js';
import { DEFAULT_ORT_THREADS } from '../ort/runtime.js';
import { defaultModelDir } from '../restore/default-model.js';
import { measure, type ChildResult, type ChildSpec } from './restore-child.js';
import { parseBenchArgs, type BenchOptions } from './restore-options.js';
import { formatReport, RESTORE_BENCH_FORMAT, type ReportContext, type ReportRow, type RestoreBenchRecord } from '../eval/restore-report.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const RESULT_PREFIX = 'RESULT ';

/** Writes a random (untrained) model folder of a preset: backbone, one adapter per default class, estimator. */
async function writeUntrainedModel(preset: string): Promise<string> {
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

/** Picks the model folder (see the file comment); `temporary` folders are deleted at the end. */
async function chooseModel(options: BenchOptions): Promise<{ dir: string; label: string; timingOnly: boolean; temporary: boolean }> {
  if (options.weights) return { dir: options.weights, label: `model folder ${options.weights}`, timingOnly: false, temporary: false };
  const shipped = defaultModelDir();
  if (!options.presetGiven && existsSync(path.join(shipped, 'backbone.safetensors'))) {
    return { dir: shipped, label: `shipped default model (${shipped})`, timingOnly: false, temporary: false };
  }
  const dir = await writeUntrainedModel(options.preset);
  return { dir, label: `freshly initialised '${options.preset}' preset, ${DEFAULT_CLASSES.length} adapters + estimator`, timingOnly: true, temporary: true };
}

/** Runs one child; its progress lines go to our stderr as they come. */
function runChild(spec: ChildSpec): Promise<ReportRow> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', self, '--child', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
        return;
      }
      const why = stderrTail.trim().split('\n').slice(-2).join(' / ') || 'no output';
      resolve({ engine: spec.engine, megapixels: spec.megapixels, error: `exit ${code ?? signal}: ${why}` });
    });
  });
}

async function parent(argv: string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  const loadStart = os.loadavg();
  const model = await chooseModel(options);
  const rows: ReportRow[] = [];
  try {
    for (const megapixels of options.sizes) {
      for (const engine of options.engines) {
        process.stderr.write(`bench:restore: ${engine}, ${megapixels} MP …\n`);
        const spec: ChildSpec = {
          engine,
          megapixels,
          modelDir: model.dir,
          tile: options.tile,
          overlap: options.overlap,
          runs: options.runs,
          mode: options.mode,
          adaptersAs: options.adaptersAs,
        };
        if (options.threads !== undefined) spec.threads = options.threads;
        if (options.runBudgetSeconds !== undefined) spec.runBudgetSeconds = options.runBudgetSeconds;
        rows.push(await runChild(spec));
      }
    }
  } finally {
    if (model.temporary) await fs.rm(model.dir, { recursive: true, force: true });
  }
  const cpus = os.cpus();
  const context: ReportContext = {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    loadStart,
    loadEnd: os.loadavg(),
    modelLabel: model.label,
    timingOnly: model.timingOnly,
    tile: options.tile,
    overlap: options.overlap,
    mode: options.mode,
    runs: options.runs,
    adaptersAs: options.adaptersAs,
    threads: options.threads ?? DEFAULT_ORT_THREADS,
  };
  process.stdout.write(`${formatReport(rows, context)}\n`);
  if (options.json) {
    const record: RestoreBenchRecord = { format: RESTORE_BENCH_FORMAT, version: 1, createdAt: new Date().toISOString(), command: `npm run bench:restore -- ${argv.join(' ')}`.trim(), context, rows };
    await writeFileAtomic(options.json, `${JSON.stringify(record, null, 2)}\n`);
    process.stderr.write(`bench:restore: wrote ${options.json}\n`);
  }
  if (rows.some((r) => 'error' in r)) process.exitCode = 1;
}

async function child(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as ChildSpec;
  const result = await measure(spec, (line) => process.stderr.write(`  ${line}\n`));
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
