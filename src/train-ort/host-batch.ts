/**
 * Training data and optimiser state as plain arrays, shared by every training engine: a batch of
 * host tensors (and splitting it by rows), AdamW's options and state.
 */

/** A host-side tensor: row-major data plus shape; float32 or int32 (labels). */
export interface HostTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One batch: every entry shares its first dimension (its rows). */
export type HostBatch = Record<string, HostTensor>;

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (Loshchilov & Hutter): p ← p − lr·wd·p, on params that decay. */
  weightDecay?: number;
  /** Clip the gradient to this global L2 norm before the update (off when absent). */
  clipNorm?: number;
}

/** AdamW moments per parameter name, plus the number of updates applied so far. */
export interface OptimizerState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Rows of a batch; every entry must agree on its first dimension. */
export function batchRows(batch: HostBatch): number {
  let rows: number | null = null;
  for (const [key, t] of Object.entries(batch)) {
    if (t.shape.length === 0) throw new Error(`batch entry '${key}' is a scalar; entries need a row dimension`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`batch entry '${key}' has ${t.data.length} values for shape [${t.shape}]`);
    if (rows === null) rows = t.shape[0];
    else if (t.shape[0] !== rows) throw new Error(`batch entry '${key}' has ${t.shape[0]} rows, others ${rows}`);
  }
  if (rows === null) throw new Error('empty batch');
  return rows;
}

/** Row counts per worker: as equal as possible, the first ones take the remainder. */
export function shardSizes(rows: number, workers: number): number[] {
  const base = Math.floor(rows / workers);
  return Array.from({ length: workers }, (_, k) => base + (k < rows % workers ? 1 : 0));
}

/** Copies rows [start, start+count) of every entry (fresh buffers, safe to transfer). */
export function sliceRows(batch: HostBatch, start: number, count: number): HostBatch {
  const out: HostBatch = {};
  for (const [key, t] of Object.entries(batch)) {
    const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = t.data.slice(start * rowSize, (start + count) * rowSize) as HostTensor['data'];
    out[key] = { shape: [count, ...t.shape.slice(1)], data };
  }
  return out;
}
