/**
 * Phase III: the degradation estimator, trained on single and mixed synthetic degradations with
 * multi-hot targets (binary cross-entropy per class). Classes default to the adapters present in
 * the model folder; with `from`, training starts from an existing estimator (grown by one class
 * when a degradation was added: the old rows are kept and fine-tuned).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CLEAN_GATE_FILE } from '../../model/clean-gate.js';
import { UsageError, UserError } from '../../util/errors.js';
import { estimatorArchitecture, estimatorConfig, estimatorSpecs, type EstimatorConfig } from '../../model/estimator.js';
import { hostWeights, listWeights, saveEstimator } from '../../model/weights.js';
import { Rng } from '../../util/rng.js';
import { DEFAULT_CLEAN_FRACTION, estimatorBatch, type MixedLabels } from '../data/index.js';
import { runTraining, type RunResult } from '../runner.js';
import { resolveClassSources, type NewClassSource } from '../class-sources.js';
import { commonIdentity, fileDigest, openTrainingImages, runSettings, say, type CommonTrainOptions } from './common.js';
import { recordedDataPath } from '../../util/paths.js';

export interface EstimatorTrainOptions extends CommonTrainOptions {
  /** Model folder: its lora-*.safetensors name the default classes, and the estimator goes here. */
  model: string;
  classes?: string[];
  images: string[];
  /** Fraction of samples with two stacked degradations. */
  mixedFraction: number;
  /** Labels of mixed samples (default 'multi-hot'); see EstimatorOptions.mixedLabels. */
  mixedLabels?: MixedLabels;
  /** Fraction of clean samples, labelled all zeros (default DEFAULT_CLEAN_FRACTION). */
  cleanFraction?: number;
  /** Give a new estimator the clean output (EstimatorConfig.clean); a `from` estimator brings its own. */
  cleanOutput?: boolean;
  /** Fraction of degraded samples drawn faint (EstimatorOptions.faintFraction; default 0). */
  faintFraction?: number;
  /** Degrade a (context·patch)² window and train on its centre patch (default 1); see EstimatorOptions. */
  context?: number;
  /** Output channels of the estimator's stride-2 convs (default DEFAULT_ESTIMATOR.widths); ignored with `from`. */
  widths?: number[];
  /** Folder that receives estimator.safetensors (default: the model folder). */
  into?: string;
  /**
   * Start from these values (config must match the classes), e.g. a grown estimator. `file`, when
   * the values come from one unchanged (`train estimator --from`), puts its hash in the run
   * identity, so a resume from another starting file is refused.
   */
  from?: { config: EstimatorConfig; params: Record<string, Float32Array>; file?: string };
  /** Sources of classes not yet recorded in the model folder (the type add-degradation is adding). */
  added?: Record<string, NewClassSource>;
}

/** The adapter names present in a model folder (lora-<name>.safetensors), sorted. */
export async function adapterNames(modelDir: string): Promise<string[]> {
  const found = await listWeights(modelDir);
  return found.adapters.map((f) => path.basename(f).replace(/^lora-/, '').replace(/\.safetensors$/, ''));
}

export async function trainEstimator(o: EstimatorTrainOptions): Promise<RunResult> {
  const classNames = o.classes ?? o.from?.config.classes ?? await adapterNames(o.model);
  if (classNames.length === 0) throw new UserError(`${o.model}: no lora-*.safetensors adapters found; train adapters first or give --classes`);
  // every class needs samples: built-in types are synthesised, added ones come from their record
  const sources = await resolveClassSources(o.model, classNames, o.added);
  const classes = sources.classes;
  const pairClasses = sources.pairClasses;
  // only recorded when there are added types, so earlier runs keep their identity (and resume)
  const sourceSetting = Object.keys(sources.digests).length > 0 ? { classSources: sources.digests } : {};
  if (o.from && o.widths) throw new UserError('widths cannot be given when starting from an existing estimator (its widths are kept)');
  const config = o.from?.config ?? estimatorConfig(classes, { ...(o.widths ? { widths: o.widths } : {}), ...(o.cleanOutput ? { clean: true, keepClean: true } : {}) });
  if (JSON.stringify(config.classes) !== JSON.stringify(classes)) throw new UserError(`the starting estimator's classes (${config.classes.join(', ')}) differ from ${classes.join(', ')}`);
  const cleanFraction = o.cleanFraction ?? DEFAULT_CLEAN_FRACTION;
  // checked here too, so a bad pair fails before any images are opened or files written
  if (!(o.mixedFraction >= 0 && cleanFraction >= 0 && o.mixedFraction + cleanFraction <= 1)) {
    throw new UsageError(`mixedFraction (${o.mixedFraction}) and cleanFraction (${cleanFraction}) must be ≥ 0 and sum to ≤ 1`);
  }
  const { train, holdout } = await openTrainingImages(o.images, o);
  const into = o.into ?? o.model;
  const context = o.context ?? 1;
  // only recorded when used, so runs from before the option keep their identity (and resume)
  const contextSetting = context === 1 ? {} : { context };
  const labelSetting = (o.mixedLabels ?? 'multi-hot') === 'multi-hot' ? {} : { mixedLabels: o.mixedLabels };
  // likewise: a run at the default clean share keeps the identity it had before the option
  const cleanSetting = cleanFraction === DEFAULT_CLEAN_FRACTION ? {} : { cleanFraction };
  // the clean label and faint samples, recorded only when used (older runs keep their identity)
  const faintFraction = o.faintFraction ?? 0;
  const faintSetting = { ...(config.clean ? { cleanLabel: true } : {}), ...(faintFraction > 0 ? { faintFraction } : {}) };
  const fromSetting = o.from?.file ? { warmStartDigest: await fileDigest(o.from.file) } : {};
  say(o, `estimator: classes ${classes.join(', ')}${o.from ? ' (starting from the existing estimator)' : ''}, ${o.steps} steps × ${o.batch} patches of ${o.patch}², lr ${o.lr}, ONNX Runtime, ${o.threads} thread(s) → ${into}`);
  return runTraining({
    phase: 'estimator',
    outDir: o.out,
    model: { phase: 'estimator', config, seed: o.seed },
    patch: o.patch,
    // the architecture only: the SW exponent changes no step, so setting it on a --from model
    // (or the version that added it) does not make a run unresumable
    identity: { phase: 'estimator', config: estimatorArchitecture(config), mixedFraction: o.mixedFraction, ...contextSetting, ...labelSetting, ...cleanSetting, ...faintSetting, warmStart: Boolean(o.from), ...fromSetting, ...sourceSetting, images: o.images, ...commonIdentity(o) },
    meta: { command: o.command ?? null, model: o.model, classes, images: o.images, steps: o.steps, batch: o.batch, patch: o.patch, lr: o.lr, warmup: o.warmup, mixedFraction: o.mixedFraction, ...contextSetting, ...labelSetting, ...cleanSetting, ...faintSetting, ...sourceSetting, seed: o.seed },
    ...runSettings(o),
    batchFor: (_step, rng) => estimatorBatch(train, rng, { batch: o.batch, patch: o.patch, classes, mixedFraction: o.mixedFraction, context, ...labelSetting, ...cleanSetting, ...faintSetting, pairClasses }),
    validation: { every: o.valEvery, batch: () => estimatorBatch(holdout, new Rng(`${o.seed}:estimator:val`), { batch: o.valCount, patch: o.patch, classes, mixedFraction: o.mixedFraction, context, ...labelSetting, ...cleanSetting, ...faintSetting, pairClasses }) },
    ...(o.from ? { initialParams: o.from.params } : {}),
    finish: async (params, provenance) => {
      const file = await saveEstimator(into, config, hostWeights(params, estimatorSpecs(config)), { ...provenance, images: o.images.map(recordedDataPath), mixedFraction: o.mixedFraction, ...contextSetting, ...labelSetting, ...cleanSetting, ...faintSetting, ...sourceSetting });
      // a clean gate reads the estimator it was fitted to: one beside the new estimator is stale
      if (await fs.rm(path.join(into, CLEAN_GATE_FILE)).then(() => true, () => false)) {
        say(o, `removed ${path.join(into, CLEAN_GATE_FILE)} (fitted to the previous estimator); refit it with: abair train clean-gate --model ${into}`);
      }
      return [file];
    },
  });
}
