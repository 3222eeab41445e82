/**
 * Main-thread side of one worker: request/reply by id, and turning a crash or an exit of the
 * worker into rejections of whatever was waiting on it (so the trainer never hangs).
 */
import { Worker } from 'node:worker_threads';
import type { Reply, Request } from './protocol.js';

export class WorkerHandle {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** Set once the worker died; every later request fails with it. */
  private dead: Error | null = null;
  private terminating = false;

  constructor(script: URL, readonly index: number) {
    this.worker = new Worker(script, { workerData: { index } });
    // An idle worker must not keep the process alive (a trainer that was never disposed would
    // otherwise hang the program at its end); it is ref'd only while a request is in flight.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.onReply(reply));
    this.worker.on('error', (err: Error) => this.fail(new Error(`worker ${index} crashed: ${err.message}`)));
    this.worker.on('exit', (code: number) => {
      this.fail(new Error(this.terminating ? `worker ${index} was terminated` : `worker ${index} exited with code ${code}`));
    });
  }

  request<T>(req: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, req }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    await this.worker.terminate();
  }

  private onReply(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) p.resolve(reply.result);
    else {
      const err = new Error(`worker ${this.index}: ${reply.error.message}`);
      if (reply.error.stack) err.stack = `${err.message}\n--- in worker ${this.index} ---\n${reply.error.stack}`;
      p.reject(err);
    }
  }

  private fail(err: Error): void {
    if (!this.dead) this.dead = err;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}
