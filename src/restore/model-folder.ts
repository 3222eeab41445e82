/**
 * What the Node runner (node-runner.ts) and the web export need from a model folder, without
 * tfjs: its parts read and checked as plain arrays (readParts), the descriptive fields the runner
 * reports, and the naming of the segmentation head's classes (see node-runner.ts for the folder's rules).
 */
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import type { BackboneConfig } from '../model/config.js';
import type { EstimatorConfig } from '../model/estimator.js';
import { readCleanGate, type LoadedCleanGate } from '../model/clean-gate-file.js';
import { listWeights, readAdapter, readBackbone, readEstimator, type HostLoaded, type LoadedAdapter, type LoadedBackbone, type LoadedEstimator } from '../model/weights.js';

/** A model folder's parts as plain arrays. */
interface HostParts {
  backbone: HostLoaded<LoadedBackbone>;
  estimator: HostLoaded<LoadedEstimator> | null;
  /** clean-gate.json, fitted to this estimator (null without one, or without an estimator) */
  cleanGate: LoadedCleanGate | null;
  adapters: HostLoaded<LoadedAdapter>[];
  classes: string[];
  ignored: string[];
}

/** Logit given to a model class the segmentation head does not predict: softmax weight ≈ e^-30. */
const ABSENT_CLASS_LOGIT = -30;

/** Names of the seg head's classes (see the file comment), or null when they cannot be known. */
export function segmentationClassNames(config: BackboneConfig, provenance: Record<string, unknown>): string[] | null {
  if (config.segClasses === 0) return null;
  const recorded = provenance['segClasses'];
  if (Array.isArray(recorded) && recorded.length === config.segClasses && recorded.every((n) => typeof n === 'string')) return [...(recorded as string[])];
  if (config.segClasses === DEFAULT_CLASSES.length) return [...DEFAULT_CLASSES];
  return null;
}

/**
 * [1+S, 1+K] 0/1 matrix taking seg-head channels to the model's class channels (clean → clean) plus a
 * per-output bias, or null when the mapping is the identity.
 */
export function segmentationMapping(segNames: readonly string[], classes: readonly string[]): { select: Float32Array; bias: Float32Array } | null {
  const identity = segNames.length === classes.length && segNames.every((n, i) => n === classes[i]);
  if (identity) return null;
  const rows = 1 + segNames.length;
  const cols = 1 + classes.length;
  const select = new Float32Array(rows * cols);
  const bias = new Float32Array(cols);
  select[0] = 1; // clean
  classes.forEach((name, k) => {
    const j = segNames.indexOf(name);
    if (j < 0) bias[1 + k] = ABSENT_CLASS_LOGIT;
    else select[(1 + j) * cols + 1 + k] = 1;
  });
  return { select, bias };
}

/** Reads every part of a model folder as plain arrays (no tfjs) and checks that they belong together. */
export async function readParts(dir: string, options: { cleanGate?: boolean } = {}): Promise<HostParts> {
  const files = await listWeights(dir);
  if (!files.backbone) {
    throw new UserError(`${dir}: no backbone.safetensors (a model folder holds backbone.safetensors, lora-<name>.safetensors per degradation and estimator.safetensors)`);
  }
  const backbone = await readBackbone(files.backbone);
  const estimator = files.estimator ? await readEstimator(files.estimator) : null;
  {

    const nameOf = (file: string) => path.basename(file).replace(/^lora-/, '').replace(/\.safetensors$/, '');
    const available = new Map(files.adapters.map((file) => [nameOf(file), file]));
    let classes: string[];
    if (estimator) {
      classes = [...estimator.config.classes];
      const missing = classes.filter((c) => !available.has(c));
      if (missing.length > 0) {
        throw new UserError(`${estimator.file}: estimator class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} ha${missing.length > 1 ? 've' : 's'} no adapter in ${dir} (expected ${missing.map((m) => `lora-${m}.safetensors`).join(', ')})`);
      }
    } else {
      classes = [...available.keys()];
    }
    const ignored = [...available.keys()].filter((name) => !classes.includes(name));
    const adapters: HostLoaded<LoadedAdapter>[] = [];
    for (const name of classes) {
      const file = available.get(name)!;
      const adapter = await readAdapter(file, backbone.config); // refuses a different backbone, naming the file
      if (adapter.config.name !== name) throw new UserError(`${file}: holds adapter '${adapter.config.name}', but its file name says '${name}'`);
      adapters.push(adapter);
    }
    const cleanGate = estimator && options.cleanGate !== false ? await readCleanGate(dir, estimator.file, estimator.config.classes) : null;
    return { backbone, estimator, cleanGate, adapters, classes, ignored };
  }
}

/** The descriptive fields the runner reports for a loaded model folder. */
export function describeModel(
  dir: string, config: BackboneConfig, classes: string[], estimator: { config: EstimatorConfig } | null, ignoredAdapters: string[], segmentationClasses: string[] | null,
  cleanGate: LoadedCleanGate | null = null,
) {
  const hasEstimator = estimator !== null;
  const swExponent = estimator?.config.swExponent ?? 1;
  const keepClean = estimator?.config.keepClean ?? false;
  // a clean gate gives p(clean) (its keep share) whether or not the estimator has the output itself
  const hasCleanOutput = (estimator?.config.clean ?? false) || cleanGate !== null;
  return { dir, config, classes, hasEstimator, swExponent, keepClean, hasCleanOutput, ignoredAdapters, segmentationClasses };
}

/** Why sw/oh cannot run on a model folder without an estimator. */
export function noEstimatorError(modelDir: string, classes: readonly string[]): UserError {
  return new UserError(
    `${modelDir} has no estimator.safetensors, so modes sw and oh are not available: use --mode adapter:<name> or weights:<name>=<w>,… (adapters: ${classes.join(', ')})`,
  );
}

