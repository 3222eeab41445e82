/**
 * Training samples with per-pixel degradation labels:
 * - degradationCutMix: regions of one patch carry different degradations (some stacked, some left
 *   clean), for pre-training with the segmentation head;
 * - sampleSingle / sampleMixed: one or several degradations over the whole patch (adapters and the
 *   estimator), in the same output format.
 *
 * Each CutMix degradation is applied to the whole current patch and then pasted through its mask,
 * so a region has the statistics it would have in a fully degraded image (a blur near the region
 * edge still sees real neighbours, JPEG blocks align with the image grid).
 */
import { UsageError } from '../util/errors.js';
import { cloneImage, type RGBImage } from '../image/types.js';
import type { Rng } from '../util/rng.js';
import { randomMask, type MaskShape } from './masks.js';
import { applyDegradation, applyDegradations, getDegradation, physicalOrder } from './registry.js';
import type { DegradationName, DegradationParams } from './types.js';

/** The paper's five base tasks; the estimator's list grows when tasks are added. */
export const DEFAULT_CLASSES: readonly DegradationName[] = ['rain', 'haze', 'noise', 'blur', 'lowlight'];

interface LabelledLayer {
  name: DegradationName;
  params: DegradationParams;
  /** absent when the degradation covers the whole patch */
  region?: { shape: MaskShape; coverage: number; spec: number[] };
}

export interface LabelledSample {
  degraded: RGBImage;
  clean: RGBImage;
  /** H·W·K, 1 where class k is present at the pixel (K = classes.length) */
  labels: Uint8Array;
  /** H·W: 0 = clean, 1+k = classes[k]; where degradations stack, the last one applied */
  classMap: Uint8Array;
  classes: DegradationName[];
  /** the applied layers, in application (physical) order */
  params: LabelledLayer[];
}

interface CutMixOptions {
  /** the label classes, and the pool the region degradations are drawn from */
  classes?: readonly DegradationName[];
  /** at most this many regions (each a different class); default 3 */
  maxLayers?: number;
  /** fixed severity for every region; default: each module's training distribution */
  severity?: number;
  /** region area as a fraction of the patch, drawn uniformly in this range; default [0.2, 0.6] */
  areaRange?: readonly [number, number];
}

function validateClasses(classes: readonly DegradationName[]): DegradationName[] {
  if (classes.length === 0) throw new UsageError('the class list is empty');
  if (classes.length > 254) throw new UsageError('at most 254 classes fit a class map');
  for (const c of classes) getDegradation(c);
  if (new Set(classes).size !== classes.length) throw new UsageError(`repeated class in ${classes.join(',')}`);
  return [...classes];
}

function classIndex(classes: readonly DegradationName[], name: DegradationName): number {
  const k = classes.indexOf(name);
  if (k < 0) throw new UsageError(`'${name}' is not in the class list (${classes.join(', ')})`);
  return k;
}

/** The labels of a sample where `names` cover every pixel. */
function uniformLabels(
  img: RGBImage,
  names: readonly DegradationName[],
  classes: readonly DegradationName[],
): { labels: Uint8Array; classMap: Uint8Array } {
  const n = img.width * img.height;
  const K = classes.length;
  const labels = new Uint8Array(n * K);
  const classMap = new Uint8Array(n);
  const ordered = physicalOrder(names);
  for (const name of ordered) {
    const k = classIndex(classes, name);
    for (let i = 0; i < n; i++) labels[i * K + k] = 1;
  }
  if (ordered.length > 0) classMap.fill(1 + classIndex(classes, ordered[ordered.length - 1]!));
  return { labels, classMap };
}

/** One degradation over the whole patch. */
export async function sampleSingle(
  img: RGBImage,
  name: DegradationName,
  rng: Rng,
  severity?: number,
  classes: readonly DegradationName[] = DEFAULT_CLASSES,
): Promise<LabelledSample> {
  return sampleMixed(img, [name], rng, severity, classes);
}

/** Several degradations stacked (in physical order) over the whole patch. */
export async function sampleMixed(
  img: RGBImage,
  names: readonly DegradationName[],
  rng: Rng,
  severity?: number,
  classes: readonly DegradationName[] = DEFAULT_CLASSES,
): Promise<LabelledSample> {
  const classList = validateClasses(classes);
  const { labels, classMap } = uniformLabels(img, names, classList); // validates before the work
  const { image, params } = await applyDegradations(img, names, rng, severity);
  return { degraded: image, clean: cloneImage(img), labels, classMap, classes: classList, params };
}

/** Degradation CutMix: 1..maxLayers regions, each a different class, pasted in physical order. */
export async function degradationCutMix(img: RGBImage, rng: Rng, options: CutMixOptions = {}): Promise<LabelledSample> {
  const classes = validateClasses(options.classes ?? DEFAULT_CLASSES);
  const maxLayers = Math.min(options.maxLayers ?? 3, classes.length);
  if (!Number.isInteger(maxLayers) || maxLayers < 1) throw new UsageError(`maxLayers must be a positive integer, got ${options.maxLayers}`);
  const [areaLo, areaHi] = options.areaRange ?? [0.2, 0.6];
  if (!(areaLo > 0 && areaLo <= areaHi && areaHi <= 1)) throw new UsageError(`areaRange must satisfy 0 < lo ≤ hi ≤ 1, got [${areaLo}, ${areaHi}]`);

  const { width, height } = img;
  const n = width * height;
  const K = classes.length;

  // distinct classes: a partial Fisher–Yates shuffle
  const pool = [...classes];
  const count = rng.intRange(1, maxLayers);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const chosen = physicalOrder(pool.slice(0, count));

  const degraded = cloneImage(img);
  const labels = new Uint8Array(n * K);
  const classMap = new Uint8Array(n);
  const layers: LabelledLayer[] = [];
  for (const name of chosen) {
    const region = randomMask(width, height, rng.uniform(areaLo, areaHi), rng);
    const { image, params } = await applyDegradation(degraded, name, rng, options.severity);
    const k = classIndex(classes, name);
    const mask = region.mask;
    const src = image.data;
    const dst = degraded.data;
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      dst[3 * i] = src[3 * i]!;
      dst[3 * i + 1] = src[3 * i + 1]!;
      dst[3 * i + 2] = src[3 * i + 2]!;
      labels[i * K + k] = 1;
      classMap[i] = 1 + k;
    }
    layers.push({ name, params, region: { shape: region.shape, coverage: region.coverage, spec: region.spec } });
  }
  return { degraded, clean: cloneImage(img), labels, classMap, classes, params: layers };
}
