/**
 * Builds the next batches in the background while the engine trains on the current one. The main
 * thread is mostly idle during a step (the engine computes and updates in its own worker thread,
 * src/train/worker-engine.ts), so batch building there stays off the step's critical path as long
 * as it keeps ahead.
 *
 * Batches are keyed by step and the builder must be a pure function of the step (seeded per step,
 * e.g. `new Rng(`${seed}:${phase}:${step}`)`), so what get(k) returns does not depend on whether
 * it was prefetched, and a resumed run sees the same data stream.
 */
import type { HostBatch } from '../../train-ort/host-batch.js';

export class Prefetcher {
  private readonly pending = new Map<number, Promise<HostBatch>>();
  private closed = false;

  constructor(private readonly build: (step: number) => Promise<HostBatch>, readonly depth = 1) {
    if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`prefetch depth must be an integer ≥ 0, got ${depth}`);
  }

  /** The batch for `step` (built now if it was not prefetched); starts building step+1..step+depth. */
  get(step: number): Promise<HostBatch> {
    if (this.closed) throw new Error('Prefetcher is closed');
    const batch = this.pending.get(step) ?? this.start(step);
    // drop anything not ahead of this step (a resume or a jump makes them useless)
    for (const k of this.pending.keys()) if (k <= step || k > step + this.depth) this.pending.delete(k);
    for (let k = step + 1; k <= step + this.depth; k++) if (!this.pending.has(k)) this.start(k);
    return batch;
  }

  /** Steps whose batches are being built or ready, ascending (for tests and logs). */
  get queued(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /** Forgets prefetched batches; later get() calls fail. Builds in flight finish unobserved. */
  close(): void {
    this.closed = true;
    this.pending.clear();
  }

  private start(step: number): Promise<HostBatch> {
    const p = Promise.resolve().then(() => this.build(step));
    // a prefetched batch that fails surfaces when (if) it is asked for, never as an unhandled rejection
    p.catch(() => undefined);
    this.pending.set(step, p);
    return p;
  }
}
