/**
 * `abair add-degradation`: Phase II for one new adapter, then Phase III for the estimator with the
 * grown class list. The existing estimator (if any) is grown by one class (old rows kept, then
 * fine-tuned); the backbone and earlier adapters are only read, never written.
 * Run folders: <runs>/adapter and <runs>/estimator (each resumable on its own).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import { addEstimatorClass } from '../../model/estimator.js';
import { disposeParams, hostValues } from '../../model/params.js';
import { DEFAULT_LORA_RANK } from '../../model/lora.js';
import { adapterFile, ESTIMATOR_FILE, listWeights, loadEstimator, readSidecar } from '../../model/weights.js';
import { initEngine } from '../../engine/backend.js';
import { checkpointPath } from '../checkpoint.js';
import type { RunResult } from '../runner.js';
import { trainAdapter, type AdapterTrainOptions } from './adapter.js';
import { adapterNames, trainEstimator, type EstimatorTrainOptions } from './estimator.js';

export interface AddDegradationOptions {
  name: string;
  model: string;
  /** Where the two run folders go. */
  runs: string;
  /** rank left out: that of the model's adapters ({@link modelAdapterRank}). */
  adapter: Omit<AdapterTrainOptions, 'name' | 'backbone' | 'into' | 'out' | 'resume' | 'rank'> & { rank?: number };
  estimator: Omit<EstimatorTrainOptions, 'model' | 'into' | 'out' | 'resume' | 'from' | 'classes'>;
  resume: boolean;
}

/**
 * The rank a new adapter of this model should have when none is asked for: the rank most of its
 * adapters have (the larger on a tie), so that the added one is as capable as a typical adapter of
 * the model. Not the largest: the shipped model gives one hard task (noise) a far larger rank than
 * the rest, and a new adapter should not pay that training cost by default. `exclude` leaves one
 * adapter out of the count: the one being added, whose file is already in the model when an
 * add-degradation run is resumed. DEFAULT_LORA_RANK for a model without (other) adapters.
 */
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

export async function addDegradation(o: AddDegradationOptions): Promise<{ adapter: RunResult; estimator?: RunResult }> {
  const adapterOut = path.join(o.runs, 'adapter');
  const estimatorOut = path.join(o.runs, 'estimator');
  const existing = await adapterNames(o.model);
  const adapterDone = existing.includes(o.name);
  if (adapterDone && !o.resume) throw new UserError(`${o.model} already has an adapter '${o.name}' (${adapterFile(o.name)}); choose another name`);
  const oldClasses = existing.filter((n) => n !== o.name);
  const rank = o.adapter.rank ?? await modelAdapterRank(o.model, o.name);
  const adapter = await trainAdapter({
    ...o.adapter,
    rank,
    name: o.name,
    backbone: o.model,
    into: o.model,
    out: adapterOut,
    resume: o.resume && existsSync(checkpointPath(adapterOut)),
  });
  if (adapter.interrupted) return { adapter };

  // Start from the old estimator grown by the new class, when there is one to grow.
  let from: EstimatorTrainOptions['from'];
  const estimatorFile = path.join(o.model, ESTIMATOR_FILE);
  if (existsSync(estimatorFile)) {
    await initEngine({ backend: 'wasm' });
    const old = await loadEstimator(estimatorFile);
    if (old.config.classes.includes(o.name)) {
      disposeParams(old.params);
      // only a finished earlier run gets here (a fresh one was refused above)
      if (o.resume) return { adapter };
      throw new UserError(`${estimatorFile} already has class '${o.name}'`);
    }
    const grown = addEstimatorClass(old.config, old.params, o.name);
    const params = hostValues(grown.params);
    from = { config: grown.config, params };
    disposeParams(old.params);
    disposeParams(grown.params);
  }
  const classes = from ? from.config.classes : [...oldClasses, o.name];
  const estimator = await trainEstimator({
    ...o.estimator,
    model: o.model,
    into: o.model,
    out: estimatorOut,
    resume: o.resume && existsSync(checkpointPath(estimatorOut)),
    classes,
    ...(from ? { from } : {}),
  });
  return { adapter, estimator };
}
