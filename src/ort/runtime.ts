/**
 * Loading ONNX Runtime lazily: onnxruntime-node (a native addon, the fast path) when it is
 * installed and loads, else onnxruntime-web's WebAssembly build, which runs in Node too. Both
 * are optional at install time: onnxruntime-node's install step downloads CUDA files on
 * linux-x64 and fails without access to them, and npm then leaves the optional package out, so
 * `npm install abair` works anywhere and restoring falls back to wasm (slower; see docs/onnx.md).
 * Code that only exports graphs never loads either.
 */
import type * as Ort from 'onnxruntime-common';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;
type OrtPackage = 'onnxruntime-node' | 'onnxruntime-web';

/**
 * Which package to run on: 'node' (onnxruntime-node only, an error when it does not load), 'wasm'
 * (onnxruntime-web's WebAssembly build), or undefined for the default: node, else wasm.
 */
export type OrtRuntime = 'node' | 'wasm';

export const ORT_RUNTIMES: readonly OrtRuntime[] = ['node', 'wasm'];

interface LoadedOrt {
  ort: OrtModule;
  /** which package it is */
  name: OrtPackage;
  /** why onnxruntime-node is not used (set when name is onnxruntime-web) */
  nativeError?: string;
}

/** Environment variable that forces one package ('onnxruntime-node' or 'onnxruntime-web') where no runtime is asked for, for tests and comparisons. */
const ORT_PACKAGE_ENV = 'ABAIR_ORT';

const loaded = new Map<string, Promise<LoadedOrt>>();

const reason = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err));
const moduleOf = (m: unknown) => ((m as { default?: OrtModule }).default ?? m) as OrtModule;

async function loadWeb(nativeError?: string): Promise<LoadedOrt> {
  const ort = moduleOf(await import('onnxruntime-web'));
  // The wasm files sit beside the Node build in the package; threads as for the native runtime.
  ort.env.wasm.numThreads = DEFAULT_ORT_THREADS;
  return nativeError === undefined ? { ort, name: 'onnxruntime-web' } : { ort, name: 'onnxruntime-web', nativeError };
}

async function loadAny(runtime: OrtRuntime | undefined): Promise<LoadedOrt> {
  const forced = runtime === 'node' ? 'onnxruntime-node' : runtime === 'wasm' ? 'onnxruntime-web' : process.env[ORT_PACKAGE_ENV];
  if (forced && forced !== 'onnxruntime-node' && forced !== 'onnxruntime-web') {
    throw new Error(`${ORT_PACKAGE_ENV}=${forced}: expected onnxruntime-node or onnxruntime-web`);
  }
  if (forced === 'onnxruntime-web') return loadWeb();
  let nativeError: string;
  try {
    return { ort: moduleOf(await import('onnxruntime-node')), name: 'onnxruntime-node' };
  } catch (err) {
    nativeError = reason(err);
    if (forced === 'onnxruntime-node') throw new Error(`onnxruntime-node is not available: ${nativeError}`);
  }
  try {
    return await loadWeb(nativeError);
  } catch (err) {
    throw new Error(`ONNX Runtime is not available: onnxruntime-node: ${nativeError}; onnxruntime-web: ${reason(err)}`);
  }
}

/** The ONNX Runtime module and which package it came from, or a rejected promise saying why none loads. */
export function loadOrtPackage(runtime?: OrtRuntime): Promise<LoadedOrt> {
  const key = runtime ?? '';
  let promise = loaded.get(key);
  if (!promise) {
    promise = loadAny(runtime).catch((err: unknown) => {
      loaded.delete(key);
      throw err;
    });
    loaded.set(key, promise);
  }
  return promise;
}

/** The ONNX Runtime module (see loadOrtPackage). */
export async function loadOrt(runtime?: OrtRuntime): Promise<OrtModule> {
  return (await loadOrtPackage(runtime)).ort;
}

/** Default threads: the 2-core machines this project targets (the whole CPU, like tfjs-wasm's pool). */
export const DEFAULT_ORT_THREADS = 2;

export async function createSession(model: Uint8Array | string, threads = DEFAULT_ORT_THREADS, runtime?: OrtRuntime): Promise<OrtSession> {
  const { ort, name } = await loadOrtPackage(runtime);
  if (name === 'onnxruntime-web') {
    // wasm takes its thread count from env (set before the first session) and no native options.
    const bytes = typeof model === 'string' ? new Uint8Array(await (await import('node:fs/promises')).readFile(model)) : model;
    return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', executionMode: 'sequential', enableMemPattern: false });
  }
  const options: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Memory patterns (pre-planned blocks per input shape) held ~0.1 GiB (tiny preset) to 0.4 GiB
    // (small) more RSS at 512² tiles for no measurable speed gain; the arena stays on, since
    // turning it off cost ~50% speed (docs/onnx.md, "Speed and memory").
    enableMemPattern: false,
    // Spin-waiting worker threads starve everything else on a shared 2-core machine (and themselves
    // when other processes run): block instead.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** A float32 NHWC tensor for ONNX Runtime. */
async function floatTensor(data: Float32Array, dims: readonly number[]): Promise<Ort.Tensor> {
  const ort = await loadOrt();
  return new ort.Tensor('float32', data, dims);
}
