/**
 * Synchronous ONNX Runtime calls. A RestorationEngine's restoreTile is synchronous (the tiler calls
 * it inside tf.tidy), but onnxruntime-node only offers an async `run`. So the sessions live in a
 * worker thread and the caller blocks on a shared flag (Atomics.wait) until the worker has posted
 * the result, which it then takes with receiveMessageOnPort. The extra cost is one copy of the
 * tile in and out (≈3 MB for 512², well under a millisecond next to the network).
 *
 * `runAsync` is the same call without blocking: it polls the flag every few milliseconds, so an
 * AbortSignal is honoured at once, mid-tile. The worker's run cannot be stopped, so its late reply
 * is then owed: the next call first waits for it and throws it away.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { DEFAULT_ORT_THREADS } from './runtime.js';

export interface HostTensor {
  data: Float32Array;
  dims: number[];
}

export type RunnerRequest =
  | { kind: 'load'; session: string; model: Uint8Array; threads: number }
  | { kind: 'run'; session: string; feeds: Record<string, HostTensor>; fetch: string[] };

export type RunnerReply = { ok: true; outputs: Record<string, HostTensor> } | { ok: false; error: string };

/** Longest a single call may block (a 12 MP tile-free run of the restormer preset stays far below). */
const CALL_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * Blocks until flag[0] is non-zero; false on timeout. A wake-up alone is not an answer: the worker
 * sets the flag, then notifies, and when this thread saw the flag before that notify ran (the wait
 * returned 'not-equal'), the late notify wakes the wait of the NEXT call while its flag is still 0.
 * Under CPU contention this happened (a held-out bench failed with "answered without a result"),
 * so the flag itself is checked after every wake-up.
 */
export function waitForFlag(flag: Int32Array, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(flag, 0) === 0) {
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.wait(flag, 0, 0, left) === 'timed-out') return Atomics.load(flag, 0) !== 0;
  }
  return true;
}

/** How often runAsync looks at the flag (a tile takes hundreds of milliseconds or more). */
const POLL_MS = 4;

export class SyncOrtRunner {
  private readonly worker: Worker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly channel = new MessageChannel();
  private closed = false;
  /** a reply is still due from a call whose caller stopped waiting (aborted) */
  private owed = false;
  /** a runAsync call is waiting; calls do not overlap */
  private busy = false;

  constructor(private readonly threads = DEFAULT_ORT_THREADS) {
    this.worker = new Worker(new URL('./ort-worker.js', import.meta.url), {
      workerData: { flag: this.flag, reply: this.channel.port2 },
      transferList: [this.channel.port2],
    });
    this.worker.unref(); // an idle runner must not keep the process alive
  }

  /** Takes the reply now available on the port. */
  private take(): Record<string, HostTensor> {
    const message = receiveMessageOnPort(this.channel.port1)?.message as RunnerReply | undefined;
    if (!message) throw new Error('ONNX Runtime worker answered without a result');
    if (!message.ok) throw new Error(message.error);
    return message.outputs;
  }

  /** Blocks until an abandoned call's reply has come, and drops it. */
  private settleOwed(): void {
    if (!this.owed) return;
    if (!waitForFlag(this.flag, CALL_TIMEOUT_MS)) throw new Error('ONNX Runtime worker did not answer');
    receiveMessageOnPort(this.channel.port1);
    this.owed = false;
  }

  private call(request: RunnerRequest): Record<string, HostTensor> {
    if (this.closed) throw new Error('this ONNX runner has been closed');
    if (this.busy) throw new Error('ONNX runner: a call is already in progress');
    this.settleOwed();
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage(request);
    if (!waitForFlag(this.flag, CALL_TIMEOUT_MS)) throw new Error('ONNX Runtime worker did not answer');
    return this.take();
  }

  /** Resolves when the flag is set; rejects with signal.reason as soon as the signal aborts. */
  private waitAsync(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + CALL_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const check = () => {
        if (Atomics.load(this.flag, 0) !== 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        } else if (performance.now() > deadline) {
          signal?.removeEventListener('abort', onAbort);
          reject(new Error('ONNX Runtime worker did not answer'));
        } else {
          timer = setTimeout(check, POLL_MS);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /** `run` without blocking the thread; an abort rejects at once (see the file comment). */
  async runAsync(session: string, feeds: Record<string, HostTensor>, fetch: string[], signal?: AbortSignal): Promise<Record<string, HostTensor>> {
    if (this.closed) throw new Error('this ONNX runner has been closed');
    if (this.busy) throw new Error('ONNX runner: a call is already in progress');
    signal?.throwIfAborted();
    this.busy = true;
    try {
      if (this.owed) {
        await this.waitAsync(signal);
        receiveMessageOnPort(this.channel.port1);
        this.owed = false;
      }
      Atomics.store(this.flag, 0, 0);
      this.worker.postMessage({ kind: 'run', session, feeds, fetch } satisfies RunnerRequest);
      this.owed = true;
      await this.waitAsync(signal);
      this.owed = false;
      return this.take();
    } finally {
      this.busy = false;
    }
  }

  /** Creates (or replaces) session `session` from a serialised model. */
  load(session: string, model: Uint8Array): void {
    this.call({ kind: 'load', session, model, threads: this.threads });
  }

  run(session: string, feeds: Record<string, HostTensor>, fetch: string[]): Record<string, HostTensor> {
    return this.call({ kind: 'run', session, feeds, fetch });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.port1.close();
    void this.worker.terminate();
  }
}
