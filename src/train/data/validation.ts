/**
 * A fixed synthetic validation set from the held-out images: the same patches and degradations
 * every time for a given seed, so validation PSNR is comparable across steps and across runs.
 */
import { UsageError } from '../../util/errors.js';
import type { DegradationName } from '../../degrade/types.js';
import type { HostBatch, HostTensor } from '../../train-ort/host-batch.js';
import { Rng } from '../../util/rng.js';
import { adapterBatch, pretrainBatch } from './batches.js';
import { imageSourceFromImages, type ImageSource } from './image-source.js';

interface ValidationOptions {
  /** number of patches */
  count: number;
  patch: number;
  seed: number | string;
  /** 'pretrain': Phase I's CutMix mix (adds seg); 'adapter': `degradations` over whole patches */
  kind: 'pretrain' | 'adapter';
  degradations?: readonly DegradationName[];
  /** pretrain only: the segmentation classes */
  classes?: readonly DegradationName[];
  /** adapter only: degrade a (context·patch)² window, keep its centre (as the training batches do) */
  context?: number;
}

/** The rows of several batches with the same tensors, in order. */
export function concatRows(parts: HostBatch[]): HostBatch {
  const out: HostBatch = {};
  for (const key of Object.keys(parts[0]!)) {
    const tensors = parts.map((p) => p[key]!);
    const rows = tensors.reduce((n, t) => n + t.shape[0]!, 0);
    const total = tensors.reduce((n, t) => n + t.data.length, 0);
    const data = tensors[0]!.data instanceof Int32Array ? new Int32Array(total) : new Float32Array(total);
    let offset = 0;
    for (const t of tensors) {
      data.set(t.data, offset);
      offset += t.data.length;
    }
    out[key] = { shape: [rows, ...tensors[0]!.shape.slice(1)], data } as HostTensor;
  }
  return out;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Patch i comes from holdout image i mod size (every held-out image is used before any repeats),
 * drawn with its own seeded stream; no rescaling, so patches are at the photo's own scale; never
 * a clean patch.
 */
export async function validationSet(holdout: ImageSource, o: ValidationOptions): Promise<HostBatch> {
  if (holdout.size === 0) throw new UsageError('no held-out images for validation (need at least 2 training images, or a holdout fraction > 0)');
  if (!Number.isInteger(o.count) || o.count < 1) throw new UsageError(`validation count must be a positive integer, got ${o.count}`);
  if (o.kind === 'adapter' && (!o.degradations || o.degradations.length === 0)) throw new UsageError("an 'adapter' validation set needs its degradations");
  const parts: HostBatch[] = [];
  for (let i = 0; i < o.count; i++) {
    const one = imageSourceFromImages([await holdout.getRaw(i % holdout.size)]);
    const opts = { batch: 1, patch: o.patch, rescale: false as const };
    // Redraw the (rare) clean or unchanged patch: its input PSNR would be infinite.
    for (let attempt = 0; ; attempt++) {
      const rng = new Rng(`${o.seed}:val:${o.kind}:${i}:${attempt}`);
      const sample =
        o.kind === 'pretrain'
          ? await pretrainBatch(one, rng, { ...opts, ...(o.classes ? { classes: o.classes } : {}) })
          : await adapterBatch(one, rng, { ...opts, degradations: o.degradations!, ...(o.context ? { context: o.context } : {}) });
      if (!sameValues(sample.input!.data, sample.target!.data) || attempt >= 20) {
        parts.push(sample);
        break;
      }
    }
  }
  return concatRows(parts);
}
