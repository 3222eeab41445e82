/**
 * Replacements for four tfjs-backend-wasm 4.22 kernels whose stock versions dominate a training
 * step (measured with src/bench/profile-step.ts, docs/engine.md "Training step profile"):
 *
 * - **Identity copies its input.** tfjs calls it for every tensor a gradient saves
 *   (engine.saveTensorsForBackwardMode → clone), so every saved activation was duplicated: about
 *   half the live memory of a step, plus the copy time. Tensors are immutable (a Variable's assign
 *   swaps its dataId, it never writes in place), so sharing the buffer with a reference count is
 *   exactly what the wasm Reshape kernel and the cpu backend's Identity already do.
 * - **BatchMatMul with a batch > 1 takes a naive loop**; only batch 1, non-transposed operands
 *   reach XNNPACK's GEMM (10-70x faster, e.g. [4,4096,16]·[4,16,16]: 9.7 ms vs 4×0.13 ms). So a
 *   batched, non-transposed product runs as one XNNPACK product per batch entry on views of the
 *   operands' heap memory (no copies). Same C function, same summation per entry.
 * - **Transpose of a tall, narrow matrix** ([rows, cols] → [cols, rows] with rows ≥ cols, e.g. the
 *   pixel rows [N·H·W, C] that every 1×1 convolution's filter gradient transposes) is 2-8x slower
 *   in the wasm kernel than a JS copy that walks 64-row panels and writes `cols` contiguous runs
 *   ([16384,32]: 6.7 vs 0.9 ms). Perms that amount to such a (batched) 2-D transpose take the JS
 *   path; every other case stays on the wasm kernel.
 * - **Sum over leading or middle axes** (the gradients of every broadcast operand: LayerNorm's
 *   scale/bias, biases, MDTA's per-channel pixel norms) transposes the input inside the wasm kernel
 *   so the reduced axes become innermost. A contiguous block of reduced axes that excludes the last
 *   axis is instead summed in one streaming pass ([outer, reduced, inner], double accumulators).
 *
 * Registered on import, before the wasm backend is initialised (its setup functions run then);
 * imported by backend.ts, the one place that initialises the engine. Each replacement falls back to
 * the stock kernel for every case it does not handle (checked against cpu in wasm-kernels.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

/** The parts of tfjs-backend-wasm's BackendWasm used here (not exported by the package's types). */
interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined; delete(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

function replaceWasmKernel(kernelName: string, make: (original: tf.KernelConfig) => tf.KernelConfig): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original || (original as { abair?: boolean }).abair) return; // not loaded, or already replaced
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel(Object.assign(make(original), { abair: true }));
}

replaceWasmKernel('Identity', () => ({
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') throw new Error('abair: string tensors are not supported on wasm');
    (backend as unknown as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  },
}));

let wasmMatMul: ((...args: unknown[]) => void) | undefined;

replaceWasmKernel('BatchMatMul', (original) => ({
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  setupFunc: (backend) => {
    original.setupFunc?.(backend);
    wasmMatMul = (backend as unknown as WasmBackend).wasm.cwrap('BatchMatMul', null,
      ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  },
  kernelFunc: (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batch = Math.max(batchA, batchB);
    const plainRank3 = a.shape.length === 3 && b.shape.length === 3 && !transposeA && !transposeB;
    if (batch === 1 || !plainRank3 || !wasmMatMul || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
      return original.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmBackend;
    const [, m, k] = a.shape as [number, number, number];
    const n = b.shape[2]!;
    const out = backend.makeOutput([batch, m, n], 'float32');
    const offsetOf = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const aBase = offsetOf(a), bBase = offsetOf(b), outBase = offsetOf(out);
    const shapeBytes = (s: number[]) => new Uint8Array(new Int32Array(s).buffer);
    const aShape = shapeBytes([1, m, k]), bShape = shapeBytes([1, k, n]);
    for (let i = 0; i < batch; i++) {
      // Views into the operands' memory: registered under fresh ids, released without freeing.
      const views = [
        backend.makeOutput([1, m, k], 'float32', aBase + (batchA === 1 ? 0 : i * m * k * 4)),
        backend.makeOutput([1, k, n], 'float32', bBase + (batchB === 1 ? 0 : i * k * n * 4)),
        backend.makeOutput([1, m, n], 'float32', outBase + i * m * n * 4),
      ];
      const [av, bv, ov] = views.map((v) => backend.dataIdMap.get(v.dataId)!.id) as [number, number, number];
      try {
        wasmMatMul(av, aShape, 3, bv, bShape, 3, false, false, ov);
      } finally {
        for (const v of views) {
          backend.wasm.tfjs.disposeData(backend.dataIdMap.get(v.dataId)!.id);
          backend.dataIdMap.delete(v.dataId);
        }
      }
    }
    return out;
  },
}));

/**
 * If `perm` moves a block of trailing axes in front of the axes before it, after some leading axes
 * that stay put, the transpose is `batch` independent [rows, cols] → [cols, rows] transposes.
 */
// @testSeam: tested directly
export function asBatched2d(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | null {
  const r = perm.length;
  let lead = 0;
  while (lead < r && perm[lead] === lead) lead++;
  if (lead >= r - 1) return null; // identity
  const k = perm[lead]!; // first moved axis: the rest must read k, k+1, …, r-1, lead, …, k-1
  for (let i = lead; i < r; i++) {
    const want = i - lead < r - k ? k + (i - lead) : lead + (i - lead - (r - k));
    if (perm[i] !== want) return null;
  }
  const size = (a: number, b: number) => shape.slice(a, b).reduce((p, d) => p * d, 1);
  return { batch: size(0, lead), rows: size(lead, k), cols: size(k, r) };
}

/** dst[b][j][i] = src[b][i][j]: 64-row panels, each column of a panel written as one contiguous run. */
function transposePanels(src: Float32Array | Int32Array, dst: Float32Array | Int32Array, batch: number, rows: number, cols: number): void {
  const panel = 64;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += panel) {
      const i1 = Math.min(i0 + panel, rows);
      for (let j = 0; j < cols; j++) {
        let d = base + j * rows + i0;
        for (let s = base + i0 * cols + j, i = i0; i < i1; i++, s += cols) dst[d++] = src[s]!;
      }
    }
  }
}

replaceWasmKernel('Transpose', (original) => ({
  kernelName: 'Transpose',
  backendName: 'wasm',
  setupFunc: original.setupFunc,
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const plan = x.dtype === 'float32' || x.dtype === 'int32' ? asBatched2d(x.shape, perm) : null;
    // Wide matrices (rows < cols) are faster in the wasm kernel; so are tiny ones.
    if (!plan || plan.rows < plan.cols || plan.cols === 1 || plan.batch * plan.rows * plan.cols < 4096) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(perm.map((a) => x.shape[a]!), x.dtype);
    // Views taken after the allocation: a heap growth detaches earlier ones.
    transposePanels(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, plan.batch, plan.rows, plan.cols);
    return out;
  },
}));

/** Sum over the contiguous axis block [first, last] of an [outer, reduced, inner] array, in doubles. */
function sumMiddle(src: Float32Array, dst: Float32Array, outer: number, reduced: number, inner: number): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let s = o * reduced * inner;
    for (let r = 0; r < reduced; r++) for (let k = 0; k < inner; k++) acc[k]! += src[s++]!;
    dst.set(acc, o * inner);
  }
}

replaceWasmKernel('Sum', (original) => ({
  kernelName: 'Sum',
  backendName: 'wasm',
  setupFunc: original.setupFunc,
  kernelFunc: (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    const first = axes[0] ?? 0, last = axes[axes.length - 1] ?? 0;
    const contiguous = axes.length > 0 && last - first === axes.length - 1;
    if (x.dtype !== 'float32' || !contiguous || last === rank - 1 || tf.util.sizeFromShape(x.shape) === 0) return original.kernelFunc(args);
    const size = (a: number, b: number) => x.shape.slice(a, b).reduce((p, d) => p * d, 1);
    const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(outShape, 'float32');
    sumMiddle(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, size(0, first), size(first, last + 1), size(last + 1, rank));
    return out;
  },
}));
