/**
 * Worker entry of the data-parallel trainer: owns one wasm (or cpu) engine and one replica of the
 * model, and answers the trainer's requests one at a time, in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { initEngine, tf } from '../backend.js';
import { adamwUpdate, averageSlots } from '../../train-ort/adamw.js';
import { batchRows, sliceRows } from '../../train-ort/host-batch.js';
import type { ParamLayout, ParamSpec } from '../../train-ort/param-layout.js';
import type { GradResult, InitResult, ReduceResult, Reply, Request, SharedBuffers } from './protocol.js';
import type { HostBatch, Trainable, TrainableFactory } from './types.js';

if (!parentPort) throw new Error('worker.js must be started as a worker thread by DataParallelTrainer');
const port = parentPort;

let model: Trainable | null = null;
let attached: {
  layout: ParamLayout;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  grad: Float32Array;
  slots: Float32Array[];
  mySlot: Float32Array;
} | null = null;
const workerIndex = (workerData as { index: number }).index;
/** Version of the shared parameters last copied into this replica's variables. */
let loadedVersion = -1;

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`worker used before ${what}`);
  return value;
}

async function init(req: Extract<Request, { type: 'init' }>): Promise<InitResult> {
  await initEngine({ backend: req.backend });
  const url = req.module.startsWith('file:') ? req.module : pathToFileURL(req.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[req.exportName];
  if (typeof factory !== 'function') throw new Error(`${req.module} does not export a function '${req.exportName}'`);
  model = await (factory as TrainableFactory)(req.config);
  const specs: ParamSpec[] = [];
  for (const [name, p] of Object.entries(model.params)) {
    if (p.dtype !== 'float32') throw new Error(`parameter '${name}' is ${p.dtype}; only float32 is trainable`);
    const shape = [...p.shape];
    specs.push({ name, shape, decays: model.decays ? model.decays(name, shape) : shape.length >= 2 });
  }
  if (specs.length === 0) throw new Error('the model has no parameters');
  return { specs };
}

function attach(req: Extract<Request, { type: 'attach' }>): void {
  const { shared, layout } = req;
  const total = layout.total;
  const slotsAll = new Float32Array(shared.slots);
  const slots = Array.from({ length: req.workers }, (_, k) => slotsAll.subarray(k * total, (k + 1) * total));
  attached = {
    layout,
    params: new Float32Array(shared.params),
    m: new Float32Array(shared.m),
    v: new Float32Array(shared.v),
    grad: new Float32Array(shared.grad),
    slots,
    mySlot: slots[workerIndex],
  };
  if (req.exportParams) {
    const m = need(model, 'init');
    for (const e of layout.entries) attached.params.set(m.params[e.name].dataSync() as Float32Array, e.offset);
  }
}

/** Copies the shared parameters into the variables when they changed since the last copy. */
function syncParams(version: number): void {
  if (version === loadedVersion) return;
  const a = need(attached, 'attach');
  const m = need(model, 'init');
  for (const e of a.layout.entries) {
    // slice(): a private copy, so no backend ever aliases the shared memory
    const value = tf.tensor(a.params.slice(e.offset, e.offset + e.size), e.shape, 'float32');
    m.params[e.name].assign(value);
    value.dispose();
  }
  loadedVersion = version;
}

function toTensors(shard: HostBatch): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [key, t] of Object.entries(shard)) {
    out[key] = tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
  }
  return out;
}

function grad(req: Extract<Request, { type: 'grad' }>): GradResult {
  const a = need(attached, 'attach');
  const m = need(model, 'init');
  syncParams(req.paramsVersion);
  const rows = batchRows(req.shard);
  // micro-batches bound the activation memory (the wasm heap stops at 4 GB); their row-weighted
  // mean is the shard mean, like the shards' is the batch mean
  const chunk = Math.min(rows, req.microBatch ?? rows);
  let loss = 0;
  for (let start = 0; start < rows; start += chunk) {
    const count = Math.min(chunk, rows - start);
    const part = count === rows ? req.shard : sliceRows(req.shard, start, count);
    const r = lossAndGrad(a, m, part, req.lossOnly, start === 0, count / rows);
    loss += (count / rows) * r;
  }
  return { loss };
}

/**
 * Loss of one micro-batch; unless lossOnly, adds weight·gradient into this worker's slot
 * (overwriting it when `first`). Returns the micro-batch loss.
 */
function lossAndGrad(a: NonNullable<typeof attached>, m: Trainable, part: HostBatch, lossOnly: boolean, first: boolean, weight: number): number {
  const batch = toTensors(part);
  try {
    if (lossOnly) {
      const value = tf.tidy(() => m.loss(batch));
      const loss = value.dataSync()[0];
      value.dispose();
      return loss;
    }
    const vars = a.layout.entries.map((e) => m.params[e.name]);
    const { value, grads } = tf.variableGrads(() => m.loss(batch), vars);
    try {
      for (const e of a.layout.entries) {
        const g = grads[m.params[e.name].name];
        const slot = a.mySlot.subarray(e.offset, e.offset + e.size);
        // a parameter the loss does not reach has no gradient: it is zero
        if (!g) {
          if (first) slot.fill(0);
          continue;
        }
        const values = g.dataSync() as Float32Array;
        if (first && weight === 1) slot.set(values);
        else if (first) for (let i = 0; i < values.length; i++) slot[i] = weight * values[i];
        else for (let i = 0; i < values.length; i++) slot[i] += weight * values[i];
      }
      return value.dataSync()[0];
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  } finally {
    tf.dispose(batch);
  }
}

function reduce(req: Extract<Request, { type: 'reduce' }>): ReduceResult {
  const a = need(attached, 'attach');
  return { sumSq: averageSlots(a.slots, req.weights, req.range[0], req.range[1], a.grad) };
}

function update(req: Extract<Request, { type: 'update' }>): void {
  const a = need(attached, 'attach');
  adamwUpdate(a.layout, req.range[0], req.range[1], a, req.opt, req.step, req.scale);
}

async function handle(req: Request): Promise<unknown> {
  switch (req.type) {
    case 'init': return init(req);
    case 'attach': return attach(req);
    case 'grad': return grad(req);
    case 'reduce': return reduce(req);
    case 'update': return update(req);
  }
}

// one request at a time: a later message waits until the earlier one has replied
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: { id: number; req: Request }) => {
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: msg.id, ok: true, result: await handle(msg.req) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = { id: msg.id, ok: false, error: { message: e.message, stack: e.stack } };
    }
    port.postMessage(reply);
  });
});
