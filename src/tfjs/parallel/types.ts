/**
 * Public types of the data-parallel trainer: what a model module must export, how a batch is
 * handed over, and what the optimizer and a step look like.
 */
import type { tf } from '../backend.js';

/**
 * A model replica as built inside each worker by the model module's factory.
 *
 * `params` are the trainable float32 variables (anything frozen lives inside the closure and must
 * come out identical in every worker, e.g. loaded from a file or built from a fixed seed).
 * `loss` must return the MEAN over the batch's rows (first dimension of every batch entry): the
 * trainer weights shard losses and gradients by shard rows, which then equals the full-batch mean.
 */
export interface Trainable {
  params: Record<string, tf.Variable>;
  loss(batch: Record<string, tf.Tensor>): tf.Scalar;
  /** Which params get AdamW weight decay; default: rank >= 2 (weights, not biases or norm scales). */
  decays?(name: string, shape: readonly number[]): boolean;
}

/** What a model module exports (by default under the name `createTrainable`). */
export type TrainableFactory<C = unknown> = (config: C) => Trainable | Promise<Trainable>;

export type { AdamWOptions, HostBatch, OptimizerState } from '../../train-ort/host-batch.js';

export interface StepResult {
  /** Row-weighted mean of the shard losses = the full-batch loss. */
  loss: number;
  /** Global L2 norm of the averaged gradient, before clipping. */
  gradNorm: number;
  /** The update was skipped because the loss or gradient was not finite. */
  skipped: boolean;
  rows: number;
  /** Wall-clock milliseconds of each phase, as seen by the main thread. */
  ms: { grad: number; reduce: number; update: number; total: number };
}
