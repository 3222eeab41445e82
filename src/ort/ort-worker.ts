/**
 * Worker side of OrtWorker (worker-session.ts): owns the ONNX Runtime sessions and answers each
 * request, by id, on the parent port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSession, loadOrt, type OrtRuntime, type OrtSession } from './runtime.js';
import type { WorkerReply, WorkerRequest } from './worker-session.js';

const { runtime } = workerData as { runtime: OrtRuntime | undefined };
const sessions = new Map<number, OrtSession>();

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.kind) {
    case 'load': {
      const session = await createSession(request.model, request.threads, runtime);
      sessions.set(request.session, session);
      return { id: request.id, ok: true, outputs: {}, inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
    }
    case 'run': {
      const session = sessions.get(request.session);
      if (!session) throw new Error(`no ONNX session ${request.session}`);
      const ort = await loadOrt(runtime);
      const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.dims)]));
      const result = await session.run(feeds, request.fetch);
      const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const name of request.fetch) outputs[name] = { data: result[name]!.data as Float32Array, dims: [...result[name]!.dims] };
      return { id: request.id, ok: true, outputs };
    }
    case 'release': {
      await sessions.get(request.session)?.release();
      sessions.delete(request.session);
      return { id: request.id, ok: true, outputs: {} };
    }
  }
}

parentPort!.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});
