/**
 * Runs evaluation suites: for each image, build (or read) the 8-bit degraded input, restore it
 * (or not, for the identity baseline), quantise the result to 8 bits and score both against the
 * clean target under the protocol of protocol.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { readImage } from '../io/image-io.js';
import type { MetricSpace } from '../metrics/index.js';
import type { RawPixels, Restorer, RestoreOptions } from '../restore/restorer.js';
import { toUint8 } from '../degrade/quantize.js';
import { listBenchImages } from './datasets.js';
import { accuracyOf, addToConfusion, argmaxClass, mergeAccuracies, mergeConfusions } from './estimator-stats.js';
import { CROP_MULTIPLE, measure, meanScores, protocolDescription, PSNR_CAP_DB, QUANTISATION_NOTE, quantise8, rngFor, SEED_RULE, seedFor } from './protocol.js';
import { EVAL_FORMAT, EVAL_VERSION, type Confusion, type DatasetResult, type EvalMode, type EvalReport, type ImageResult, type ModelInfo, type SuiteResult } from './report.js';
import { CUSTOM_SUITE, customPairsDataset, datasetsOf, SUITE_SEVERITY, truthLabel, type EvalDataset, type SuiteName } from './suites.js';
import { packageRoot, recordedDataPath } from '../util/paths.js';
import path from 'node:path';

export interface EvalProgress {
  suite: SuiteName;
  dataset: string;
  image: string;
  /** 1-based position within the dataset */
  index: number;
  total: number;
}

interface EvalRunOptions {
  suites: readonly SuiteName[];
  /** folder holding CBSD68/, Rain100H/, … */
  dataRoot: string;
  mode: EvalMode;
  /** required unless mode is 'identity' */
  restorer?: Restorer;
  model: ModelInfo;
  space?: MetricSpace;
  /** at most this many images per dataset (applied after --quick's subset) */
  limit?: number;
  quick?: boolean;
  /** passed to restore() (tile size, overlap) */
  restoreOptions?: Pick<RestoreOptions, 'tileSize' | 'overlap' | 'keepClean'>;
  /** the custom suite's pairs (`<dir>/input`, `<dir>/target`) and their true degradation(s) */
  customPairs?: { dir: string; truth: readonly string[] };
  /** only the datasets this accepts (tests) */
  datasetFilter?: (dataset: EvalDataset) => boolean;
  onImage?: (progress: EvalProgress) => void;
}

function abairVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function rawPixels(img: RGBImage): RawPixels {
  return { data: toUint8(img), width: img.width, height: img.height, channels: 3 };
}

/** The adapter mode that realises `mode` on a dataset, or why it cannot be run. */
// @testSeam: tested directly (runner.test.ts)
export function restoreModeFor(mode: EvalMode, truth: readonly string[], classes: readonly string[]): { mode: string } | { skip: string } {
  if (mode === 'oh' || mode === 'sw') return { mode };
  if (mode === 'identity') return { mode: 'identity' };
  if (truth.length === 0) return { skip: 'oracle: a clean input has no true adapter' };
  const missing = truth.filter((t) => !classes.includes(t));
  if (missing.length > 0) return { skip: `oracle: the model has no ${missing.join(', ')} adapter (it has ${classes.join(', ')})` };
  if (truth.length === 1) return { mode: `adapter:${truth[0]}` };
  // mixed: the weight split equally between the true adapters
  const w = 1 / truth.length;
  return { mode: `weights:${truth.map((t) => `${t}=${w}`).join(',')}` };
}

/** The clean and the degraded (8-bit) image of one bench item, made as every eval run makes it. */
export async function loadPair(dataset: EvalDataset, suite: SuiteName, item: { name: string; target: string; input?: string }) {
  const clean = quantise8((await readImage(item.target)).image);
  if (dataset.synthesise) {
    const seed = seedFor(suite, dataset.id, item.name);
    const made = await dataset.synthesise(clean, rngFor(suite, dataset.id, item.name));
    return { clean, degraded: quantise8(made.image), seed, params: made.params as unknown };
  }
  const degraded = quantise8((await readImage(item.input!)).image);
  if (degraded.width !== clean.width || degraded.height !== clean.height) {
    throw new UserError(`${item.input}: ${degraded.width}×${degraded.height} but its target ${item.target} is ${clean.width}×${clean.height}`);
  }
  return { clean, degraded, seed: null, params: null };
}

async function runDataset(dataset: EvalDataset, options: EvalRunOptions, classes: readonly string[]): Promise<DatasetResult> {
  const suite = dataset.suite;
  const all = await listBenchImages(dataset.root ?? options.dataRoot, dataset.folder, !dataset.synthesise);
  let items = options.quick ? all.slice(0, dataset.quickCount) : all;
  if (options.limit !== undefined) items = items.slice(0, options.limit);
  const truth: string[] = [...dataset.truth];
  const base = { id: dataset.id, label: dataset.label, folder: dataset.folder, source: dataset.source, sample: dataset.sample, truth, note: dataset.note, available: all.length };
  const planned = restoreModeFor(options.mode, truth, classes);
  if ('skip' in planned) {
    return { ...base, images: 0, skipped: planned.skip, mean: null, accuracy: null, confusion: null, secondsPerMegapixel: null, perImage: [] };
  }
  const space = options.space ?? 'rgb';
  const perImage: ImageResult[] = [];
  const confusion: Confusion = {};
  for (const [i, item] of items.entries()) {
    options.onImage?.({ suite, dataset: dataset.id, image: item.name, index: i + 1, total: items.length });
    const { clean, degraded, seed, params } = await loadPair(dataset, suite, item);
    const input = measure(degraded, clean, space);
    const cropped = { width: clean.width - (clean.width % CROP_MULTIPLE), height: clean.height - (clean.height % CROP_MULTIPLE) };
    if (options.mode === 'identity') {
      // the identity "model" returns its input, so its scores are the input's
      perImage.push({ name: item.name, ...cropped, seed, params, input, output: input, restoreMode: null, probabilities: null, adapterWeights: null, cleanShare: null, predicted: null, correct: null, restoreSeconds: 0, outputSha256: null });
      continue;
    }
    const started = performance.now();
    const restored = await options.restorer!.restore(rawPixels(degraded), { ...options.restoreOptions, mode: planned.mode });
    const restoreSeconds = (performance.now() - started) / 1000;
    const output = measure(quantise8(restored.image), clean, space);
    const predicted = argmaxClass(restored.probabilities);
    // a clean input has no right answer: its top-1 is left out of the accuracy, its row kept in the confusion
    const correct = truth.length === 0 ? null : predicted !== null && truth.includes(predicted);
    if (predicted !== null) addToConfusion(confusion, truthLabel(truth), predicted);
    perImage.push({
      name: item.name,
      ...cropped,
      seed,
      params,
      input,
      output,
      restoreMode: planned.mode,
      probabilities: restored.probabilities,
      adapterWeights: restored.weights,
      cleanShare: restored.cleanShare,
      predicted,
      correct,
      restoreSeconds,
      outputSha256: createHash('sha256').update(toUint8(restored.image)).digest('hex'),
    });
  }
  const restoredImages = perImage.filter((r) => r.correct !== null);
  const megapixels = perImage.reduce((s, r) => s + (r.width * r.height) / 1e6, 0);
  const seconds = perImage.reduce((s, r) => s + r.restoreSeconds, 0);
  return {
    ...base,
    images: perImage.length,
    skipped: perImage.length === 0 ? 'no images' : null,
    mean: perImage.length ? { input: meanScores(perImage.map((r) => r.input)), output: meanScores(perImage.map((r) => r.output)) } : null,
    accuracy: accuracyOf(restoredImages.map((r) => r.correct === true)),
    confusion: Object.keys(confusion).length ? confusion : null,
    secondsPerMegapixel: options.mode === 'identity' || megapixels === 0 ? null : seconds / megapixels,
    perImage,
  };
}

function suiteSummary(name: SuiteName, datasets: DatasetResult[]): SuiteResult {
  const measured = datasets.filter((d) => d.mean !== null);
  return {
    name,
    datasets,
    mean: measured.length ? { input: meanScores(measured.map((d) => d.mean!.input)), output: meanScores(measured.map((d) => d.mean!.output)) } : null,
    accuracy: mergeAccuracies(datasets.map((d) => d.accuracy)),
    confusion: mergeConfusions(datasets.map((d) => d.confusion)),
  };
}

function customDataset(options: EvalRunOptions): EvalDataset {
  if (!options.customPairs) throw new UserError('the custom suite needs its pairs: --suite custom --pairs <dir> --truth <type>');
  return customPairsDataset(options.customPairs.dir, options.customPairs.truth);
}

export async function runEvaluation(options: EvalRunOptions): Promise<EvalReport> {
  const started = performance.now();
  if (options.mode !== 'identity' && !options.restorer) throw new Error(`mode ${options.mode} needs a restorer`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new UserError(`--limit must be a positive integer, got ${options.limit}`);
  const space = options.space ?? 'rgb';
  // load the model once, up front, so a missing model fails before any work
  const runner = options.restorer ? await options.restorer.load() : null;
  const classes = runner ? runner.classes : [];
  const keepClean = options.mode === 'sw' ? options.restoreOptions?.keepClean ?? runner?.keepClean ?? false : null;
  const suites: SuiteResult[] = [];
  for (const suite of options.suites) {
    const datasets: DatasetResult[] = [];
    const list = suite === CUSTOM_SUITE ? [customDataset(options)] : datasetsOf(suite);
    for (const dataset of list) {
      if (options.datasetFilter && !options.datasetFilter(dataset)) continue;
      datasets.push(await runDataset(dataset, options, classes));
    }
    suites.push(suiteSummary(suite, datasets));
  }
  return {
    format: EVAL_FORMAT,
    version: EVAL_VERSION,
    createdAt: new Date().toISOString(),
    abairVersion: abairVersion(),
    protocol: {
      space,
      cropMultiple: CROP_MULTIPLE,
      ssimWindow: 'gaussian',
      alsoReported: 'ssimUniform7',
      quantisation: QUANTISATION_NOTE,
      seedRule: SEED_RULE,
      psnrCapDb: PSNR_CAP_DB,
      severity: SUITE_SEVERITY,
      description: protocolDescription(space),
    },
    mode: options.mode,
    keepClean,
    model: options.model,
    quick: Boolean(options.quick),
    limit: options.limit ?? null,
    // relative to the shared data folder when inside it, so reports name no machine-local path
    dataRoot: recordedDataPath(options.dataRoot),
    suites,
    accuracy: mergeAccuracies(suites.map((s) => s.accuracy)),
    confusion: mergeConfusions(suites.map((s) => s.confusion)),
    wallSeconds: (performance.now() - started) / 1000,
  };
}
