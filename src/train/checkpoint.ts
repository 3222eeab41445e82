/**
 * Training checkpoints: ONE safetensors file per run folder, `<out>/checkpoint.safetensors`,
 * holding the trainable parameters (`param/<name>`), AdamW's moments (`adam.m/<name>`,
 * `adam.v/<name>`) and, as a JSON string in the metadata, everything else needed to continue:
 * steps done, AdamW's update count, the run's identity (phase, architecture, seed, schedule, batch,
 * patch, …), elapsed time, patches seen and the byte length of the JSONL log at that step.
 *
 * The data pipeline keeps no state of its own (the batch for step k is a pure function of
 * (seed, phase, k)), so "rng/data position" is simply the step count.
 *
 * Written with writeFileAtomic (temp file + fsync + rename): a crash or SIGKILL mid-write leaves
 * the previous checkpoint intact.
 */
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { assertFinite, loadSafetensors, saveSafetensors, type TensorToStore } from '../io/safetensors.js';
import type { OptimizerState } from '../train-ort/host-batch.js';

const CHECKPOINT_FILE = 'checkpoint.safetensors';
const FORMAT = 'abair-checkpoint';
const VERSION = 1;

export function checkpointPath(outDir: string): string {
  return path.join(outDir, CHECKPOINT_FILE);
}

/**
 * What must be the same for a resumed run to be the continuation of the saved one. Values are
 * plain JSON; any key that differs is reported by name.
 */
export type RunIdentity = Record<string, unknown>;

interface CheckpointProgress {
  /** Wall-clock seconds spent training so far (over all sessions). */
  elapsedSec: number;
  /** Training patches consumed so far. */
  patchesSeen: number;
  /** Length in bytes of the JSONL log right after this step's lines. */
  logBytes: number;
  /** The progress bar's smoothed loss, so the display continues smoothly. */
  emaLoss: number | null;
}

interface Checkpoint {
  /** Steps completed; training continues with step `step` (0-based). */
  step: number;
  run: RunIdentity;
  params: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  optimizer: OptimizerState;
  progress: CheckpointProgress;
  savedAt: string;
}

interface Meta {
  format: string;
  version: number;
  step: number;
  optimizerStep: number;
  run: RunIdentity;
  progress: CheckpointProgress;
  savedAt: string;
  names: string[];
}

export async function saveCheckpoint(file: string, ckpt: Omit<Checkpoint, 'savedAt'>): Promise<void> {
  const tensors: Record<string, TensorToStore> = {};
  const names = Object.keys(ckpt.params);
  for (const name of names) {
    const shape = ckpt.shapes[name];
    if (!shape) throw new Error(`checkpoint: no shape for parameter '${name}'`);
    const m = ckpt.optimizer.m[name];
    const v = ckpt.optimizer.v[name];
    if (!m || !v) throw new Error(`checkpoint: no optimizer moments for parameter '${name}'`);
    tensors[`param/${name}`] = { shape, data: ckpt.params[name]! };
    tensors[`adam.m/${name}`] = { shape, data: m };
    tensors[`adam.v/${name}`] = { shape, data: v };
  }
  const meta: Meta = {
    format: FORMAT,
    version: VERSION,
    step: ckpt.step,
    optimizerStep: ckpt.optimizer.step,
    run: ckpt.run,
    progress: ckpt.progress,
    savedAt: new Date().toISOString(),
    names,
  };
  await saveSafetensors(file, tensors, { 'abair.kind': 'checkpoint', 'abair.checkpoint': JSON.stringify(meta) });
}

/** Keys whose values differ between the saved run and the command's (JSON comparison). */
function runDifferences(saved: RunIdentity, wanted: RunIdentity): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(wanted)])].sort();
  return keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(wanted[k]));
}

function short(value: unknown): string {
  const text = value === undefined ? '(unset)' : JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/**
 * Reads and validates a checkpoint. With `expected`, refuses (UserError) one whose run identity
 * differs, naming each differing setting with both values; keys in `mayDiffer` are not compared.
 */
export async function loadCheckpoint(file: string, expected?: RunIdentity, options: { mayDiffer?: readonly string[] } = {}): Promise<Checkpoint> {
  const content = await loadSafetensors(file);
  if (content.metadata['abair.kind'] !== 'checkpoint') throw new UserError(`${file}: not an abair training checkpoint`);
  let meta: Meta;
  try {
    meta = JSON.parse(content.metadata['abair.checkpoint'] ?? '') as Meta;
  } catch {
    throw new UserError(`${file}: checkpoint metadata is not valid JSON`);
  }
  if (meta.format !== FORMAT || meta.version !== VERSION) throw new UserError(`${file}: unsupported checkpoint format ${meta.format} v${meta.version}`);
  if (!Number.isInteger(meta.step) || meta.step < 0 || !Number.isInteger(meta.optimizerStep)) throw new UserError(`${file}: invalid step in checkpoint`);
  if (expected) {
    const diff = runDifferences(meta.run, expected).filter((k) => !options.mayDiffer?.includes(k));
    if (diff.length) {
      const detail = diff.map((k) => `${k}: checkpoint ${short(meta.run[k])}, command ${short(expected[k])}`).join('; ');
      throw new UserError(`${file}: the checkpoint belongs to a different run (${detail}); use the same settings to resume, or another --out to start afresh`);
    }
  }
  const params: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const name of meta.names) {
    const p = content.tensors[`param/${name}`];
    const mm = content.tensors[`adam.m/${name}`];
    const vv = content.tensors[`adam.v/${name}`];
    if (!p || !mm || !vv) throw new UserError(`${file}: checkpoint lacks tensors for '${name}'`);
    if (!(p.data instanceof Float32Array && mm.data instanceof Float32Array && vv.data instanceof Float32Array)) {
      throw new UserError(`${file}: tensors of '${name}' are not float32`);
    }
    // A non-finite parameter or moment would make every later step NaN: refuse it at resume.
    assertFinite(file, `param/${name}`, p.data);
    assertFinite(file, `adam.m/${name}`, mm.data);
    assertFinite(file, `adam.v/${name}`, vv.data);
    params[name] = p.data;
    shapes[name] = p.shape;
    m[name] = mm.data;
    v[name] = vv.data;
  }
  return {
    step: meta.step,
    run: meta.run,
    params,
    shapes,
    optimizer: { step: meta.optimizerStep, m, v },
    progress: meta.progress,
    savedAt: meta.savedAt,
  };
}
