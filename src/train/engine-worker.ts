/**
 * Worker side of worker-engine.ts: builds the ONNX Runtime engine from `workerData` and answers
 * each request (a TrainEngine method and its arguments) with its result or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import type { EngineOptions, TrainEngine } from './engine.js';
import { createOrtEngine } from './ort-engine.js';
import type { EngineReply, EngineRequest, SerializedError } from './worker-engine.js';

function serialize(err: unknown): SerializedError {
  if (err instanceof UserError) return { user: true, name: err.name, message: err.message, exitCode: err.exitCode };
  const e = err instanceof Error ? err : new Error(String(err));
  return { user: false, name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

const port = parentPort!;
let engine: TrainEngine | null = null;

async function handle(request: EngineRequest): Promise<unknown> {
  if (request.method === 'create') {
    engine = await createOrtEngine(workerData as EngineOptions);
    return engine.shapes;
  }
  if (!engine) throw new Error('the training engine was not created');
  const e = engine;
  switch (request.method) {
    case 'setLearningRate': return e.setLearningRate(request.args[0] as number);
    case 'getParams': return e.getParams();
    case 'setParams': return e.setParams(request.args[0] as never);
    case 'getOptimizerState': return e.getOptimizerState();
    case 'setOptimizerState': return e.setOptimizerState(request.args[0] as never);
    case 'step': return e.step(request.args[0] as never);
    case 'validate': return e.validate(request.args[0] as never);
    case 'dispose': {
      engine = null;
      return e.dispose();
    }
  }
}

// one request at a time, in order (the main side awaits each)
let queue = Promise.resolve();
port.on('message', (request: EngineRequest) => {
  queue = queue.then(() => handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies EngineReply),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: serialize(err) } satisfies EngineReply),
  ));
});
