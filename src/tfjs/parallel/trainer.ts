/**
 * Data-parallel training over worker_threads. tfjs-wasm runs one thread per instance, so every
 * worker owns its own engine and a full model replica; a step shards the batch by rows, each
 * worker writes its shard's gradient into a shared slot, the slots are averaged (weighted by
 * rows, in slot order) and the AdamW update runs on the shared parameter vector, each worker on
 * its own contiguous slice. Replicas then reload the shared parameters, so they hold the same
 * bits without anyone broadcasting weights, and the result does not depend on the worker count
 * beyond float summation order inside each shard's gradient.
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BackendName } from '../backend.js';
import { clipScale, resolveAdamW, type ResolvedAdamW } from '../../train-ort/adamw.js';
import { assertSameSpecs, buildLayout, pack, splitRange, unpack, type ParamLayout } from '../../train-ort/param-layout.js';
import type { GradResult, InitResult, ReduceResult, SharedBuffers } from './protocol.js';
import { batchRows, shardSizes, sliceRows } from '../../train-ort/host-batch.js';
import type { AdamWOptions, HostBatch, OptimizerState, StepResult } from './types.js';
import { WorkerHandle } from './worker-handle.js';

interface DataParallelOptions<C = unknown> {
  /** Path or file: URL of the ES module that exports the model factory. */
  module: string | URL;
  /** Name of the factory export (default 'createTrainable'). */
  exportName?: string;
  /** Passed to the factory in every worker; must survive structured cloning. */
  config?: C;
  /** Number of workers (default: available CPU cores). 1 runs the very same code path. */
  workers?: number;
  /** Engine inside the workers (default 'wasm'; 'cpu' is the slow JS reference). */
  backend?: Exclude<BackendName, 'webgl'>;
  optimizer: AdamWOptions;
  /**
   * Most rows one forward/backward pass takes; a larger shard is processed in micro-batches whose
   * gradients are accumulated (bounds activation memory; default: the whole shard at once).
   */
  microBatch?: number;
  /** Skip the update (and count no step) when the loss or gradient norm is NaN/Inf (default true). */
  skipNonFinite?: boolean;
}

const WORKER_SCRIPT = new URL('./worker.js', import.meta.url);

export class DataParallelTrainer {
  private opt: ResolvedAdamW;
  private updates = 0;
  /** Bumped whenever the shared parameters change, so replicas know to reload them. */
  private paramsVersion = 1;
  private busy = false;
  private disposed = false;
  private readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly ranges: Array<[number, number]>;

  private constructor(
    private readonly handles: WorkerHandle[],
    readonly layout: ParamLayout,
    shared: SharedBuffers,
    opt: ResolvedAdamW,
    private readonly skipNonFinite: boolean,
    private readonly microBatch: number | null,
  ) {
    this.opt = opt;
    this.params = new Float32Array(shared.params);
    this.m = new Float32Array(shared.m);
    this.v = new Float32Array(shared.v);
    this.ranges = splitRange(layout.total, handles.length);
  }

  /** Starts the workers, builds a replica in each and copies worker 0's initial parameters to all. */
  static async create<C>(options: DataParallelOptions<C>): Promise<DataParallelTrainer> {
    const n = options.workers ?? availableParallelism();
    const micro = options.microBatch ?? null;
    if (micro !== null && !(Number.isInteger(micro) && micro >= 1)) throw new Error(`microBatch must be a positive integer, got ${micro}`);
    if (!Number.isInteger(n) || n < 1) throw new Error(`workers must be a positive integer, got ${n}`);
    const opt = resolveAdamW(options.optimizer);
    const module = options.module instanceof URL ? options.module.href : pathToFileURL(String(options.module)).href;
    const handles = Array.from({ length: n }, (_, k) => new WorkerHandle(WORKER_SCRIPT, k));
    try {
      const inits = await settleAll(handles.map((h) => h.request<InitResult>({
        type: 'init',
        module,
        exportName: options.exportName ?? 'createTrainable',
        config: options.config,
        backend: options.backend ?? 'wasm',
      })));
      inits.forEach((r, k) => assertSameSpecs(inits[0].specs, r.specs, `worker ${k}`));
      const layout = buildLayout(inits[0].specs);
      const bytes = layout.total * 4;
      const shared: SharedBuffers = {
        params: new SharedArrayBuffer(bytes),
        m: new SharedArrayBuffer(bytes),
        v: new SharedArrayBuffer(bytes),
        grad: new SharedArrayBuffer(bytes),
        slots: new SharedArrayBuffer(bytes * n),
      };
      await settleAll(handles.map((h, k) => h.request({ type: 'attach', shared, layout, workers: n, exportParams: k === 0 })));
      return new DataParallelTrainer(handles, layout, shared, opt, options.skipNonFinite ?? true, micro);
    } catch (err) {
      await Promise.all(handles.map((h) => h.terminate()));
      throw err;
    }
  }

  get workerCount(): number {
    return this.handles.length;
  }

  get paramNames(): string[] {
    return this.layout.entries.map((e) => e.name);
  }

  /** Total number of trainable scalars. */
  get paramCount(): number {
    return this.layout.total;
  }

  /** Number of updates applied so far (AdamW's t). */
  get stepCount(): number {
    return this.updates;
  }

  get learningRate(): number {
    return this.opt.lr;
  }

  setLearningRate(lr: number): void {
    this.opt = resolveAdamW({ ...this.opt, clipNorm: this.opt.clipNorm ?? undefined, lr });
  }

  /** One optimisation step on `batch` (split by rows across the workers). */
  step(batch: HostBatch): Promise<StepResult> {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const { rows, sizes, losses } = await this.shardedLoss(batch, false);
      const weights = sizes.map((s) => s / rows);
      const loss = losses.reduce((acc, l, k) => acc + weights[k] * l, 0);
      const t1 = performance.now();

      const parts = await settleAll(this.handles.map((h, k) =>
        h.request<ReduceResult>({ type: 'reduce', weights, range: this.ranges[k] })));
      const gradNorm = Math.sqrt(parts.reduce((acc, p) => acc + p.sumSq, 0));
      const t2 = performance.now();

      const skipped = this.skipNonFinite && !(Number.isFinite(loss) && Number.isFinite(gradNorm));
      if (!skipped) {
        const step = this.updates + 1;
        const scale = clipScale(gradNorm, this.opt.clipNorm);
        await settleAll(this.handles.map((h, k) =>
          h.request({ type: 'update', range: this.ranges[k], opt: this.opt, step, scale })));
        this.updates = step;
        this.paramsVersion++;
      }
      const t3 = performance.now();
      return { loss, gradNorm, skipped, rows, ms: { grad: t1 - t0, reduce: t2 - t1, update: t3 - t2, total: t3 - t0 } };
    });
  }

  /** The batch loss with the current parameters, without gradients or an update. */
  evalLoss(batch: HostBatch): Promise<number> {
    return this.exclusive(async () => {
      const { rows, sizes, losses } = await this.shardedLoss(batch, true);
      return losses.reduce((acc, l, k) => acc + (sizes[k] / rows) * l, 0);
    });
  }

  /** Copies of the current parameters by name (the shared copy every replica loads from). */
  getParams(): Record<string, Float32Array> {
    this.assertIdle();
    return unpack(this.layout, this.params);
  }

  /** Overwrites the named parameters in every replica (names not given keep their values). */
  setParams(values: Record<string, ArrayLike<number>>): void {
    this.assertIdle();
    pack(this.layout, values, this.params);
    this.paramsVersion++;
  }

  getOptimizerState(): OptimizerState {
    this.assertIdle();
    return { step: this.updates, m: unpack(this.layout, this.m), v: unpack(this.layout, this.v) };
  }

  /** Restores moments saved by getOptimizerState (all parameters must be present). */
  setOptimizerState(state: OptimizerState): void {
    this.assertIdle();
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`invalid optimizer step ${state.step}`);
    for (const which of [state.m, state.v]) {
      const missing = this.paramNames.filter((n) => !(n in which));
      if (missing.length) throw new Error(`optimizer state lacks ${missing.join(', ')}`);
    }
    pack(this.layout, state.m, this.m);
    pack(this.layout, state.v, this.v);
    this.updates = state.step;
  }

  /** Terminates the workers (idempotent); the trainer is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.handles.map((h) => h.terminate()));
  }

  private async shardedLoss(batch: HostBatch, lossOnly: boolean): Promise<{ rows: number; sizes: number[]; losses: number[] }> {
    const rows = batchRows(batch);
    const sizes = shardSizes(rows, this.handles.length);
    let start = 0;
    const requests = this.handles.map((h, k) => {
      const count = sizes[k];
      const begin = start;
      start += count;
      // fewer rows than workers: the idle ones contribute weight 0 and are not asked
      if (count === 0) return Promise.resolve({ loss: 0 });
      const shard = sliceRows(batch, begin, count);
      const transfer = Object.values(shard).map((t) => t.data.buffer as ArrayBuffer);
      return h.request<GradResult>({ type: 'grad', paramsVersion: this.paramsVersion, shard, lossOnly, microBatch: this.microBatch }, transfer);
    });
    const results = await settleAll(requests);
    return { rows, sizes, losses: results.map((r) => r.loss) };
  }

  private assertIdle(): void {
    if (this.disposed) throw new Error('DataParallelTrainer used after dispose()');
    if (this.busy) throw new Error('DataParallelTrainer is busy: await the running step first');
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.assertIdle();
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}

/**
 * Like Promise.all, but waits for every request to settle before rejecting (with the lowest
 * worker's error), so no reply of an aborted phase can arrive during the next one.
 */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
