/**
 * Messages between the trainer (main thread) and its workers. Every request carries an id and
 * gets exactly one reply with that id, either a result or the error the worker caught.
 */
import type { BackendName } from '../backend.js';
import type { ParamLayout, ParamSpec } from '../../train-ort/param-layout.js';
import type { ResolvedAdamW } from '../../train-ort/adamw.js';
import type { HostBatch } from './types.js';

/** The buffers all workers share: the canonical parameters, AdamW moments, gradients. */
export interface SharedBuffers {
  params: SharedArrayBuffer;
  m: SharedArrayBuffer;
  v: SharedArrayBuffer;
  /** The averaged (not yet clipped) gradient. */
  grad: SharedArrayBuffer;
  /** One gradient slot per worker, back to back: worker k owns floats [k·total, (k+1)·total). */
  slots: SharedArrayBuffer;
}

export type Request =
  | { type: 'init'; module: string; exportName: string; config: unknown; backend: BackendName }
  | { type: 'attach'; shared: SharedBuffers; layout: ParamLayout; workers: number; exportParams: boolean }
  /** Loss (and, unless lossOnly, gradients into this worker's slot) on one shard. */
  | { type: 'grad'; paramsVersion: number; shard: HostBatch; lossOnly: boolean; microBatch: number | null }
  | { type: 'reduce'; weights: number[]; range: [number, number] }
  | { type: 'update'; range: [number, number]; opt: ResolvedAdamW; step: number; scale: number };

export interface InitResult { specs: ParamSpec[] }
export interface GradResult { loss: number }
export interface ReduceResult { sumSq: number }

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; stack?: string } };
