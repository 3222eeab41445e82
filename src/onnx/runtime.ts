/**
 * Loading onnxruntime-node lazily: it is a native addon, so code that only exports graphs (or a
 * platform without its binaries) never pays for or depends on it.
 */
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;
export type OrtSession = Ort.InferenceSession;

let loaded: Promise<OrtModule> | null = null;

/** The onnxruntime-node module, or a rejected promise saying why it cannot be used here. */
export function loadOrt(): Promise<OrtModule> {
  loaded ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule,
    (err: unknown) => {
      loaded = null;
      throw new Error(`onnxruntime-node is not available: ${err instanceof Error ? err.message : String(err)}`);
    },
  );
  return loaded;
}

/** Default threads: the 2-core machines this project targets (the whole CPU, like tfjs-wasm's pool). */
export const DEFAULT_ORT_THREADS = 2;

export async function createSession(model: Uint8Array | string, threads = DEFAULT_ORT_THREADS): Promise<OrtSession> {
  const ort = await loadOrt();
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
export async function floatTensor(data: Float32Array, dims: readonly number[]): Promise<Ort.Tensor> {
  const ort = await loadOrt();
  return new ort.Tensor('float32', data, dims);
}
