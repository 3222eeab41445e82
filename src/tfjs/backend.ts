/**
 * The one place that initialises TensorFlow.js for abair.
 *
 * Node: the wasm backend (default; SIMD build, single-threaded) with its .wasm files resolved
 * from node_modules, or the pure-JS `cpu` backend, kept as a slow numerical reference for tests.
 * Browser: `webgl` or `wasm` (the caller registers webgl itself; wasm paths may be given).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Registers abair's kernel gradients: tfjs-core's Node bundle ships none (see engine/grad/kernel-gradients.ts).
import './grad/kernel-gradients.js';
// Zero-copy Identity and XNNPACK-backed batched BatchMatMul for wasm (see engine/wasm-kernels.ts).
import './wasm-kernels.js';
import * as ops from './ops.js';
import { bindTf } from './tf-handle.js';

// Model code reaches tfjs through tf-handle.ts (so the ONNX restore path never loads it): bind it now.
bindTf(tf, ops);

import type { BackendName } from './backend-name.js';

export type { BackendName };

interface EngineOptions {
  backend?: BackendName;
  /** Folder (URL or path ending in '/') holding the tfjs-backend-wasm .wasm files. */
  wasmPath?: string;
}

let wasmPathsSet = false;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function resolveNodeWasmDir(): Promise<string> {
  const { createRequire } = await import('node:module');
  const path = await import('node:path');
  const require = createRequire(import.meta.url);
  const file = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  return path.dirname(file) + path.sep;
}

/** Initialise (or switch) the backend; returns the tf namespace for convenience. */
export async function initEngine(options: EngineOptions = {}): Promise<typeof tf> {
  const backend = options.backend ?? 'wasm';
  if (backend === 'wasm' && !wasmPathsSet) {
    const dir = options.wasmPath ?? (isNode ? await resolveNodeWasmDir() : undefined);
    if (dir) setWasmPaths(dir);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`could not initialise the TensorFlow.js '${backend}' backend`);
  }
  await tf.ready();
  return tf;
}

export { tf };
