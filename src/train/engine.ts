/**
 * What the training loop (runner.ts) needs from an engine, and what a phase tells it to train.
 * The runner only ever sees host values (flat Float32Arrays by parameter name, in the layout the
 * checkpoints and weight files store), so checkpoints, resume and the weight files do not depend
 * on the engine. The one production engine is ONNX Runtime (ort-engine.ts).
 */
import { UserError } from '../util/errors.js';
import type { BackboneConfig } from '../model/config.js';
import type { EstimatorConfig } from '../model/estimator.js';
import type { RestorationLoss } from '../model/config.js';
import type { AdamWOptions, HostBatch, HostTensor, OptimizerState } from '../train-ort/host-batch.js';

export type { HostBatch, HostTensor, OptimizerState };

/** The model a phase trains, with everything its engine needs to build the step. */
export type TrainModel =
  /** Phase I: the backbone + segmentation head (the head's weights are carried untrained when segWeight is 0). */
  | { phase: 'backbone'; config: BackboneConfig; seed: number | string; segWeight: number; loss: RestorationLoss }
  /** Phase II: one LoRA adapter (every LoRA target) on a frozen backbone given as host values. */
  | { phase: 'adapter'; config: BackboneConfig; frozen: Readonly<Record<string, Float32Array>>; adapter: { name: string; rank: number; alpha?: number }; seed: number; loss: RestorationLoss }
  /** Phase III: the estimator alone (labels: one column per head output). */
  | { phase: 'estimator'; config: EstimatorConfig; seed: number };

export interface EngineOptions {
  model: TrainModel;
  /** Rows per step and the patch side (the step is built for these static shapes). */
  batch: number;
  patch: number;
  optimizer: AdamWOptions;
  /** Intra-op threads. */
  threads: number;
}

interface EngineStepResult {
  loss: number;
  /** Global L2 norm of the gradient, before clipping. */
  gradNorm: number;
  /** The loss or gradient was not finite: nothing was updated. */
  skipped: boolean;
  rows: number;
}

/**
 * Held-out metrics. Restoration phases: mean PSNR (dB, RGB, output clipped to [0,1]) of the
 * output and of the input against the target; the estimator: binary cross-entropy (per label)
 * and per-label accuracy (logit > 0 equals the label).
 */
export interface ValidationResult {
  psnr?: number;
  inputPsnr?: number;
  bce?: number;
  accuracy?: number;
}

/** Every call is asynchronous, so an engine may run in another thread (worker-engine.ts). */
export interface TrainEngine {
  /** Every parameter a checkpoint of this run holds, with its shape, in file order. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  setLearningRate(lr: number): Promise<void>;
  getParams(): Promise<Record<string, Float32Array>>;
  /** Names not given keep their values; an unknown name or a wrong size throws. */
  setParams(values: Record<string, Float32Array>): Promise<void>;
  getOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(state: OptimizerState): Promise<void>;
  step(batch: HostBatch): Promise<EngineStepResult>;
  /** The metrics above at the current parameters. */
  validate(batch: HostBatch): Promise<ValidationResult>;
  dispose(): Promise<void>;
}

export type EngineFactory = (o: EngineOptions) => Promise<TrainEngine>;

const ALLOCATION = /\bbad_alloc\b|reached (its|the) memory limit|memory limit: JS heap out of memory|[Ff]ailed to allocate|[Aa]llocation failed|[Oo]ut of memory|Array buffer allocation failed|Invalid typed array length|[Cc]annot allocate memory/;

/** An error of the engine or the data pipeline that means "does not fit in memory", as one line naming the remedy; otherwise the error itself. */
export function memoryError(err: unknown, o: { batch: number; patch: number }, during: string): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!ALLOCATION.test(message)) return err;
  const size = /allocate memory for requested buffer of size (\d+)/.exec(message);
  const first = message.split('\n')[0]!.trim();
  const cause = size ? `ONNX Runtime could not allocate ${(Number(size[1]) / 2 ** 30).toFixed(2)} GiB more` : first.length > 120 ? `${first.slice(0, 117)}...` : first;
  return new UserError(`${during}: a batch of ${o.batch} × ${o.patch}² patches does not fit in memory (${cause}); lower --batch or --patch`);
}
