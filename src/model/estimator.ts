/**
 * The degradation estimator (ABAIR Phase III): a small CNN that looks at an inputSize² image and
 * outputs one independent sigmoid probability per known degradation, so mixed inputs can score
 * high on several. Its probabilities choose the adapter blend: OH = the most likely adapter,
 * SW = the softmax of its logits (softWeights). It is trained on native-resolution inputSize²
 * patches, and the restore engines show it the same: a 3×3 grid of native crops of the image,
 * probabilities averaged (src/restore/estimator-input.ts; the whole image resized to inputSize²
 * loses the high-frequency cues it relies on).
 *
 * Design (ours; the paper does not publish one): bilinear resize to inputSize² (the identity on
 * the engines' crops; any other input size still works), then strided 3×3 convs (stride 2) with
 * GELU, global average pool, linear head. Cost per pass is independent of the input resolution
 * (a few tens of MFLOPs), far below the backbone's.
 *
 * High-pass input (`highPass`, the default): the first conv sees the image and a depthwise 3×3
 * filter of it, initialised as a Laplacian (×4) and trained with the rest. Without it (the first
 * design, still loadable) the 5-class estimator learned only low light in 1000 steps (83 %
 * per-label validation accuracy; noise, rain, haze and blur at their priors), and it cannot tell
 * σ = 0.03 noise from clean in the 60 steps of estimator.test.ts (5/8, every output 0.50), which
 * the high-pass version passes: noise, blur, rain streaks and JPEG blocks live in the high
 * frequencies, which a global average of features of the raw image barely sees.
 */
import { tf } from '../tfjs/tf-handle.js';
import { conv3x3Specs, conv3x3With } from './layers/conv.js';
import { type ModelOps, tfOps, weightOf, type WeightsOf } from './layers/graph-ops.js';
import { createParams, param, type ParamSpec, type ParamStore, type Params } from './params.js';
import { CLEAN_OUTPUT, isSwExponent, softWeights } from './soft-weights.js';

export { CLEAN_OUTPUT };

export interface EstimatorConfig {
  /** Degradation names, one output each (the adapter with the same name is blended by it). */
  classes: string[];
  /** Side of the square the input is resized to. */
  inputSize: number;
  /** Output channels of each stride-2 conv. */
  widths: number[];
  inChannels: number;
  /** Feed the first conv a learned high-pass copy of the image as well (see the file comment). */
  highPass: boolean;
  /**
   * How sharply SW blends by this estimator's scores: weights ∝ odds^swExponent, the softmax of
   * swExponent × logits (softWeights). A calibration of this estimator, not part of its
   * architecture: it is not recorded in the weights file, so it can be set after training
   * (`abair model set-blend`) without touching the weights. 1 (the plain softmax) when absent.
   */
  swExponent: number;
  /**
   * SW leaves clean photos alone: the restoration is pulled back toward the input by the share
   * of "nothing is wrong" (cleanWeight, from Π(1 − p_i)). Also a calibration, set with
   * `abair model set-blend --keep-clean`; false when absent, so older models restore as before.
   */
  keepClean: boolean;
  /**
   * One more output after the classes: p(clean), "nothing here needs restoring", trained on clean
   * crops and on degradations too faint to matter (estimatorBatch's cleanLabel). It has no adapter;
   * SW with keepClean keeps the input by that share (cleanShareFor). Architecture (the head has one
   * more column); false when absent, for estimators trained before it existed.
   */
  clean: boolean;
}

export const DEFAULT_ESTIMATOR: Omit<EstimatorConfig, 'classes'> = { inputSize: 128, widths: [16, 32, 64, 64], inChannels: 3, highPass: true, swExponent: 1, keepClean: false, clean: false };
const HIGH_PASS_GAIN = 4;

/** A stored config, with the fields older versions did not write. */
export type StoredEstimatorConfig = Omit<EstimatorConfig, 'highPass' | 'swExponent' | 'keepClean' | 'clean'> & { highPass?: boolean; swExponent?: number; keepClean?: boolean; clean?: boolean };

/**
 * A config stored before `highPass` existed (those estimators had no high-pass input) or before
 * `swExponent` existed (they blended by the plain softmax, exponent 1) or `keepClean` (off).
 */
export function upgradeEstimatorConfig(config: StoredEstimatorConfig): EstimatorConfig {
  return { ...config, highPass: config.highPass ?? false, swExponent: config.swExponent ?? 1, keepClean: config.keepClean ?? false, clean: config.clean ?? false };
}

/**
 * The part of a config that the weights depend on (recorded in the weights file): all but the blend
 * calibration. `clean` is recorded only when true, so estimators without it keep the record they had.
 */
export function estimatorArchitecture(config: EstimatorConfig): Omit<EstimatorConfig, 'swExponent' | 'keepClean' | 'clean'> & { clean?: true } {
  const { swExponent: _exponent, keepClean: _keepClean, clean, ...architecture } = config;
  return clean ? { ...architecture, clean } : architecture;
}

/** Outputs of the estimator's head: one per class, and p(clean) last when it has the clean output. */
export function estimatorOutputCount(config: EstimatorConfig): number {
  return config.classes.length + (config.clean ? 1 : 0);
}

export function estimatorConfig(classes: string[], overrides: Partial<Omit<EstimatorConfig, 'classes'>> = {}): EstimatorConfig {
  const config = { ...DEFAULT_ESTIMATOR, ...overrides, classes: [...classes] };
  validateEstimatorConfig(config);
  return config;
}

export function validateEstimatorConfig(config: EstimatorConfig): void {
  if (!Array.isArray(config.classes) || config.classes.length === 0) throw new Error('estimator config: needs at least one class');
  if (new Set(config.classes).size !== config.classes.length) throw new Error(`estimator config: duplicate class in ${config.classes.join(', ')}`);
  if (!config.classes.every((c) => typeof c === 'string' && c !== '')) throw new Error('estimator config: class names must be non-empty strings');
  // widths first: the inputSize check reads its length
  if (!Array.isArray(config.widths) || config.widths.length === 0 || !config.widths.every((w) => Number.isInteger(w) && w > 0)) throw new Error('estimator config: widths must be positive integers');
  if (!Number.isInteger(config.inputSize) || config.inputSize < 2 ** config.widths.length) throw new Error('estimator config: inputSize too small for its depth');
  if (!Number.isInteger(config.inChannels) || config.inChannels < 1) throw new Error('estimator config: inChannels must be a positive integer');
  if (typeof config.highPass !== 'boolean') throw new Error('estimator config: highPass must be true or false');
  if (!isSwExponent(config.swExponent)) throw new Error(`estimator config: swExponent must be a finite number > 0 (got ${JSON.stringify(config.swExponent)})`);
  if (typeof config.keepClean !== 'boolean') throw new Error(`estimator config: keepClean must be true or false (got ${JSON.stringify(config.keepClean)})`);
  if (typeof config.clean !== 'boolean') throw new Error(`estimator config: clean must be true or false (got ${JSON.stringify(config.clean)})`);
  if (config.classes.includes(CLEAN_OUTPUT)) throw new Error(`estimator config: '${CLEAN_OUTPUT}' is the name of the clean output, not a class`);
}

/** Same architecture (the blend calibration aside: it changes no weight). */
function sameEstimatorConfig(a: EstimatorConfig, b: EstimatorConfig): boolean {
  const key = (c: EstimatorConfig) => JSON.stringify([c.classes, c.inputSize, c.widths, c.inChannels, c.highPass, c.clean]);
  return key(a) === key(b);
}

function headSpecs(inFeatures: number, classes: number): ParamSpec[] {
  return [
    { name: 'est.head.w', shape: [inFeatures, classes], init: { kind: 'fanIn', fanIn: inFeatures } },
    { name: 'est.head.b', shape: [classes], init: { kind: 'zeros' } },
  ];
}

export function estimatorSpecs(config: EstimatorConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  if (config.highPass) specs.push({ name: 'est.highpass.w', shape: [3, 3, config.inChannels, 1], init: { kind: 'laplacian', gain: HIGH_PASS_GAIN } });
  let cin = config.highPass ? 2 * config.inChannels : config.inChannels;
  config.widths.forEach((width, i) => {
    specs.push(...conv3x3Specs(`est.conv${i}`, cin, width, true));
    cin = width;
  });
  return [...specs, ...headSpecs(cin, estimatorOutputCount(config))];
}

export function createEstimator(config: EstimatorConfig, seed: number | string = 'estimator'): ParamStore {
  validateEstimatorConfig(config);
  return createParams(estimatorSpecs(config), seed);
}

/** Logits [N, classes (+1 for clean)] for images [N,H,W,C] of any size. Differentiable w.r.t. the parameters. */
export function estimatorLogits(params: Params, config: EstimatorConfig, images: tf.Tensor4D): tf.Tensor2D {
  return estimatorLogitsWith(tfOps, params, config, images) as tf.Tensor2D;
}

/** estimatorLogits against any ModelOps (tfjs, or the ONNX graph builder). */
export function estimatorLogitsWith<T>(g: ModelOps<T>, params: WeightsOf<T>, config: EstimatorConfig, images: T): T {
  let x = g.resizeSquare(images, config.inputSize);
  if (config.highPass) x = g.concatChannels(x, g.depthwise3x3(x, weightOf(params, 'est.highpass.w')));
  config.widths.forEach((_, i) => {
    x = g.gelu(conv3x3With(g, params, `est.conv${i}`, x, 2));
  });
  const pooled = g.meanPixels(x);
  return g.add(g.matMul(pooled, weightOf(params, 'est.head.w')), weightOf(params, 'est.head.b'));
}

/** Per-output probabilities [N][classes (+ clean last)] (independent sigmoids: multi-label aware). */
// @testSeam: tested directly
export function estimateProbabilities(params: Params, config: EstimatorConfig, images: tf.Tensor4D): number[][] {
  const probs = tf.tidy(() => tf.sigmoid(estimatorLogits(params, config, images)));
  const rows = probs.arraySync() as number[][];
  probs.dispose();
  return rows;
}

type BlendMode = 'oh' | 'sw';

/**
 * Adapter weights per image from estimator probabilities, in the order of `adapterNames`
 * (each must be an estimator class). OH: 1 for the most probable adapter. SW: softWeights with
 * the estimator's swExponent.
 */
// @testSeam: tested directly
export function blendWeights(probabilities: number[][], classes: readonly string[], adapterNames: readonly string[], mode: BlendMode, swExponent = 1): number[][] {
  const columns = adapterNames.map((name) => {
    const index = classes.indexOf(name);
    if (index < 0) throw new Error(`no estimator class for adapter '${name}' (classes: ${classes.join(', ')})`);
    return index;
  });
  return probabilities.map((row) => {
    const p = columns.map((c) => row[c]!);
    if (mode === 'oh') {
      const best = p.indexOf(Math.max(...p));
      return p.map((_, k) => (k === best ? 1 : 0));
    }
    return Array.from(softWeights(p, swExponent));
  });
}

/** FLOPs of one estimator pass (resolution independent; resize excluded). */
export function estimatorFlops(config: EstimatorConfig): number {
  let size = config.inputSize;
  let cin = config.highPass ? 2 * config.inChannels : config.inChannels;
  let total = config.highPass ? 2 * 9 * config.inChannels * size * size : 0;
  for (const width of config.widths) {
    size = Math.ceil(size / 2);
    total += 2 * 9 * cin * width * size * size;
    cin = width;
  }
  return total + 2 * cin * estimatorOutputCount(config);
}
