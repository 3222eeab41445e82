/**
 * An estimator with another class list, built from an existing one by class name: every layer
 * below the head is kept as it is, each head output (a column of est.head.w and its bias) is
 * copied from the old output of the same name, and a class the old estimator lacks — or one
 * listed in `fresh`, being replaced — gets a freshly initialised output. The blend settings
 * (swExponent, keepClean) are kept. Works on host values, so no tensors are created.
 *
 * All head outputs go through {@link headOutputs}, so the trailing p(clean) output of an estimator
 * that has one (EstimatorConfig.clean) is carried over like a class.
 */
import { CLEAN_OUTPUT, estimatorConfig, type EstimatorConfig } from './estimator.js';
import { initialValues } from './params.js';
import { Rng } from '../util/rng.js';

const HEAD_WEIGHT = 'est.head.w';
const HEAD_BIAS = 'est.head.b';

/** The names of a config's head outputs, in order: its classes, then p(clean) when it has that output. */
function headOutputs(config: EstimatorConfig): string[] {
  return config.clean ? [...config.classes, CLEAN_OUTPUT] : [...config.classes];
}

interface RegrownEstimator {
  config: EstimatorConfig;
  params: Record<string, Float32Array>;
  /** head outputs copied from the old estimator / freshly initialised */
  kept: string[];
  added: string[];
}

export function estimatorWithClasses(
  config: EstimatorConfig,
  params: Readonly<Record<string, Float32Array>>,
  classes: readonly string[],
  options: { fresh?: readonly string[]; seed?: string; clean?: boolean } = {},
): RegrownEstimator {
  // gaining the clean output switches keep-clean on: that output exists to be used
  const clean = options.clean ?? config.clean;
  const keepClean = clean && !config.clean ? true : config.keepClean;
  const grown = estimatorConfig([...classes], { inputSize: config.inputSize, widths: config.widths, inChannels: config.inChannels, highPass: config.highPass, swExponent: config.swExponent, keepClean, clean });
  const features = config.widths[config.widths.length - 1]!;
  const oldOutputs = headOutputs(config);
  const newOutputs = headOutputs(grown);
  const w = params[HEAD_WEIGHT];
  const b = params[HEAD_BIAS];
  if (!w || !b || w.length !== features * oldOutputs.length || b.length !== oldOutputs.length) {
    throw new Error(`estimator head: expected ${HEAD_WEIGHT} [${features}, ${oldOutputs.length}] and ${HEAD_BIAS} [${oldOutputs.length}]`);
  }
  const fresh = new Set(options.fresh ?? []);
  const K = oldOutputs.length;
  const K2 = newOutputs.length;
  const w2 = new Float32Array(features * K2);
  const b2 = new Float32Array(K2);
  const kept: string[] = [];
  const added: string[] = [];
  newOutputs.forEach((name, k2) => {
    const k = fresh.has(name) ? -1 : oldOutputs.indexOf(name);
    if (k >= 0) {
      for (let f = 0; f < features; f++) w2[f * K2 + k2] = w[f * K + k]!;
      b2[k2] = b[k]!;
      kept.push(name);
      return;
    }
    // as a new estimator's head would start (fan-in init, zero bias), seeded by the output's name
    const column = initialValues({ name: HEAD_WEIGHT, shape: [features, 1], init: { kind: 'fanIn', fanIn: features } }, new Rng(options.seed ?? `estimator:${name}`));
    for (let f = 0; f < features; f++) w2[f * K2 + k2] = column[f]!;
    added.push(name);
  });
  return { config: grown, params: { ...params, [HEAD_WEIGHT]: w2, [HEAD_BIAS]: b2 }, kept, added };
}

/** The estimator with the clean output added (EstimatorConfig.clean): one fresh last column, every other weight kept. */
export function withCleanOutput(config: EstimatorConfig, params: Readonly<Record<string, Float32Array>>): RegrownEstimator {
  if (config.clean) throw new Error('estimator already has the clean output');
  return estimatorWithClasses(config, params, config.classes, { clean: true });
}
