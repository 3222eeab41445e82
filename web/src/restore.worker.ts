/**
 * The restoration worker: owns onnxruntime-web and the model, so converting pixels, estimating,
 * merging adapters and running tiles never block the page (it only decodes and draws).
 * Protocol in protocol.ts.
 *
 * Requests run one at a time (the restorer merges adapters per image); a new restore request
 * aborts the one in flight. Cancellation takes effect between tiles: the restorer checks the
 * AbortSignal before each tile, and this worker's message handler gets to run whenever a tile's
 * inference is awaited.
 */
import * as ort from 'onnxruntime-web/wasm';
import {
  CLEAN_COLOUR,
  classColour,
  createBrowserRestorer,
  imageToRgba,
  loadWebModel,
  type BrowserRestorer,
} from '../../src/browser/index.js';
import { describeManifest } from './model-summary.js';
import type { LegendEntry, LoadRequest, RestoreRequest, WorkerReply, WorkerRequest } from './protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

let restorer: BrowserRestorer | null = null;
let current: { id: number; controller: AbortController; done: Promise<void> } | null = null;

function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof Error && error.name === 'AbortError');
}

function ortThreads(): number {
  // Threads need SharedArrayBuffer, which browsers grant only to cross-origin-isolated pages
  // (the dev and preview servers send COOP/COEP for that). Four is where the wasm EP stops gaining.
  if (!scope.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, scope.navigator.hardwareConcurrency || 1));
}

async function load(request: LoadRequest): Promise<void> {
  const threads = ortThreads();
  ort.env.wasm.wasmPaths = request.ortUrl;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false; // this is already a worker
  const readFile = async (name: string): Promise<Uint8Array> => {
    const url = new URL(name, request.modelUrl);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load the model file ${name} (${url.pathname}): HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const model = await loadWebModel(readFile);
  restorer = await createBrowserRestorer(ort, model);
  const segmentationClasses = restorer.segmentationClasses ? [...restorer.segmentationClasses] : null;
  const legend: LegendEntry[] = segmentationClasses
    ? [{ name: 'clean', colour: CLEAN_COLOUR }, ...segmentationClasses.map((name, k) => ({ name, colour: classColour(k) }))]
    : [];
  reply({
    type: 'ready',
    model: { classes: [...restorer.classes], segmentationClasses, legend, description: describeManifest(restorer.manifest), threads },
  });
}

async function restore(request: RestoreRequest, controller: AbortController): Promise<void> {
  const { id, width, height } = request;
  if (!restorer) throw new Error('the model is not loaded yet');
  const started = performance.now();
  const result = await restorer.restore({ data: request.rgba, width, height }, {
    mode: request.mode,
    tileSize: request.tileSize,
    map: restorer.segmentationClasses !== null,
    signal: controller.signal,
    onProgress: (done, total) => reply({ type: 'progress', id, done, total }),
  });
  const restored = result.toRgba();
  const map = result.map ? imageToRgba(result.map) : null;
  const classes = restorer.classes;
  const probabilities = Float32Array.from(classes, (k) => result.probabilities[k]!);
  const weights = Float32Array.from(classes, (k) => result.weights[k]!);
  const clean = result.probabilities['clean'] ?? Number.NaN;
  const transfer: Transferable[] = [restored.buffer, probabilities.buffer, weights.buffer];
  if (map) transfer.push(map.buffer);
  reply(
    { type: 'result', id, width, height, restored, map, probabilities, weights, cleanShare: result.cleanShare, clean, mode: result.mode, seconds: (performance.now() - started) / 1000 },
    transfer,
  );
}

function startRestore(request: RestoreRequest): void {
  const previous = current;
  previous?.controller.abort();
  const controller = new AbortController();
  const done = (async () => {
    await previous?.done; // one restoration at a time
    if (controller.signal.aborted) return reply({ type: 'cancelled', id: request.id });
    try {
      await restore(request, controller);
    } catch (error) {
      if (isAbort(error, controller.signal)) reply({ type: 'cancelled', id: request.id });
      else reply({ type: 'error', id: request.id, message: messageOf(error) });
    }
  })();
  current = { id: request.id, controller, done };
  void done.finally(() => {
    if (current?.controller === controller) current = null;
  });
}

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  switch (request.type) {
    case 'load':
      load(request).catch((error: unknown) => reply({ type: 'error', message: `could not load the model: ${messageOf(error)}` }));
      break;
    case 'restore':
      startRestore(request);
      break;
    case 'cancel':
      if (current?.id === request.id) current.controller.abort();
      break;
  }
};
