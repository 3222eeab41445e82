/**
 * The training loop shared by every phase. It owns: the engine (ort-engine.ts: ONNX Runtime with
 * `threads` intra-op threads, in a worker thread: worker-engine.ts), the Prefetcher (the batch for step k is built from
 * Rng(`${seed}:${phase}:${k}`), so the data stream is a pure function of the seed and a resumed run
 * sees the same batches), the learning-rate schedule, the JSONL log, the progress bar, validation,
 * checkpoints (every N steps, at the end, and on SIGINT/SIGTERM after the running step), and
 * finally the phase's weight files, written from the engine's host values.
 *
 * Resuming (`resume: true`) loads `<out>/checkpoint.safetensors` (refusing one from a different
 * run, or one whose parameters are not this run's model), restores parameters and AdamW moments,
 * truncates the log to the checkpoint's step and continues: the per-step losses are bit-identical
 * to an uninterrupted run (tested in runner.test.ts).
 *
 * A step whose loss or gradient is not finite stops the run with one line (nothing is updated and
 * the last checkpoint stays as it was): continuing from a diverged state would only waste the run.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { createProgress, type Progress, type ProgressMode } from '../util/progress.js';
import { UserError } from '../util/errors.js';
import { removeStaleTempFiles } from '../util/atomic-write.js';
import type { Provenance } from '../model/weights.js';
import { Rng } from '../util/rng.js';
import { checkpointPath, loadCheckpoint, saveCheckpoint, type RunIdentity } from './checkpoint.js';
import { Prefetcher } from './data/index.js';
import { RunLog } from './run-log.js';
import { learningRate, validateSchedule, type LrSchedule } from './schedule.js';
import { type EngineFactory, type HostBatch, memoryError, type TrainEngine, type TrainModel } from './engine.js';
import { DEFAULT_THREADS } from './defaults.js';

type PhaseName = 'pretrain' | 'adapter' | 'estimator';

export interface RunOptions {
  phase: PhaseName;
  /** Run folder: checkpoint.safetensors and train-log.jsonl live here. */
  outDir: string;
  /** What the engine trains. */
  model: TrainModel;
  /** Settings a resumed run must share with the saved one (compared key by key). */
  identity: RunIdentity;
  /** The command's configuration, written as the log's first line and into provenance. */
  meta: Record<string, unknown>;
  steps: number;
  /** Rows per step (patches) and the patch side: the step's static shapes. */
  batch: number;
  patch: number;
  seed: number | string;
  schedule: LrSchedule;
  weightDecay?: number;
  clipNorm?: number;
  /** Intra-op threads of the engine (default DEFAULT_THREADS). */
  threads?: number;
  /** The engine (default: ONNX Runtime, createOrtEngine); tests may pass another. */
  engine?: EngineFactory;
  /** Builds the batch of 0-based step k from its own rng (every random choice from `rng`). */
  batchFor(step: number, rng: Rng): Promise<HostBatch>;
  validation?: { every: number; batch: () => Promise<HostBatch> };
  checkpointEvery: number;
  resume: boolean;
  /**
   * With resume: the run continues with a different total `steps` (the identity's `steps` may
   * differ from the checkpoint's); the learning-rate schedule follows the new length from the
   * checkpoint's step on. For shortening or lengthening a long run once its curve is known.
   */
  reschedule?: boolean;
  /** Starting values for (some of) the trainable parameters, e.g. a grown estimator. */
  initialParams?: Record<string, Float32Array>;
  /** Writes the phase's weight files from the trained values (every parameter, file order); returns their paths. */
  finish(params: Record<string, Float32Array>, provenance: Provenance): Promise<string[]>;
  progress?: ProgressMode;
  /** Install SIGINT/SIGTERM handlers that stop after the current step (default true). */
  handleSignals?: boolean;
  /** Testing aid: act as if a stop signal arrived right after this many steps. */
  stopAfter?: number;
  /** Where messages go (default stderr). */
  say?: (line: string) => void;
}

export interface RunResult {
  /** Steps completed in total (over all sessions). */
  step: number;
  /** Stopped by a signal (checkpoint written, no weight files). */
  interrupted: boolean;
  /** Losses of the steps run in this session, in order. */
  losses: number[];
  /** Weight files written (empty when interrupted). */
  outputs: string[];
  checkpoint: string;
  logFile: string;
  lastValidation?: Record<string, number | undefined>;
}

const LOG_FILE = 'train-log.jsonl';

/** The machine a run ran on, as provenance records it. */
export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()} ${os.arch()}`, node: process.version, memoryGB: Math.round(os.totalmem() / 2 ** 30) };
}

/** The first way a checkpoint's parameters differ from the engine's (names, shapes), or null. */
function parameterMismatch(saved: Record<string, number[]>, wanted: Readonly<Record<string, readonly number[]>>): string | null {
  for (const [name, shape] of Object.entries(wanted)) {
    const got = saved[name];
    if (!got) return `it lacks '${name}'`;
    if (got.join('×') !== shape.join('×')) return `'${name}' is ${got.join('×')}, the model's is ${shape.join('×')}`;
  }
  const extra = Object.keys(saved).find((name) => !(name in wanted));
  return extra ? `it holds '${extra}', which this model does not have` : null;
}

/** ONNX Runtime in a worker thread, so the next batch is built while a step runs. */
async function defaultEngine(): Promise<EngineFactory> {
  return (await import('./worker-engine.js')).createWorkerEngine;
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  validateSchedule(o.schedule);
  if (o.schedule.steps !== o.steps) throw new Error('schedule.steps must equal steps');
  const say = o.say ?? ((line: string) => process.stderr.write(line + '\n'));
  await mkdir(o.outDir, { recursive: true });
  // A run killed while writing (SIGKILL, power loss) leaves its temp file: remove those first.
  for (const file of await removeStaleTempFiles(o.outDir)) say(`removed ${file}, left by an interrupted write`);
  const ckptFile = checkpointPath(o.outDir);
  const logFile = `${o.outDir}/${LOG_FILE}`;

  const previous = o.resume ? await (async () => {
    if (!existsSync(ckptFile)) throw new UserError(`--resume: no checkpoint at ${ckptFile}`);
    const saved = await loadCheckpoint(ckptFile, o.identity, { mayDiffer: o.reschedule ? ['steps'] : [] });
    if (o.reschedule && saved.step >= o.steps) {
      throw new UserError(`--reschedule: the checkpoint is already at step ${saved.step}; choose --steps above it`);
    }
    return saved;
  })() : null;
  if (o.reschedule && !o.resume) throw new UserError('--reschedule only applies with --resume');
  if (!o.resume && existsSync(ckptFile)) {
    throw new UserError(`${o.outDir} already holds a run (${ckptFile}); add --resume to continue it, or choose another --out`);
  }

  const threads = o.threads ?? DEFAULT_THREADS;
  const createEngine = o.engine ?? (await defaultEngine());
  const trainer: TrainEngine = await createEngine({
    model: o.model,
    batch: o.batch,
    patch: o.patch,
    threads,
    optimizer: { lr: learningRate(o.schedule, 0), weightDecay: o.weightDecay ?? 0, ...(o.clipNorm ? { clipNorm: o.clipNorm } : {}) },
  });
  const shapes = Object.fromEntries(Object.entries(trainer.shapes).map(([n, s]) => [n, [...s]]));
  if (previous) {
    const mismatch = parameterMismatch(previous.shapes, shapes);
    if (mismatch) {
      await trainer.dispose();
      throw new UserError(`${ckptFile}: the checkpoint's parameters are not this run's model (${mismatch}); it cannot be resumed: start afresh with another --out`);
    }
  }
  let log: RunLog | null = null;
  let prefetcher: Prefetcher | null = null;
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let stopRequested: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = signal;
    say(`\n${signal}: finishing the current step, then writing a checkpoint…`);
  };
  if (o.handleSignals ?? true) for (const s of stopSignals) process.on(s, onSignal);

  try {
    let step = 0;
    let elapsedBefore = 0;
    let patchesSeen = 0;
    let ema: number | null = null;
    if (previous) {
      await trainer.setParams(previous.params);
      await trainer.setOptimizerState(previous.optimizer);
      step = previous.step;
      elapsedBefore = previous.progress.elapsedSec;
      patchesSeen = previous.progress.patchesSeen;
      ema = previous.progress.emaLoss;
      const resumed = RunLog.resume(logFile, previous.progress.logBytes);
      log = resumed.log;
      if (resumed.short) say(`warning: ${logFile} is shorter than the checkpoint expects; continuing it as it is`);
      say(`resuming ${o.phase} from step ${step}/${o.steps} (${ckptFile})`);
      const savedSteps = previous.run['steps'];
      if (o.reschedule && savedSteps !== o.steps) {
        log.append({ type: 'reschedule', phase: o.phase, step, fromSteps: savedSteps ?? null, toSteps: o.steps });
        say(`rescheduled: ${String(savedSteps)} → ${o.steps} steps (learning rate follows the new schedule from step ${step})`);
      }
    } else {
      if (o.initialParams) await trainer.setParams(o.initialParams);
      log = RunLog.create(logFile, { phase: o.phase, ...o.meta, identity: o.identity, engine: 'onnxruntime', threads, startedAt: new Date().toISOString() });
    }

    const sessionStart = performance.now();
    const elapsed = () => elapsedBefore + (performance.now() - sessionStart) / 1000;
    const valBatch = o.validation ? await o.validation.batch() : null;
    let lastValidation: RunResult['lastValidation'];
    const runValidation = async (atStep: number) => {
      if (!valBatch) return;
      const r = await trainer.validate(valBatch);
      lastValidation = r as Record<string, number | undefined>;
      log!.append({ type: 'val', phase: o.phase, step: atStep, ...r });
    };
    const writeCheckpoint = async (atStep: number) => {
      log!.sync();
      await saveCheckpoint(ckptFile, {
        step: atStep,
        run: o.identity,
        params: await trainer.getParams(),
        shapes,
        optimizer: await trainer.getOptimizerState(),
        progress: { elapsedSec: elapsed(), patchesSeen, logBytes: log!.bytes, emaLoss: ema },
      });
    };

    if (!previous && valBatch) await runValidation(0);
    prefetcher = new Prefetcher((k: number) => o.batchFor(k, new Rng(`${o.seed}:${o.phase}:${k}`)), 1);
    const progress: Progress = createProgress({ label: o.phase, total: o.steps, unit: 'step', mode: o.progress ?? 'auto', initial: step });
    progress.update(step);
    const losses: number[] = [];
    let interrupted = false;
    while (step < o.steps) {
      const t0 = performance.now();
      // the batch's own arrays may already be too large (a typed array's length limit, or memory)
      const batch = await prefetcher.get(step).catch((err: unknown) => {
        throw memoryError(err, o, 'building a batch');
      });
      const lr = learningRate(o.schedule, step);
      await trainer.setLearningRate(lr);
      const result = await trainer.step(batch);
      if (result.skipped) {
        progress.finish();
        throw new UserError(`step ${step + 1}: the loss or its gradient is not finite (loss ${result.loss}, gradient norm ${result.gradNorm}); training stopped, nothing updated, the checkpoint (if any) as it was: lower --lr or check the training data`);
      }
      step++;
      patchesSeen += result.rows;
      losses.push(result.loss);
      ema = ema === null ? result.loss : 0.95 * ema + 0.05 * result.loss;
      const patchesPerSec = result.rows / ((performance.now() - t0) / 1000);
      log.append({ type: 'step', phase: o.phase, step, loss: result.loss, lr, gradNorm: result.gradNorm, patchesPerSec, elapsedSec: elapsed() });
      if (o.validation && (step % o.validation.every === 0 || step === o.steps)) await runValidation(step);
      progress.setLabel(`${o.phase} loss ${ema.toPrecision(4)} ${patchesPerSec.toFixed(1)} patch/s`);
      progress.update(step);
      if (o.stopAfter !== undefined && step >= o.stopAfter && step < o.steps) stopRequested ??= 'SIGINT';
      if (stopRequested) {
        await writeCheckpoint(step);
        interrupted = true;
        break;
      }
      if (step % o.checkpointEvery === 0 || step === o.steps) await writeCheckpoint(step);
    }
    progress.finish();
    prefetcher.close();
    if (previous && previous.step >= o.steps) say(`the checkpoint is already at step ${previous.step}; writing the weights again`);

    const base: RunResult = { step, interrupted, losses, outputs: [], checkpoint: ckptFile, logFile, ...(lastValidation ? { lastValidation } : {}) };
    if (interrupted) {
      say(`stopped at step ${step}/${o.steps}; checkpoint ${ckptFile}. Continue with the same command plus --resume.`);
      return base;
    }
    const wallSec = elapsed();
    const provenance: Provenance = {
      command: o.meta.command ?? null,
      phase: o.phase,
      steps: step,
      batch: o.batch,
      patchesSeen,
      seed: o.seed,
      wallSec: Math.round(wallSec * 10) / 10,
      engine: 'onnxruntime',
      threads,
      // to the 3.6 ms: a short run on the ONNX Runtime engine would round to 0 at 0.001 CPU-h
      cpuHours: Math.round((wallSec * threads / 3600) * 1e6) / 1e6,
      machine: machineInfo(),
      ...(lastValidation ? { validation: lastValidation } : {}),
      createdAt: new Date().toISOString(),
    };
    base.outputs = await o.finish(await trainer.getParams(), provenance);
    return base;
  } finally {
    for (const s of stopSignals) process.off(s, onSignal);
    prefetcher?.close();
    log?.close();
    await trainer.dispose();
  }
}
