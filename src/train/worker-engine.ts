/**
 * The ONNX Runtime engine (ort-engine.ts) in a worker thread. onnxruntime-node runs a session
 * synchronously on the calling thread, so in the main thread a step would block the Prefetcher
 * building the next batch; here the main thread keeps building while the worker computes, as the
 * data pipeline was designed for (src/train/data/prefetcher.ts). Results are the same bits: the
 * worker runs the very same engine on copies of the same arrays.
 *
 * A UserError in the worker (a batch that does not fit, …) comes back as a UserError; a worker
 * that dies (V8 out of memory) rejects every pending call with one line.
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import { type EngineOptions, memoryError, type TrainEngine } from './engine.js';

type EngineMethod = 'create' | 'setLearningRate' | 'getParams' | 'setParams' | 'getOptimizerState' | 'setOptimizerState' | 'step' | 'validate' | 'dispose';
export interface EngineRequest {
  id: number;
  method: EngineMethod;
  args: unknown[];
}
export interface SerializedError {
  user: boolean;
  name: string;
  message: string;
  exitCode?: number;
  stack?: string;
}
export type EngineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

function revive(e: SerializedError): Error {
  if (e.user) return new UserError(e.message, e.exitCode ?? 1);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

export async function createWorkerEngine(o: EngineOptions): Promise<TrainEngine> {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: o });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let dead: unknown = null;
  const fail = (err: unknown) => {
    dead ??= memoryError(err, o, 'the training engine');
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };
  worker.on('message', (reply: EngineReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(revive(reply.error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the training engine's thread stopped (exit code ${code})`)));
  const call = <T>(method: EngineMethod, ...args: unknown[]): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies EngineRequest);
    });
  };
  let shapes: Readonly<Record<string, readonly number[]>>;
  try {
    shapes = await call('create');
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    shapes,
    setLearningRate: (lr) => call('setLearningRate', lr),
    getParams: () => call('getParams'),
    setParams: (values) => call('setParams', values),
    getOptimizerState: () => call('getOptimizerState'),
    setOptimizerState: (state) => call('setOptimizerState', state),
    step: (batch) => call('step', batch),
    validate: (batch) => call('validate', batch),
    async dispose() {
      try {
        if (!dead) await call('dispose');
      } finally {
        await worker.terminate();
      }
    },
  };
}
