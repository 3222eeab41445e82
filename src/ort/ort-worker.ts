/**
 * Worker side of SyncOrtRunner: owns the ONNX Runtime sessions and answers each request on the
 * reply port, then wakes the (blocked) caller through the shared flag.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createSession, loadOrt, type OrtSession } from './runtime.js';
import type { RunnerReply, RunnerRequest } from './sync-runner.js';

const { flag, reply } = workerData as { flag: Int32Array; reply: MessagePort };
const sessions = new Map<string, OrtSession>();

function answer(message: RunnerReply): void {
  reply.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function handle(request: RunnerRequest): Promise<RunnerReply> {
  switch (request.kind) {
    case 'load': {
      await sessions.get(request.session)?.release();
      sessions.set(request.session, await createSession(request.model, request.threads));
      return { ok: true, outputs: {} };
    }
    case 'run': {
      const session = sessions.get(request.session);
      if (!session) throw new Error(`no ONNX session '${request.session}'`);
      const ort = await loadOrt();
      const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.dims)]));
      const result = await session.run(feeds, request.fetch);
      const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const name of request.fetch) outputs[name] = { data: result[name]!.data as Float32Array, dims: [...result[name]!.dims] };
      return { ok: true, outputs };
    }
  }
}

parentPort!.on('message', (request: RunnerRequest) => {
  handle(request).then(answer, (err: unknown) => answer({ ok: false, error: err instanceof Error ? err.message : String(err) }));
});
