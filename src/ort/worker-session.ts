/**
 * ONNX Runtime sessions in a worker thread, as OnnxSession (src/restore/onnx-runner.ts). Both
 * packages run a graph on the calling thread: onnxruntime-node's `run` is a synchronous native call
 * behind a promise, and onnxruntime-web's wasm build computes on the JS thread. In a worker the
 * main thread stays free while a tile runs, so an abort (Ctrl-C, a closed pipe, a signal) is
 * honoured at once, mid-tile, and progress output keeps flowing. The cost is one copy of the tile
 * in and out (≈3 MB for 512², well under a millisecond next to the network).
 *
 * The worker holds the process open only while a request is pending.
 */
import { Worker } from 'node:worker_threads';
import type { OnnxSession, OnnxTensor } from '../restore/onnx-runner.js';
import { DEFAULT_ORT_THREADS, type OrtRuntime } from './runtime.js';

interface HostTensor {
  data: Float32Array;
  dims: number[];
}

export type WorkerRequest =
  | { id: number; kind: 'load'; session: number; model: Uint8Array; threads: number }
  | { id: number; kind: 'run'; session: number; feeds: Record<string, HostTensor>; fetch: string[] }
  | { id: number; kind: 'release'; session: number };

export type WorkerReply =
  | { id: number; ok: true; outputs: Record<string, HostTensor>; inputNames?: string[]; outputNames?: string[] }
  | { id: number; ok: false; error: string };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A float32 tensor as the worker takes it (plain data and dims: it crosses the thread by structured clone). */
export function hostTensor(data: Float32Array, dims: readonly number[]): OnnxTensor {
  return { data, dims: [...dims] };
}

export class OrtWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply & { ok: true }) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private nextSession = 1;
  private closed = false;

  /** `runtime`: which ONNX Runtime package the worker loads (src/ort/runtime.ts; default: node, else wasm). */
  constructor(private readonly threads = DEFAULT_ORT_THREADS, runtime?: OrtRuntime) {
    this.worker = new Worker(new URL('./ort-worker.js', import.meta.url), { workerData: { runtime } });
    this.worker.unref(); // an idle worker must not keep the process alive
    this.worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(new Error(reply.error));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`the ONNX Runtime worker exited (code ${code})`)));
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }

  private request(message: WithoutId<WorkerRequest>): Promise<WorkerReply & { ok: true }> {
    if (this.closed) return Promise.reject(new Error('this ONNX Runtime worker has been closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(); // a pending answer keeps the process alive
      this.worker.postMessage({ ...message, id } as WorkerRequest);
    });
  }

  /** Creates a session in the worker from a serialised model. */
  async load(model: Uint8Array): Promise<OnnxSession> {
    const session = this.nextSession++;
    const loaded = await this.request({ kind: 'load', session, model, threads: this.threads });
    return {
      inputNames: loaded.inputNames ?? [],
      outputNames: loaded.outputNames ?? [],
      run: async (feeds, fetches) => {
        const plain: Record<string, HostTensor> = {};
        for (const [name, t] of Object.entries(feeds)) plain[name] = { data: t.data as Float32Array, dims: [...t.dims] };
        return (await this.request({ kind: 'run', session, feeds: plain, fetch: [...fetches] })).outputs;
      },
      release: async () => {
        if (!this.closed) await this.request({ kind: 'release', session });
      },
    };
  }

  /** Ends the worker (its sessions with it); pending calls reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
