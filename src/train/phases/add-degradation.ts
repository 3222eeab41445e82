/**
 * `abair add-degradation`: teach a trained model one more degradation type — Phase II for its
 * adapter, then Phase III for the estimator grown by its class — without touching the backbone or
 * the earlier adapters. The type is a built-in one (`synthetic`), a user's generator module, real
 * degraded/clean pairs, or a generator and pairs together.
 *
 * Order of work, so that nothing half-done reaches the model:
 * 1. check everything that can be checked cheaply (name, model, destination, run folder, the
 *    generator run on a test image, a few pairs decoded) before any training;
 * 2. train both phases into the run folders (<runs>/adapter, <runs>/estimator; each resumable);
 * 3. publish: build the new model folder beside the destination and swap it in (model/publish.ts),
 *    with the generator module copied in and the type's provenance in degradations.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { UsageError, UserError } from '../../util/errors.js';
import { checkGenerator, loadGenerator, validateDegradationName, type LoadedGenerator } from '../../degrade/custom.js';
import { isBuiltinDegradation, parseDegradationSpec, registerDegradation } from '../../degrade/registry.js';
import { CUSTOM_DEGRADATIONS_FILE, generatorFile, readCustomDegradations, type AddedDegradation, type PhaseCost } from '../../model/custom-degradations.js';
import { estimatorWithClasses } from '../../model/estimator-grow.js';
import { DEFAULT_LORA_RANK } from '../../model/lora.js';
import { publishFolder, recoverSwap } from '../../model/publish.js';
import { adapterFile, ESTIMATOR_FILE, listWeights, readEstimator, readSidecar, sidecarPath, type Provenance } from '../../model/weights.js';
import { checkpointPath, loadCheckpoint } from '../checkpoint.js';
import { PAIR_HOLDOUT, resolveClassSources, type NewClassSource } from '../class-sources.js';
import { openCheckedPairs, pairsDigest, resolvePairFolders, splitPairs, type PairSource } from '../data/index.js';
import type { RunResult } from '../runner.js';
import { trainAdapter, type AdapterTrainOptions } from './adapter.js';
import { say } from './common.js';
import { adapterNames, trainEstimator, type EstimatorTrainOptions } from './estimator.js';

// @testSeam: tested directly
export interface AddDegradationOptions {
  name: string;
  /** The model folder to extend (backbone, adapters, estimator). */
  model: string;
  /** Where the extended model goes (default: `model` itself, replaced as a whole). */
  into?: string;
  /** Where the two run folders go. */
  runs: string;
  /** A built-in type, synthesised for both phases (e.g. 'jpeg'). */
  synthetic?: string;
  /** A generator module (.mjs) whose default export is a DegradationDefinition named `name`. */
  generator?: string;
  /** Real pairs: a folder with input/ and target/, or the two folders. */
  pairs?: string | readonly [string, string];
  /** rank left out: that of the model's adapters ({@link modelAdapterRank}). */
  adapter: Omit<AdapterTrainOptions, 'name' | 'backbone' | 'into' | 'out' | 'resume' | 'rank' | 'synthetic' | 'pairs' | 'custom'> & {
    rank?: number;
    /** older spellings of `synthetic` and `pairs` */
    synthetic?: string;
    pairs?: [string, string];
  };
  estimator: Omit<EstimatorTrainOptions, 'model' | 'into' | 'out' | 'resume' | 'from' | 'classes' | 'added'>;
  /** Continue the run folders' interrupted run. */
  resume: boolean;
  /** Start over: discard the run folders' earlier run, and replace a type of this name (or an existing `into`). */
  force?: boolean;
}

interface AddDegradationResult {
  adapter?: RunResult;
  estimator?: RunResult;
  /** the folder that now holds the extended model (absent when interrupted) */
  published?: string;
  /** the new type's files in the published folder */
  outputs: string[];
}

/**
 * The rank a new adapter of this model should have when none is asked for: the rank most of its
 * adapters have (the larger on a tie), so that the added one is as capable as a typical adapter of
 * the model. Not the largest: the shipped model gives one hard task (noise) a far larger rank than
 * the rest, and a new adapter should not pay that training cost by default. `exclude` leaves one
 * adapter out of the count: the one being added (or replaced). DEFAULT_LORA_RANK for a model
 * without (other) adapters.
 */
// @testSeam: tested directly
export async function modelAdapterRank(modelDir: string, exclude?: string): Promise<number> {
  const { adapters } = await listWeights(modelDir);
  const counts = new Map<number, number>();
  for (const file of adapters) {
    const sidecar = await readSidecar(file);
    if (sidecar.kind !== 'lora' || sidecar.adapter.name === exclude) continue;
    counts.set(sidecar.adapter.rank, (counts.get(sidecar.adapter.rank) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [rank, count] of counts) {
    if (count > bestCount || (count === bestCount && rank > best)) [best, bestCount] = [rank, count];
  }
  return best || DEFAULT_LORA_RANK;
}

/** The run folder's own record: which type it adds, and an id the published model carries. */
const RUN_FILE = 'add-degradation.json';
interface RunRecord {
  name: string;
  runId: string;
  /** CPU seconds of this process's earlier sessions of the run (user + system, all threads) */
  cpuSec?: number;
}

/** CPU seconds this process has used since `start` (process.cpuUsage counts worker threads too). */
const cpuSince = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
};

interface Sources {
  generator?: LoadedGenerator;
  pairs?: { all: PairSource; train: PairSource; holdout: PairSource; dirs: [string, string]; digest: string };
}

/** Loads and checks the new type's generator and pairs (before any training). */
async function loadSources(o: AddDegradationOptions, pairsSpec: string | readonly [string, string] | undefined): Promise<Sources> {
  const sources: Sources = {};
  if (o.generator) {
    sources.generator = await loadGenerator(o.generator, o.name);
    await checkGenerator(sources.generator.degradation, o.generator);
    registerDegradation(sources.generator.degradation);
  }
  if (pairsSpec) {
    const dirs = await resolvePairFolders(pairsSpec);
    const all = await openCheckedPairs(dirs[0], dirs[1]);
    const { train, holdout } = splitPairs(all, PAIR_HOLDOUT);
    sources.pairs = { all, train, holdout, dirs, digest: await pairsDigest(all) };
  }
  return sources;
}

function cost(p: Provenance): PhaseCost & { validation?: Record<string, number | undefined> } {
  return {
    steps: Number(p.steps ?? 0),
    wallSec: Number(p.wallSec ?? 0),
    cpuHours: Number(p.cpuHours ?? 0),
    ...(p.validation ? { validation: p.validation as Record<string, number | undefined> } : {}),
  };
}

/** Whether a run folder's checkpoint is at its last step (its weights can be written again cheaply). */
async function finishedRun(dir: string): Promise<boolean> {
  if (!existsSync(checkpointPath(dir))) return false;
  const ckpt = await loadCheckpoint(checkpointPath(dir));
  return typeof ckpt.run.steps === 'number' && ckpt.step >= ckpt.run.steps;
}

export async function addDegradation(o: AddDegradationOptions): Promise<AddDegradationResult> {
  const cpuStart = process.cpuUsage();
  const synthetic = o.synthetic ?? o.adapter.synthetic;
  const pairsSpec = o.pairs ?? o.adapter.pairs;
  const name = o.name;
  // ---- usage, before anything is read
  if (o.resume && o.force) throw new UsageError('--resume continues the earlier run and --force discards it: give one of them');
  if (!synthetic && !o.generator && !pairsSpec) throw new UsageError('give the new type\'s data: --generator <module.mjs>, --pairs <dir> (or both), or --synthetic <built-in type>');
  if (synthetic && (o.generator || pairsSpec)) throw new UsageError('--synthetic is for the built-in types and is given alone; for your own type use --generator and/or --pairs');
  validateDegradationName(name, Boolean(synthetic) || (!o.generator && isBuiltinDegradation(name)));
  if (synthetic) {
    const spec = parseDegradationSpec(synthetic);
    if (spec.length !== 1 || spec[0] !== name) throw new UsageError(`--synthetic ${synthetic}: the estimator learns the class '${name}' from the built-in type of that name, so give --synthetic ${name}`);
  }
  const model = path.resolve(o.model);
  const into = path.resolve(o.into ?? o.model);
  const inPlace = into === model;
  const runs = path.resolve(o.runs);
  if (runs === model || runs === into) throw new UsageError(`--runs must be a folder of its own, not the model folder (${runs})`);
  const adapterOut = path.join(runs, 'adapter');
  const estimatorOut = path.join(runs, 'estimator');

  // ---- the model and the destination
  const recovered = await recoverSwap(into);
  if (recovered) say(o.adapter, recovered);
  const weights = await listWeights(model).catch((err: Error) => {
    throw new UserError(`--model ${o.model}: ${err.message.replace(/^.*?: /, '')}`);
  });
  if (!weights.backbone) throw new UserError(`${model}: no backbone.safetensors; --model must be a trained model folder`);
  const estimatorFile = path.join(model, ESTIMATOR_FILE);
  const oldClasses = weights.estimator ? ((await readSidecar(estimatorFile)) as { config: { classes: string[] } }).config.classes : [];
  const adapters = await adapterNames(model);
  const record = await readCustomDegradations(model);
  const runFile = path.join(runs, RUN_FILE);
  const runRecord = existsSync(runFile) ? (JSON.parse(await readFile(runFile, 'utf8')) as RunRecord) : null;
  const hasType = adapters.includes(name) || oldClasses.includes(name);
  // a resumed run whose result is already in the destination has nothing left to do
  if (o.resume && runRecord && existsSync(into)) {
    const published = await readCustomDegradations(into);
    if (published.types[name]?.runId === runRecord.runId) {
      say(o.adapter, `${into} already has '${name}' from this run; nothing to do`);
      return { published: into, outputs: [path.join(into, adapterFile(name)), path.join(into, ESTIMATOR_FILE)] };
    }
  }
  if (!inPlace && existsSync(into) && !o.force) throw new UserError(`--into ${o.into}: already exists; choose a new folder, or add --force to replace it`);
  if (hasType && !o.force) {
    throw new UserError(`${model} already has '${name}' (${adapters.includes(name) ? adapterFile(name) : 'an estimator class'}); add --force to train it again and replace it, or choose another name`);
  }

  // ---- the run folder
  const earlier = runRecord !== null || existsSync(checkpointPath(adapterOut)) || existsSync(checkpointPath(estimatorOut));
  if (earlier && runRecord && runRecord.name !== name) throw new UserError(`${runs} holds a run adding '${runRecord.name}', not '${name}'; choose another --runs`);
  if (earlier && !o.resume && !o.force) throw new UserError(`${runs} holds an earlier run adding '${name}'; add --resume to continue it, or --force to start over`);
  // lenient, as before: a script may pass --resume whenever the run folder exists
  if (!earlier && o.resume) say(o.adapter, `--resume: ${runs} holds no earlier run adding '${name}'; starting one`);

  // ---- the data, checked before any training
  const sources = await loadSources(o, synthetic ? undefined : pairsSpec);
  const added: NewClassSource = {
    ...(sources.generator ? { generator: sources.generator } : {}),
    ...(sources.pairs ? { pairs: { train: sources.pairs.train, digest: sources.pairs.digest } } : {}),
  };
  // a built-in type learnt from pairs keeps its synthesised estimator samples, plus the pairs'
  const newSource = synthetic ? {} : { [name]: added };
  const classes = weights.estimator ? (oldClasses.includes(name) ? oldClasses : [...oldClasses, name]) : [...adapters.filter((n) => n !== name), name];
  // every other class must still be synthesisable (a recorded generator or pairs): fail now, not after Phase II
  await resolveClassSources(model, classes, newSource);

  if (o.force && earlier) {
    await rm(adapterOut, { recursive: true, force: true });
    await rm(estimatorOut, { recursive: true, force: true });
    await rm(runFile, { force: true });
  }
  const run: RunRecord = o.resume && runRecord ? runRecord : { name, runId: randomUUID() };
  await mkdir(runs, { recursive: true });
  const saveRun = (cpuSec: number) => writeFile(runFile, JSON.stringify({ ...run, cpuSec }, null, 2) + '\n');
  const earlierCpu = run.cpuSec ?? 0;
  await saveRun(earlierCpu);

  // ---- Phase II
  const rank = o.adapter.rank ?? (await modelAdapterRank(model, name));
  const { synthetic: _s, pairs: _p, ...adapterOptions } = o.adapter;
  const adapter = await trainAdapter({
    ...adapterOptions,
    rank,
    name,
    backbone: model,
    into: adapterOut,
    out: adapterOut,
    resume: o.resume && existsSync(checkpointPath(adapterOut)),
    ...(synthetic
      ? { synthetic }
      : {
        custom: {
          ...(sources.generator ? { generator: { name, digest: sources.generator.digest } } : {}),
          ...(sources.pairs ? { pairs: { train: sources.pairs.train, holdout: sources.pairs.holdout, dirs: sources.pairs.dirs, digest: sources.pairs.digest } } : {}),
        },
      }),
  });
  if (adapter.interrupted) {
    await saveRun(earlierCpu + cpuSince(cpuStart));
    return { adapter, outputs: [] };
  }

  // ---- Phase III: the old estimator with the new class (a replaced class starts afresh)
  let from: EstimatorTrainOptions['from'];
  if (weights.estimator) {
    const old = await readEstimator(estimatorFile);
    const values = Object.fromEntries(Object.entries(old.params).map(([n, w]) => [n, w.data]));
    const grown = estimatorWithClasses(old.config, values, classes, { fresh: [name] });
    from = { config: grown.config, params: grown.params };
  }
  const estimator = await trainEstimator({
    ...o.estimator,
    model,
    into: estimatorOut,
    out: estimatorOut,
    resume: o.resume && existsSync(checkpointPath(estimatorOut)),
    classes,
    added: newSource,
    ...(from ? { from } : {}),
  });
  if (estimator.interrupted) {
    await saveRun(earlierCpu + cpuSince(cpuStart));
    return { adapter, estimator, outputs: [] };
  }
  if (!(await finishedRun(adapterOut)) || !(await finishedRun(estimatorOut))) throw new Error('add-degradation: a phase ended without finishing');

  // ---- publish
  const adapterWeights = path.join(adapterOut, adapterFile(name));
  const estimatorWeights = path.join(estimatorOut, ESTIMATOR_FILE);
  const adapterProv = (await readSidecar(adapterWeights)).provenance;
  const estimatorProv = (await readSidecar(estimatorWeights)).provenance;
  const a = cost(adapterProv);
  const e = cost(estimatorProv);
  const entry: AddedDegradation = {
    description: sources.generator?.degradation.description ?? (synthetic ? `built-in ${name}` : `${name} (learnt from real pairs)`),
    ...(synthetic ? { builtin: true } : {}),
    ...(sources.generator ? { generator: { file: generatorFile(name), sha256_16: sources.generator.digest } } : {}),
    ...(sources.pairs ? { pairs: { input: sources.pairs.dirs[0], target: sources.pairs.dirs[1], digest: sources.pairs.digest, count: sources.pairs.all.size, heldOut: sources.pairs.holdout.size } } : {}),
    adapter: { ...a, rank },
    estimator: { ...e, classes },
    cpuHours: Math.round((a.cpuHours + e.cpuHours) * 1e6) / 1e6,
    wallSec: Math.round((a.wallSec + e.wallSec) * 10) / 10,
    cpuSec: Math.round(earlierCpu + cpuSince(cpuStart)),
    command: (o.adapter.command ?? null) as string | null,
    addedAt: new Date().toISOString(),
    runId: run.runId,
  };
  const nextRecord = { ...record, types: { ...record.types, [name]: entry } };
  const copy: Record<string, string> = {
    [adapterFile(name)]: adapterWeights,
    [path.basename(sidecarPath(adapterWeights))]: sidecarPath(adapterWeights),
    [ESTIMATOR_FILE]: estimatorWeights,
    [path.basename(sidecarPath(estimatorWeights))]: sidecarPath(estimatorWeights),
    ...(sources.generator ? { [generatorFile(name)]: sources.generator.file } : {}),
  };
  // a replaced type's generator copy goes when the new one has none
  const remove = !sources.generator && record.types[name]?.generator ? [generatorFile(name)] : [];
  await publishFolder(model, into, { copy, remove, write: { [CUSTOM_DEGRADATIONS_FILE]: JSON.stringify(nextRecord, null, 2) + '\n' } });
  say(o.adapter, `added '${name}' to ${into} (classes ${classes.join(', ')})`);
  return { adapter, estimator, published: into, outputs: [path.join(into, adapterFile(name)), path.join(into, ESTIMATOR_FILE)] };
}
