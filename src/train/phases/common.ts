/** Options every phase shares, their defaults, and helpers the phases have in common. */
import type { ProgressMode } from '../../util/progress.js';
import { UserError } from '../../util/errors.js';
import { recordedDataPath } from '../../util/paths.js';
import { openImageFolders, type ImageSource } from '../data/index.js';

export interface CommonTrainOptions {
  steps: number;
  batch: number;
  patch: number;
  lr: number;
  warmup: number;
  /** Intra-op threads of the training engine. */
  threads: number;
  /** Run folder (checkpoint + log; also the weights unless the phase says otherwise). */
  out: string;
  resume: boolean;
  /** With resume: continue with a different `steps` (see RunOptions.reschedule). */
  reschedule?: boolean;
  checkpointEvery: number;
  valEvery: number;
  /** Patches in the fixed validation batch. */
  valCount: number;
  seed: number;
  /** The command line, recorded in the log and the weights' provenance. */
  command?: string;
  progress?: ProgressMode;
  say?: (line: string) => void;
  handleSignals?: boolean;
  stopAfter?: number;
}

/** Weight decay and gradient clipping are fixed choices (see docs/training.md), not options. */
const WEIGHT_DECAY = 1e-4;
const CLIP_NORM = 1.0;

export function say(o: { say?: (line: string) => void }, line: string): void {
  (o.say ?? ((l: string) => process.stderr.write(l + '\n')))(line);
}

/** Training images split into train/holdout; validation falls back to training images (with a note) when none is held out. */
export async function openTrainingImages(dirs: string[], o: { say?: (line: string) => void }): Promise<{ train: ImageSource; holdout: ImageSource }> {
  const { train, holdout } = await openImageFolders(dirs);
  if (train.size === 0) throw new UserError(`${dirs.join(', ')}: every image was held out for validation; add more images`);
  say(o, `images: ${train.size} for training, ${holdout.size} held out (${dirs.join(', ')})`);
  if (holdout.size === 0) {
    say(o, 'note: no image was held out (too few images); validation uses training images');
    return { train, holdout: train };
  }
  return { train, holdout };
}

// A resumed run tells by fileDigest that its frozen inputs did not change.
export { fileDigest } from '../../util/file-digest.js';

function schedule(o: CommonTrainOptions) {
  return { lr: o.lr, warmup: Math.min(o.warmup, Math.max(0, o.steps - 1)), steps: o.steps };
}

/** The runner settings every phase takes straight from its command (a phase may override some). */
export function runSettings(o: CommonTrainOptions) {
  return {
    steps: o.steps,
    batch: o.batch,
    seed: o.seed,
    schedule: schedule(o),
    weightDecay: WEIGHT_DECAY,
    clipNorm: CLIP_NORM,
    threads: o.threads,
    checkpointEvery: o.checkpointEvery,
    resume: o.resume,
    ...(o.reschedule ? { reschedule: true } : {}),
    ...(o.progress ? { progress: o.progress } : {}),
    ...(o.say ? { say: o.say } : {}),
    ...(o.handleSignals !== undefined ? { handleSignals: o.handleSignals } : {}),
    ...(o.stopAfter !== undefined ? { stopAfter: o.stopAfter } : {}),
  };
}

/** The settings every phase's checkpoint must match on resume. */
export function commonIdentity(o: CommonTrainOptions): Record<string, unknown> {
  return { steps: o.steps, batch: o.batch, patch: o.patch, lr: o.lr, warmup: o.warmup, seed: o.seed, valCount: o.valCount };
}

/** A data source's image and pair folders as the weight file records them (recordedDataPath). */
export function recordedData(source: Record<string, unknown>): Record<string, unknown> {
  const paths = (v: unknown) => (Array.isArray(v) ? v.map((d) => (typeof d === 'string' ? recordedDataPath(d) : d)) : v);
  return Object.fromEntries(['images', 'pairs'].filter((k) => k in source).map((k) => [k, paths(source[k])]));
}
