/**
 * Synchronous ONNX Runtime calls. A RestorationEngine's restoreTile is synchronous (the tiler calls
 * it inside tf.tidy), but onnxruntime-node only offers an async `run`. So the sessions live in a
 * worker thread and the caller blocks on a shared flag (Atomics.wait) until the worker has posted
 * the result, which it then takes with receiveMessageOnPort. The extra cost is one copy of the
 * tile in and out (≈3 MB for 512², well under a millisecond next to the network).
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

export class SyncOrtRunner {
  private readonly worker: Worker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly channel = new MessageChannel();
  private closed = false;

  constructor(private readonly threads = DEFAULT_ORT_THREADS) {
    this.worker = new Worker(new URL('./ort-worker.js', import.meta.url), {
      workerData: { flag: this.flag, reply: this.channel.port2 },
      transferList: [this.channel.port2],
    });
    this.worker.unref(); // an idle runner must not keep the process alive
  }

  private call(request: RunnerRequest): Record<string, HostTensor> {
    if (this.closed) throw new Error('this ONNX runner has been closed');
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage(request);
    if (!waitForFlag(this.flag, CALL_TIMEOUT_MS)) throw new Error('ONNX Runtime worker did not answer');
    const message = receiveMessageOnPort(this.channel.port1)?.message as RunnerReply | undefined;
    if (!message) throw new Error('ONNX Runtime worker answered without a result');
    if (!message.ok) throw new Error(message.error);
    return message.outputs;
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
