/**
 * Phase II: one LoRA adapter on the frozen backbone, from synthetic degradations of clean photos
 * (`synthetic: 'rain'` or stacked 'rain+noise') or from the user's aligned pairs. Writes
 * `lora-<name>.safetensors` (+ .json) into `into` (a model folder) or the run folder.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { UsageError, UserError } from '../../util/errors.js';
import { parseDegradationSpec } from '../../degrade/registry.js';
import type { RestorationLoss } from '../../model/config.js';
import { loraTargets } from '../../model/backbone.js';
import { loraSpecs } from '../../model/lora.js';
import { BACKBONE_FILE, hostWeights, readBackbone, saveAdapter } from '../../model/weights.js';
import { adapterConfig } from '../ort-engine.js';
import { Rng } from '../../util/rng.js';
import { adapterBatch, openPairFolders, pairsBatch, validationSet, type PairSource } from '../data/index.js';
import { concatRows } from '../data/validation.js';
import { runTraining, type RunOptions, type RunResult } from '../runner.js';
import { commonIdentity, fileDigest, openTrainingImages, recordedData, runSettings, say, type CommonTrainOptions } from './common.js';

export interface AdapterTrainOptions extends CommonTrainOptions {
  name: string;
  /** Backbone weights: a model folder or a backbone .safetensors file. */
  backbone: string;
  synthetic?: string;
  pairs?: [string, string];
  /** Clean photos for `synthetic`. */
  images: string[];
  rank: number;
  loss: RestorationLoss;
  /** Model folder that receives the adapter file (default: the run folder). */
  into?: string;
  /** synthetic only: degrade (context·patch)² windows and train on their centre patches (default 1) */
  context?: number;
  /** synthetic or a custom generator: fraction of undegraded samples, which teach the adapter to leave clean photos alone (default 0) */
  cleanFraction?: number;
  /**
   * Instead of `synthetic`/`pairs`, a type of the user's (add-degradation): synthesised on `images`
   * by the registered generator `name` (its module's digest in the run identity), and/or learnt from
   * real pairs, trained on `train` and validated on the held-out `holdout`. With both, each batch
   * (and the validation set) is half synthesised, half pairs.
   */
  custom?: {
    generator?: { name: string; digest: string };
    pairs?: { train: PairSource; holdout: PairSource; dirs: [string, string]; digest: string };
  };
}

const ADAPTER_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Batches and validation of a user's type: its generator's share, its pairs' share, or both halves. */
async function customData(o: AdapterTrainOptions, custom: NonNullable<AdapterTrainOptions['custom']>): Promise<{ data: Pick<RunOptions, 'batchFor' | 'validation'>; source: Record<string, unknown> }> {
  const { generator, pairs } = custom;
  const both = Boolean(generator && pairs);
  // with both sources the generator gets the first half (rounded up) of each batch
  const generatorRows = (n: number) => (!generator ? 0 : !pairs ? n : Math.ceil(n / 2));
  const source: Record<string, unknown> = {
    custom: o.name,
    ...(generator ? { generator: generator.digest, images: o.images, ...(o.cleanFraction ? { cleanFraction: o.cleanFraction } : {}) } : {}),
    ...(pairs ? { pairs: pairs.dirs, pairsDigest: pairs.digest, pairsHeldOut: pairs.holdout.size } : {}),
  };
  let train: Awaited<ReturnType<typeof openTrainingImages>>['train'] | undefined;
  let holdout: typeof train;
  if (generator) ({ train, holdout } = await openTrainingImages(o.images, o));
  if (pairs) say(o, `pairs: ${pairs.train.size} for training, ${pairs.holdout.size} held out for validation (${pairs.dirs.join(' → ')})`);
  if (pairs && pairs.holdout.size === 0) say(o, 'note: too few pairs to hold one out; validation uses training pairs');
  const pairVal = pairs && pairs.holdout.size > 0 ? pairs.holdout : pairs?.train;
  const data: Pick<RunOptions, 'batchFor' | 'validation'> = {
    batchFor: async (_step, rng) => {
      const g = generatorRows(o.batch);
      const parts = [];
      if (g > 0) parts.push(await adapterBatch(train!, both ? rng.fork('generator') : rng, { batch: g, patch: o.patch, degradations: [generator!.name], cleanFraction: o.cleanFraction ?? 0 }));
      if (o.batch - g > 0) parts.push(await pairsBatch(pairs!.train, both ? rng.fork('pairs') : rng, { batch: o.batch - g, patch: o.patch }));
      return parts.length === 1 ? parts[0]! : concatRows(parts);
    },
    validation: {
      every: o.valEvery,
      batch: async () => {
        const g = generatorRows(o.valCount);
        const parts = [];
        if (g > 0) parts.push(await validationSet(holdout!, { count: g, patch: o.patch, seed: o.seed, kind: 'adapter', degradations: [generator!.name] }));
        if (o.valCount - g > 0) parts.push(await pairsBatch(pairVal!, new Rng(`${o.seed}:adapter:val`), { batch: o.valCount - g, patch: o.patch }));
        return parts.length === 1 ? parts[0]! : concatRows(parts);
      },
    },
  };
  return { data, source };
}

async function resolveBackboneFile(target: string): Promise<string> {
  const s = await stat(target).catch(() => null);
  if (!s) throw new UserError(`${target}: backbone not found`);
  return s.isDirectory() ? path.join(target, BACKBONE_FILE) : target;
}

export async function trainAdapter(o: AdapterTrainOptions): Promise<RunResult> {
  if (!ADAPTER_NAME.test(o.name)) throw new UsageError(`adapter name '${o.name}' must be lower-case letters, digits, '-' or '_'`);
  if ([o.synthetic, o.pairs, o.custom].filter(Boolean).length !== 1) throw new UsageError('give exactly one of --synthetic <spec> and --pairs <inputDir> <targetDir>');
  if (o.custom && !o.custom.generator && !o.custom.pairs) throw new UsageError('a custom type needs a generator, pairs or both');
  const context = o.context ?? 1;
  if (!(Number.isInteger(context) && context >= 1)) throw new UsageError(`--context must be an integer ≥ 1, got ${context}`);
  if (context !== 1 && !o.synthetic) throw new UsageError('--context applies to --synthetic degradations only (pairs are cropped as they are)');
  const cleanFraction = o.cleanFraction ?? 0;
  if (cleanFraction !== 0 && (o.pairs || (o.custom && !o.custom.generator))) throw new UsageError('--clean-fraction applies to synthesised degradations only (pairs bring their own targets)');
  // Only non-default settings enter the run identity, so runs from before the options resume.
  const contextSetting = { ...(context === 1 ? {} : { context }), ...(cleanFraction === 0 ? {} : { cleanFraction }) };
  const backboneFile = await resolveBackboneFile(o.backbone);
  const backboneDigest = await fileDigest(backboneFile);
  let data: Pick<RunOptions, 'batchFor' | 'validation'>;
  let source: Record<string, unknown>;
  if (o.synthetic) {
    const degradations = parseDegradationSpec(o.synthetic);
    const { train, holdout } = await openTrainingImages(o.images, o);
    data = {
      batchFor: (_step, rng) => adapterBatch(train, rng, { batch: o.batch, patch: o.patch, degradations, context, cleanFraction }),
      validation: { every: o.valEvery, batch: () => validationSet(holdout, { count: o.valCount, patch: o.patch, seed: o.seed, kind: 'adapter', degradations, context }) },
    };
    source = { synthetic: degradations, images: o.images, ...contextSetting };
  } else if (o.custom) {
    ({ data, source } = await customData(o, o.custom));
  } else {
    const [inputDir, targetDir] = o.pairs!;
    const pairs = await openPairFolders(inputDir, targetDir);
    say(o, `pairs: ${pairs.size} (${inputDir} → ${targetDir}); validation uses fixed crops of the training pairs`);
    data = {
      batchFor: (_step, rng) => pairsBatch(pairs, rng, { batch: o.batch, patch: o.patch }),
      validation: { every: o.valEvery, batch: () => pairsBatch(pairs, new Rng(`${o.seed}:adapter:val`), { batch: o.valCount, patch: o.patch }) },
    };
    source = { pairs: [inputDir, targetDir] };
  }
  const into = o.into ?? o.out;
  say(o, `adapter '${o.name}': rank ${o.rank} on ${backboneFile} (frozen), ${o.steps} steps × ${o.batch} patches of ${o.patch}², lr ${o.lr}, ONNX Runtime, ${o.threads} thread(s) → ${into}`);
  // the frozen backbone as host values, fed to every step (its architecture is the file's)
  const backbone = await readBackbone(backboneFile);
  const frozen = Object.fromEntries(Object.entries(backbone.params).map(([name, w]) => [name, w.data]));
  const lora = adapterConfig({ name: o.name, rank: o.rank }, loraTargets(backbone.config));
  return runTraining({
    phase: 'adapter',
    outDir: o.out,
    model: { phase: 'adapter', config: backbone.config, frozen, seed: o.seed, adapter: { name: o.name, rank: o.rank }, loss: o.loss },
    patch: o.patch,
    identity: { phase: 'adapter', name: o.name, rank: o.rank, loss: o.loss, backboneDigest, ...source, ...commonIdentity(o) },
    meta: { command: o.command ?? null, name: o.name, backbone: backboneFile, ...source, rank: o.rank, steps: o.steps, batch: o.batch, patch: o.patch, lr: o.lr, warmup: o.warmup, loss: o.loss, seed: o.seed },
    ...runSettings(o),
    weightDecay: 0, // decaying LoRA factors only pulls the adapter back to the backbone
    ...data,
    finish: async (params, provenance) => [await saveAdapter(into, { config: lora, params: hostWeights(params, loraSpecs(lora, loraTargets(backbone.config))) }, backbone.config, { ...provenance, ...source, ...recordedData(source), backbone: { file: path.basename(backboneFile), sha256_16: backboneDigest } })],
  });
}
