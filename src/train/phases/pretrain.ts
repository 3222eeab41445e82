/**
 * Phase I: pre-train the backbone (+ segmentation head) on clean photos degraded on the fly with
 * Degradation CutMix. Writes `<out>/backbone.safetensors` (+ .json).
 */
import { DEFAULT_CLASSES } from '../../degrade/cutmix.js';
import { presetConfig } from '../../model/config.js';
import type { RestorationLoss } from '../../model/config.js';
import { modelSpecs } from '../../model/backbone.js';
import { hostWeights, saveBackbone } from '../../model/weights.js';
import { pretrainBatch, validationSet } from '../data/index.js';
import { runTraining, type RunResult } from '../runner.js';
import { commonIdentity, openTrainingImages, runSettings, say, type CommonTrainOptions } from './common.js';
import { recordedDataPath } from '../../util/paths.js';

interface PretrainOptions extends CommonTrainOptions {
  images: string[];
  preset: string;
  segWeight: number;
  loss: RestorationLoss;
}

export async function trainPretrain(o: PretrainOptions): Promise<RunResult> {
  const config = presetConfig(o.preset);
  // the segmentation labels 1..K name these classes, in this order
  const classes = DEFAULT_CLASSES.slice(0, config.segClasses);
  const { train, holdout } = await openTrainingImages(o.images, o);
  say(o, `pretrain: preset ${o.preset}, ${o.steps} steps × ${o.batch} patches of ${o.patch}², lr ${o.lr} (warm-up ${o.warmup}), ${o.loss} + ${o.segWeight}·seg CE, ONNX Runtime, ${o.threads} thread(s)`);
  return runTraining({
    phase: 'pretrain',
    outDir: o.out,
    model: { phase: 'backbone', config, seed: o.seed, segWeight: o.segWeight, loss: o.loss },
    patch: o.patch,
    identity: { phase: 'pretrain', preset: o.preset, config, segWeight: o.segWeight, loss: o.loss, classes, images: o.images, ...commonIdentity(o) },
    meta: { command: o.command ?? null, images: o.images, preset: o.preset, steps: o.steps, batch: o.batch, patch: o.patch, lr: o.lr, warmup: o.warmup, segWeight: o.segWeight, loss: o.loss, seed: o.seed },
    ...runSettings(o),
    batchFor: (_step, rng) => pretrainBatch(train, rng, { batch: o.batch, patch: o.patch, classes }),
    validation: { every: o.valEvery, batch: () => validationSet(holdout, { count: o.valCount, patch: o.patch, seed: o.seed, kind: 'pretrain', classes }) },
    finish: async (params, provenance) => [await saveBackbone(o.out, config, hostWeights(params, modelSpecs(config)), { preset: o.preset, provenance: { ...provenance, images: o.images.map(recordedDataPath), segClasses: classes } })],
  });
}

