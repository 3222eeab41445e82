/**
 * Weight files from a run's current checkpoint, so a long Phase I run can be evaluated (or
 * an interim model shipped) before it finishes: the run itself writes backbone.safetensors only
 * at its last step. Adapter and estimator runs are short and write their files when they end.
 * A whole-backbone run on one degradation (phase 'finetune-probe': a specialist trained from a
 * preset, as in the backbone-capacity measurements of docs/decisions.md) trains a whole backbone
 * too and may be stopped long before its last step, so its checkpoint exports the same way.
 */
import { UserError } from '../util/errors.js';
import { modelSpecs } from '../model/backbone.js';
import { presetConfig, type BackboneConfig } from '../model/config.js';
import { hostWeights, saveBackbone } from '../model/weights.js';
import { checkpointPath, loadCheckpoint } from './checkpoint.js';

export async function exportRunWeights(runDir: string, outDir: string): Promise<string[]> {
  const file = checkpointPath(runDir);
  const ckpt = await loadCheckpoint(file);
  const run = ckpt.run;
  const config = backboneConfigOf(run, file);
  let params;
  try {
    params = hostWeights(ckpt.params, modelSpecs(config));
  } catch (err) {
    throw new UserError(`${file}: the checkpoint's parameters are not a ${String(run.phase)} backbone (${(err as Error).message})`);
  }
  const provenance = {
    exportedFrom: file,
    phase: run.phase,
    steps: ckpt.step,
    plannedSteps: run.steps,
    batch: run.batch,
    patchesSeen: ckpt.progress.patchesSeen,
    wallSec: Math.round(ckpt.progress.elapsedSec * 10) / 10,
    seed: run.seed,
    images: run.images,
    segClasses: run.classes,
    synthetic: run.synthetic,
    createdAt: new Date().toISOString(),
  };
  const preset = typeof run.preset === 'string' ? { preset: run.preset } : {};
  return [await saveBackbone(outDir, config, params, { ...preset, provenance })];
}

/** The architecture a run's checkpoint trains, for the runs whose checkpoint is a whole backbone. */
function backboneConfigOf(run: Record<string, unknown>, file: string): BackboneConfig {
  if (run.phase === 'pretrain') return run.config as BackboneConfig;
  // A probe from scratch names its preset; one fine-tuned from a backbone file records only that
  // file's digest, so its architecture is not in the checkpoint.
  if (run.phase === 'finetune-probe' && typeof run.preset === 'string') return presetConfig(run.preset);
  const why = run.phase === 'finetune-probe'
    ? 'a probe fine-tuned from a backbone file, which writes its weight file when it finishes'
    : `a '${String(run.phase)}' run, which writes its weight file when it finishes`;
  throw new UserError(`${file}: exporting is implemented for pretrain runs and probes from a preset; this is ${why}`);
}
