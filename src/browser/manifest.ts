/**
 * The web model folder written by `abair model export-web` and read by the browser restorer:
 *
 *   model.json      this manifest (WebModelManifest)
 *   backbone.onnx   the backbone graph, every LoRA-target 1×1 weight a graph input
 *                   (src/onnx/export.ts, adapters as 'inputs'), + `seg_logits` when the head is named
 *   estimator.onnx  the estimator graph (only when the model has one)
 *   lora.bin        little-endian float32: for every weight input, in manifest order, the base
 *                   weight [cin, cout], then each adapter's A [cin, r] and B [r, cout] for that layer
 *
 * Everything the browser needs to blend adapters per image is in the manifest's byte ranges: the
 * merge (W + Σₖ wₖ·scaleₖ·Aₖ·Bₖ) happens in JS and the merged weights are fed to the graph.
 * `parseWebManifest` checks a manifest completely (version, names, every range against lora.bin's
 * size), so a wrong or stale folder fails on load with one line instead of deep inside a tile.
 */
import { UserError } from '../util/errors.js';
import { isSwExponent } from '../model/soft-weights.js';
import { checkCleanGate, type CleanGate } from '../model/clean-gate.js';

export const WEB_MODEL_FORMAT = 'abair-web-model';
export const WEB_MODEL_VERSION = 1;

/** File names inside a web model folder. */
export const WEB_MODEL_FILES = {
  manifest: 'model.json',
  backbone: 'backbone.onnx',
  estimator: 'estimator.onnx',
  lora: 'lora.bin',
} as const;

/** A slice of lora.bin, in bytes (always a multiple of 4: float32 values). */
export interface ByteRange {
  byteOffset: number;
  byteLength: number;
}

/** One backbone graph input that takes a (merged) 1×1 weight; its base value is in lora.bin. */
export interface WebWeightInput extends ByteRange {
  /** graph input name = the parameter name, e.g. `enc1.0.attn.qkv.w` */
  name: string;
  /** [cin, cout] */
  shape: [number, number];
}

/** One adapter's low-rank factors for one weight input. */
export interface WebAdapterLayer {
  /** the weight input (WebWeightInput.name) this layer modifies */
  input: string;
  rank: number;
  /** A [cin, rank] */
  a: ByteRange;
  /** B [rank, cout] */
  b: ByteRange;
}

export interface WebAdapter {
  /** the degradation class this adapter restores */
  name: string;
  /** α / r: the merge adds weight · scale · A·B */
  scale: number;
  layers: WebAdapterLayer[];
}

/** How the weights were made, for display (the full records stay in the model folder's .json files). */
export interface WebModelProvenance {
  /** architecture preset name, e.g. 'tiny', or null when the backbone records none */
  preset: string | null;
  /** training steps of each part, null where not recorded */
  steps: { backbone: number | null; estimator: number | null; adapters: Record<string, number | null> };
}

export interface WebModelManifest {
  format: typeof WEB_MODEL_FORMAT;
  version: typeof WEB_MODEL_VERSION;
  /** degradation classes, one adapter each, in the order of every per-class vector (the estimator's order) */
  classes: string[];
  /** side of the estimator's square input, or null when the model has no estimator (then only explicit modes work) */
  estimatorInputSize: number | null;
  /** SW blends by odds^swExponent of the estimate (the estimator's calibration); 1 when absent (manifests written before it existed) */
  swExponent: number;
  /** SW pulls the restoration back toward the input by the clean share (the estimator's keepClean); false when absent */
  keepClean: boolean;
  /** the estimator also outputs p(clean), after the classes (EstimatorConfig.clean); false when absent */
  cleanOutput: boolean;
  /** the model's clean gate (src/model/clean-gate.ts; its keep share is the p(clean) the runner reports), or null; null when absent */
  cleanGate: CleanGate | null;
  /** names of the segmentation head's classes (seg_logits channel 1 + k), or null when the graph has no seg_logits */
  segmentationClasses: string[] | null;
  /** tiles smaller than this on a side are reflect-padded by the caller (the graph pads larger ones itself) */
  padMultiple: number;
  /** byte length of lora.bin */
  loraBytes: number;
  weightInputs: WebWeightInput[];
  /** one per class, in `classes` order */
  adapters: WebAdapter[];
  provenance: WebModelProvenance;
}

function fail(message: string): never {
  throw new UserError(`${WEB_MODEL_FILES.manifest}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonNegInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) fail(`${what} must be a list of names`);
  if (new Set(value).size !== value.length) fail(`${what} has a duplicate name`);
  return [...(value as string[])];
}

function byteRange(value: unknown, what: string, expectedFloats: number, loraBytes: number): ByteRange {
  if (!isObject(value) || !isNonNegInt(value['byteOffset']) || !isNonNegInt(value['byteLength'])) fail(`${what}: needs integer byteOffset and byteLength`);
  const range = { byteOffset: value['byteOffset'] as number, byteLength: value['byteLength'] as number };
  if (range.byteOffset % 4 !== 0) fail(`${what}: byteOffset ${range.byteOffset} is not a multiple of 4`);
  if (range.byteLength !== expectedFloats * 4) fail(`${what}: ${range.byteLength} bytes, its shape needs ${expectedFloats * 4}`);
  if (range.byteOffset + range.byteLength > loraBytes) fail(`${what}: bytes ${range.byteOffset}–${range.byteOffset + range.byteLength} lie beyond lora.bin's ${loraBytes}`);
  return range;
}

function nullableSteps(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Checks a parsed model.json and returns it typed; throws a UserError naming the first problem. */
export function parseWebManifest(json: unknown): WebModelManifest {
  if (!isObject(json)) fail('not a JSON object');
  if (json['format'] !== WEB_MODEL_FORMAT) fail(`not an abair web model (format is not '${WEB_MODEL_FORMAT}')`);
  if (json['version'] !== WEB_MODEL_VERSION) {
    fail(`unsupported version ${JSON.stringify(json['version'])} (this abair reads version ${WEB_MODEL_VERSION}; export the model again with abair model export-web)`);
  }
  const classes = stringList(json['classes'], 'classes');
  const estimatorInputSize = json['estimatorInputSize'];
  if (estimatorInputSize !== null && !isPosInt(estimatorInputSize)) fail('estimatorInputSize must be a positive integer or null');
  const swExponent = json['swExponent'] ?? 1;
  if (!isSwExponent(swExponent)) fail('swExponent must be a finite number > 0');
  const keepClean = json['keepClean'] ?? false;
  if (typeof keepClean !== 'boolean') fail('keepClean must be true or false');
  const cleanOutput = json['cleanOutput'] ?? false;
  if (typeof cleanOutput !== 'boolean') fail('cleanOutput must be true or false');
  let cleanGate: CleanGate | null = null;
  if (json['cleanGate'] !== undefined && json['cleanGate'] !== null) {
    try {
      cleanGate = checkCleanGate(json['cleanGate'], classes);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const segmentationClasses = json['segmentationClasses'] === null ? null : stringList(json['segmentationClasses'], 'segmentationClasses');
  if (segmentationClasses && segmentationClasses.length === 0) fail('segmentationClasses is empty (null means no segmentation head)');
  const padMultiple = json['padMultiple'];
  if (!isPosInt(padMultiple)) fail('padMultiple must be a positive integer');
  const loraBytes = json['loraBytes'];
  if (!isNonNegInt(loraBytes)) fail('loraBytes must be an integer ≥ 0');

  if (!Array.isArray(json['weightInputs'])) fail('weightInputs must be a list');
  const shapes = new Map<string, [number, number]>();
  const weightInputs = (json['weightInputs'] as unknown[]).map((entry, i): WebWeightInput => {
    if (!isObject(entry) || typeof entry['name'] !== 'string') fail(`weightInputs[${i}] needs a name`);
    const name = entry['name'] as string;
    const shape = entry['shape'];
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every(isPosInt)) fail(`weight input ${name}: shape must be [cin, cout]`);
    if (shapes.has(name)) fail(`weight input ${name} is listed twice`);
    const [cin, cout] = shape as [number, number];
    shapes.set(name, [cin, cout]);
    return { name, shape: [cin, cout], ...byteRange(entry, `weight input ${name}`, cin * cout, loraBytes) };
  });

  if (!Array.isArray(json['adapters'])) fail('adapters must be a list');
  const adapters = (json['adapters'] as unknown[]).map((entry, k): WebAdapter => {
    if (!isObject(entry) || typeof entry['name'] !== 'string') fail(`adapters[${k}] needs a name`);
    const name = entry['name'] as string;
    const scale = entry['scale'];
    if (typeof scale !== 'number' || !Number.isFinite(scale)) fail(`adapter ${name}: scale must be a finite number`);
    if (!Array.isArray(entry['layers'])) fail(`adapter ${name}: layers must be a list`);
    const seen = new Set<string>();
    const layers = (entry['layers'] as unknown[]).map((layer, i): WebAdapterLayer => {
      if (!isObject(layer) || typeof layer['input'] !== 'string') fail(`adapter ${name}: layers[${i}] needs an input name`);
      const input = layer['input'] as string;
      const shape = shapes.get(input);
      if (!shape) fail(`adapter ${name}: layer ${input} is not one of the weight inputs`);
      if (seen.has(input)) fail(`adapter ${name}: layer ${input} is listed twice`);
      seen.add(input);
      const rank = layer['rank'];
      if (!isPosInt(rank)) fail(`adapter ${name}, layer ${input}: rank must be a positive integer`);
      const [cin, cout] = shape;
      return {
        input,
        rank,
        a: byteRange(layer['a'], `adapter ${name}, layer ${input}, A`, cin * rank, loraBytes),
        b: byteRange(layer['b'], `adapter ${name}, layer ${input}, B`, rank * cout, loraBytes),
      };
    });
    return { name, scale, layers };
  });
  const adapterNames = adapters.map((a) => a.name);
  if (adapterNames.length !== classes.length || adapterNames.some((n, k) => n !== classes[k])) {
    fail(`adapters (${adapterNames.join(', ') || 'none'}) do not match classes (${classes.join(', ') || 'none'}) one for one`);
  }

  const provenance = isObject(json['provenance']) ? json['provenance'] : {};
  const steps = isObject(provenance['steps']) ? provenance['steps'] : {};
  const adapterSteps = isObject(steps['adapters']) ? steps['adapters'] : {};
  return {
    format: WEB_MODEL_FORMAT,
    version: WEB_MODEL_VERSION,
    classes,
    estimatorInputSize: estimatorInputSize as number | null,
    swExponent,
    keepClean,
    cleanOutput,
    cleanGate,
    segmentationClasses,
    padMultiple,
    loraBytes,
    weightInputs,
    adapters,
    provenance: {
      preset: typeof provenance['preset'] === 'string' ? provenance['preset'] : null,
      steps: {
        backbone: nullableSteps(steps['backbone']),
        estimator: nullableSteps(steps['estimator']),
        adapters: Object.fromEntries(classes.map((name) => [name, nullableSteps(adapterSteps[name])])),
      },
    },
  };
}
