/**
 * Weight files from a run's current checkpoint, so a long Phase I campaign can be evaluated (or
 * an interim model shipped) before it finishes: the run itself writes backbone.safetensors only
 * at its last step. Adapter and estimator runs are short and write their files when they end.
 */
import { UserError } from '../cli/errors.js';
import { tf } from '../engine/backend.js';
import type { BackboneConfig } from '../model/config.js';
import { saveBackbone } from '../model/weights.js';
import { checkpointPath, loadCheckpoint } from './checkpoint.js';

export async function exportRunWeights(runDir: string, outDir: string): Promise<string[]> {
  const file = checkpointPath(runDir);
  const ckpt = await loadCheckpoint(file);
  const run = ckpt.run;
  if (run.phase !== 'pretrain') {
    throw new UserError(`${file}: exporting is implemented for pretrain runs; this is a '${String(run.phase)}' run, which writes its weight file when it finishes`);
  }
  const params = Object.fromEntries(Object.entries(ckpt.params).map(([name, data]) => [name, tf.tensor(data, ckpt.shapes[name])]));
  try {
    const provenance = {
      exportedFrom: file,
      phase: 'pretrain',
      steps: ckpt.step,
      plannedSteps: run.steps,
      batch: run.batch,
      patchesSeen: ckpt.progress.patchesSeen,
      wallSec: Math.round(ckpt.progress.elapsedSec * 10) / 10,
      seed: run.seed,
      images: run.images,
      segClasses: run.classes,
      createdAt: new Date().toISOString(),
    };
    const preset = typeof run.preset === 'string' ? { preset: run.preset } : {};
    return [await saveBackbone(outDir, run.config as BackboneConfig, params, { ...preset, provenance })];
  } finally {
    for (const t of Object.values(params)) t.dispose();
  }
}
