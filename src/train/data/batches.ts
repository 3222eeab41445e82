/**
 * Batch builders for the three training phases. Each is a pure function of the source and the rng
 * it is given: sample i draws from `rng.fork(i)` only, so the samples can be built concurrently
 * (JPEG round trips run in sharp's thread pool) and a batch is identical whatever the timing.
 *
 * Target patches are cut straight into the batch buffer; only the patch is ever degraded.
 */
import { UsageError } from '../../util/errors.js';
import { degradationCutMix, DEFAULT_CLASSES, sampleMixed } from '../../degrade/cutmix.js';
import { applyDegradations, getDegradation, isBuiltinDegradation, isDegradationName } from '../../degrade/registry.js';
import type { DegradationName } from '../../degrade/types.js';
import type { HostBatch } from '../../train-ort/host-batch.js';
import type { RGBImage } from '../../image/types.js';
import type { Rng } from '../../util/rng.js';
import type { ImageSource } from './image-source.js';
import type { PairSource } from './pairs.js';
import { extractPatch, planCrop, type RescalePolicy } from './patch.js';

interface PatchOptions {
  batch: number;
  /** patch side in pixels (the model needs a multiple of 8) */
  patch: number;
  /** how large photos are downscaled before cropping (default: see planCrop); false = never */
  rescale?: RescalePolicy | false;
}

/**
 * Phase I sample mix. CutMix dominates (the paper's best pre-training); whole-patch single and
 * stacked samples keep the backbone good at images with one uniform degradation (what the
 * benchmarks are), and a few clean patches teach it to leave clean content alone.
 */
const PRETRAIN_MIX = { cutmix: 0.7, single: 0.15, mixed: 0.1, clean: 0.05 } as const;

interface PretrainOptions extends PatchOptions {
  /** segmentation classes (label k+1 = classes[k]); default the paper's five */
  classes?: readonly DegradationName[];
}

export const MIXED_LABELS = ['multi-hot', 'dominant'] as const;
export type MixedLabels = (typeof MIXED_LABELS)[number];

interface EstimatorOptions extends PatchOptions {
  classes?: readonly DegradationName[];
  /** fraction of samples with two stacked degradations (default 0.3) */
  mixedFraction?: number;
  /** fraction of clean samples, labelled all zeros (default DEFAULT_CLEAN_FRACTION, 0.05) */
  cleanFraction?: number;
  /**
   * Labels of mixed samples. 'multi-hot' (default): 1 for both degradations. 'dominant': 1 for the
   * one that changed the image more (mean squared change of its step in the stack) and the ratio
   * of the two changes for the other, so the estimator learns which adapter matters most for the
   * pair (on held-out haze+snow, picking haze restores far better than picking snow).
   */
  mixedLabels?: MixedLabels;
  /** also return the clean `target` patches (diagnostics, tests); default false */
  withTarget?: boolean;
  /**
   * Degrade a (context·patch)² window and keep its centre patch² (default 1: degrade the patch
   * itself). At test time the estimator sees 128² crops of a whole degraded photo, where haze's
   * depth ramp and other image-scale structure span far more than the crop.
   */
  context?: number;
  /**
   * Add a last label column, "clean" (the estimator's clean output, EstimatorConfig.clean): 1 for an
   * undegraded sample and for one whose degradation changed it too little to matter
   * (PSNR ≥ FAINT_PSNR_DB against its clean patch; its class labels are then 0), else 0.
   */
  cleanLabel?: boolean;
  /**
   * Fraction of the degraded samples drawn at a faint severity (uniform in [0, FAINT_SEVERITY])
   * instead of the training range [0.1, 1], so the clean output also sees barely degraded photos
   * on both sides of the FAINT_PSNR_DB line (default 0: no extra draw, batches as before).
   */
  faintFraction?: number;
  /**
   * Classes learnt from real pairs, with their pairs: a sample of such a class is a crop of a
   * pair's degraded input (any other class of a mixed sample is applied on top of it), and half of
   * the clean samples are crops of the pairs' targets, labelled clean. A class listed here need not
   * be a degradation type abair can synthesise; when it is one too (a generator and pairs), half
   * of its samples are synthesised.
   */
  pairClasses?: ReadonlyMap<string, PairSource>;
}

/**
 * A degradation that leaves its patch at or above this PSNR (dB, RGB, against the clean patch) is
 * labelled clean: at 40 dB the change is below what one sees on a photo, and the best an adapter
 * could gain there is small next to what a wrong adapter at full strength costs.
 */
// @testSeam: tested directly
export const FAINT_PSNR_DB = 40;
/** Upper end of the faint severities (faintFraction): about the weakest tenth of each degradation's range. */
const FAINT_SEVERITY = 0.12;

interface AdapterOptions extends PatchOptions {
  /** applied together to every patch (stacked in physical order), e.g. ['rain', 'noise'] */
  degradations: readonly DegradationName[];
  /**
   * Degrade a (context·patch)² window and train on its centre patch², input and target (default 1:
   * degrade the patch itself). Haze's depth ramp spans the whole degraded image: on a 64² patch it
   * is squeezed into 64 px, on photos it spreads over hundreds (a likely reason why a longer haze
   * run lost on photos; a 4× window did not win on held-out crops either, docs/decisions.md).
   */
  context?: number;
  /**
   * Fraction of samples left undegraded (input = target), so the adapter learns to leave a photo
   * that does not need it alone: SW applies some adapter to every photo, clean ones included
   * (default 0: none, and the sample stream is that of a run without the option).
   */
  cleanFraction?: number;
}

/**
 * Whole-patch degradations (adapter and estimator batches) draw from `rng.fork(i).fork(DEGRADE_STREAM)`,
 * so a test can re-apply the labelled degradations to the target and must get the input back.
 */
// @testSeam: tested directly
export const DEGRADE_STREAM = 'degrade';

function checkPatchOptions(o: PatchOptions): void {
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new UsageError(`batch must be a positive integer, got ${o.batch}`);
  if (!Number.isInteger(o.patch) || o.patch < 8) throw new UsageError(`patch must be an integer ≥ 8, got ${o.patch}`);
}

function checkSource(source: { size: number }): void {
  if (source.size === 0) throw new UsageError('the image source is empty');
}

/** Allocates [B,P,P,3] input and target buffers, the target views for extractPatch. */
function imageBuffers(o: PatchOptions) {
  const n = o.patch * o.patch * 3;
  const input = new Float32Array(o.batch * n);
  const target = new Float32Array(o.batch * n);
  const shape = [o.batch, o.patch, o.patch, 3];
  return {
    shape,
    input,
    target,
    inputView: (i: number) => input.subarray(i * n, (i + 1) * n),
    targetView: (i: number) => target.subarray(i * n, (i + 1) * n),
  };
}

/** Cuts a random augmented clean patch of a random source image into `out`. */
async function cleanPatch(source: ImageSource, rng: Rng, o: PatchOptions, out?: Float32Array): Promise<RGBImage> {
  const img = await source.getRaw(rng.int(source.size));
  return extractPatch(img, planCrop(img.width, img.height, o.patch, rng, o.rescale ?? {}), o.patch, out);
}

/** The window factor of a batch (default 1), checked. */
function checkContext(value: number | undefined): number {
  const context = value ?? 1;
  if (!(Number.isInteger(context) && context >= 1)) throw new UsageError(`context must be an integer ≥ 1, got ${context}`);
  return context;
}

/**
 * Writes sample i of a batch from its degraded and clean window²: the images themselves when the
 * window is the patch (the clean one was cut straight into the target buffer), else their centre patch².
 */
function storeSample(buf: ReturnType<typeof imageBuffers>, i: number, degraded: RGBImage, clean: RGBImage, window: number, patch: number): void {
  if (window === patch) {
    buf.inputView(i).set(degraded.data);
    return;
  }
  centreCrop(degraded.data, window, patch, buf.inputView(i));
  centreCrop(clean.data, window, patch, buf.targetView(i));
}

/** Copies the centre patch² of a window² RGB image into `out`. */
function centreCrop(src: Float32Array, window: number, patch: number, out: Float32Array): void {
  const off = (window - patch) >> 1;
  for (let y = 0; y < patch; y++) {
    const from = ((off + y) * window + off) * 3;
    out.set(src.subarray(from, from + patch * 3), y * patch * 3);
  }
}

/** Two distinct classes (a random ordered pair; stacking sorts them into physical order). */
function pickTwo(classes: readonly DegradationName[], rng: Rng): DegradationName[] {
  const a = rng.int(classes.length);
  const b = (a + 1 + rng.int(classes.length - 1)) % classes.length;
  return [classes[a]!, classes[b]!];
}

function resolveClasses(classes: readonly DegradationName[] | undefined, fromPairs?: ReadonlyMap<string, PairSource>): readonly DegradationName[] {
  const list = classes ?? DEFAULT_CLASSES;
  if (list.length === 0) throw new UsageError('the class list is empty');
  for (const c of list) if (!fromPairs?.has(c)) getDegradation(c);
  return list;
}

/** A (window)² crop of pair `index`'s input and target (the same window and flip/rotation on both). */
async function pairCrop(source: PairSource, rng: Rng, window: number): Promise<{ input: RGBImage; target: RGBImage }> {
  const pair = await source.getRaw(rng.int(source.size));
  const plan = planCrop(pair.input.width, pair.input.height, window, rng, false);
  return { input: extractPatch(pair.input, plan, window), target: extractPatch(pair.target, plan, window) };
}

/**
 * Phase I: `{input, target [B,P,P,3] float32, seg [B,P,P] int32}`, seg 0 = clean pixel, k+1 =
 * classes[k] (where degradations stack, the last applied). Mix: PRETRAIN_MIX.
 */
export async function pretrainBatch(source: ImageSource, rng: Rng, o: PretrainOptions): Promise<HostBatch> {
  checkPatchOptions(o);
  checkSource(source);
  const classes = resolveClasses(o.classes);
  const buf = imageBuffers(o);
  const px = o.patch * o.patch;
  const seg = new Int32Array(o.batch * px);
  await Promise.all(
    Array.from({ length: o.batch }, async (_, i) => {
      const r = rng.fork(i);
      const clean = await cleanPatch(source, r, o, buf.targetView(i));
      const u = r.next();
      const { cutmix, single, mixed } = PRETRAIN_MIX;
      if (u >= cutmix + single + mixed) {
        buf.inputView(i).set(clean.data); // clean sample: seg stays 0
        return;
      }
      const sample =
        u < cutmix
          ? await degradationCutMix(clean, r, { classes })
          : await sampleMixed(clean, u < cutmix + single ? [r.pick(classes)] : pickTwo(classes, r), r, undefined, classes);
      buf.inputView(i).set(sample.degraded.data);
      const map = sample.classMap;
      for (let p = 0; p < px; p++) seg[i * px + p] = map[p]!;
    }),
  );
  return {
    input: { shape: buf.shape, data: buf.input },
    target: { shape: buf.shape, data: buf.target },
    seg: { shape: [o.batch, o.patch, o.patch], data: seg },
  };
}

/**
 * Phase II: `{input, target}` with all of `degradations` over every whole patch (or, with
 * `context` > 1, over a larger window whose centre patch is kept).
 */
export async function adapterBatch(source: ImageSource, rng: Rng, o: AdapterOptions): Promise<HostBatch> {
  checkPatchOptions(o);
  checkSource(source);
  if (o.degradations.length === 0) throw new UsageError('adapterBatch needs at least one degradation');
  for (const d of o.degradations) getDegradation(d);
  const context = checkContext(o.context);
  const cleanFraction = o.cleanFraction ?? 0;
  if (!(cleanFraction >= 0 && cleanFraction < 1)) throw new UsageError(`the adapter's clean fraction must be in [0, 1), got ${cleanFraction}`);
  const window = context * o.patch;
  const buf = imageBuffers(o);
  await Promise.all(
    Array.from({ length: o.batch }, async (_, i) => {
      const r = rng.fork(i);
      const degradeRng = r.fork(DEGRADE_STREAM); // forked before r advances (see DEGRADE_STREAM)
      // its own stream, drawn only when asked for, so runs without the option keep their samples
      const keepClean = cleanFraction > 0 && r.fork('adapter-clean').next() < cleanFraction;
      const clean = await cleanPatch(source, r, { ...o, patch: window }, context === 1 ? buf.targetView(i) : undefined);
      const image = keepClean ? clean : (await applyDegradations(clean, o.degradations, degradeRng)).image;
      storeSample(buf, i, image, clean, window, o.patch);
    }),
  );
  return { input: { shape: buf.shape, data: buf.input }, target: { shape: buf.shape, data: buf.target } };
}

/** User pairs: `{input, target}` aligned random crops (same window and flip/rotation on both). */
export async function pairsBatch(source: PairSource, rng: Rng, o: PatchOptions): Promise<HostBatch> {
  checkPatchOptions(o);
  checkSource(source);
  const buf = imageBuffers(o);
  await Promise.all(
    Array.from({ length: o.batch }, async (_, i) => {
      const r = rng.fork(i);
      const pair = await source.getRaw(r.int(source.size));
      const plan = planCrop(pair.input.width, pair.input.height, o.patch, r, false);
      extractPatch(pair.input, plan, o.patch, buf.inputView(i));
      extractPatch(pair.target, plan, o.patch, buf.targetView(i));
    }),
  );
  return { input: { shape: buf.shape, data: buf.input }, target: { shape: buf.shape, data: buf.target } };
}

/** Phase III's share of clean samples (all-zero labels) unless a run sets another. */
export const DEFAULT_CLEAN_FRACTION = 0.05;

/**
 * Phase III: `{input [B,P,P,3], labels [B,K] float32 multi-hot}` over `classes`: one degradation
 * per patch, two stacked for `mixedFraction` of them, none (all zeros) for `cleanFraction`.
 * With `mixedLabels: 'dominant'` a mixed sample's labels are its two steps' changes over the larger.
 */
export async function estimatorBatch(source: ImageSource, rng: Rng, o: EstimatorOptions): Promise<HostBatch> {
  checkPatchOptions(o);
  checkSource(source);
  const pairClasses = o.pairClasses ?? new Map<string, PairSource>();
  const classes = resolveClasses(o.classes, pairClasses);
  const mixedFraction = o.mixedFraction ?? 0.3;
  const cleanFraction = o.cleanFraction ?? DEFAULT_CLEAN_FRACTION;
  if (!(mixedFraction >= 0 && cleanFraction >= 0 && mixedFraction + cleanFraction <= 1)) {
    throw new UsageError(`mixedFraction (${mixedFraction}) and cleanFraction (${cleanFraction}) must be ≥ 0 and sum to ≤ 1`);
  }
  const context = checkContext(o.context);
  const mixedLabels = o.mixedLabels ?? 'multi-hot';
  if (!MIXED_LABELS.includes(mixedLabels)) throw new UsageError(`mixedLabels must be one of ${MIXED_LABELS.join(', ')}, got ${mixedLabels}`);
  const dominant = mixedLabels === 'dominant';
  const faintFraction = o.faintFraction ?? 0;
  if (!(faintFraction >= 0 && faintFraction <= 1)) throw new UsageError(`faintFraction must be in [0, 1], got ${faintFraction}`);
  const K = classes.length;
  const columns = K + (o.cleanLabel ? 1 : 0);
  const buf = imageBuffers(o);
  const labels = new Float32Array(o.batch * columns);
  const pairSources = [...pairClasses.values()];
  await Promise.all(
    Array.from({ length: o.batch }, async (_, i) => {
      const r = rng.fork(i);
      const degradeRng = r.fork(DEGRADE_STREAM);
      const window = context * o.patch;
      let clean = await cleanPatch(source, r, { ...o, patch: window }, context === 1 ? buf.targetView(i) : undefined);
      const u = r.next();
      let names = u < cleanFraction ? [] : u < cleanFraction + mixedFraction && K >= 2 ? pickTwo(classes, r) : [r.pick(classes)];
      // Everything below draws from `r` only when pair classes exist, so runs without any see
      // exactly the batches they saw before pair classes were possible.
      let start = clean;
      let fromPair: DegradationName | null = null;
      let cropped = false;
      if (pairSources.length > 0) {
        fromPair = names.find((n) => pairClasses.has(n)) ?? null;
        if (fromPair !== null && isDegradationName(fromPair) && r.bool(0.5)) fromPair = null;
        // one pair per sample: another pair class of a mixed pick is dropped unless it can be synthesised
        names = names.filter((n) => n === fromPair || isDegradationName(n));
        if (fromPair !== null) {
          const crop = await pairCrop(pairClasses.get(fromPair)!, r, window);
          start = crop.input;
          clean = crop.target;
          cropped = true;
        } else if (names.length === 0 && r.bool(0.5)) {
          // a pair's target: clean-ish content from the pairs' own domain, labelled clean
          start = clean = (await pairCrop(r.pick(pairSources), r, window)).target;
          cropped = true;
        }
        if (context === 1 && cropped) buf.targetView(i).set(clean.data);
      }
      const synthesised = names.filter((n) => n !== fromPair);
      const change = new Map<DegradationName, number>();
      // a user's generator may leave a patch untouched (a vignette's centre): such a step is not labelled
      const watchCustom = synthesised.some((n) => !isBuiltinDegradation(n));
      const unchanged = new Set<DegradationName>();
      const wantChange = dominant && names.length >= 2;
      const observe = wantChange || watchCustom
        ? (name: DegradationName, before: RGBImage, after: RGBImage) => {
          const c = meanSquaredChange(before.data, after.data);
          if (wantChange) change.set(name, c);
          if (c === 0 && !isBuiltinDegradation(name)) unchanged.add(name);
        }
        : undefined;
      if (wantChange && fromPair !== null) change.set(fromPair, meanSquaredChange(clean.data, start.data));
      // drawn only when asked for, so runs without faint samples see the batches they always did
      const severity = faintFraction > 0 && synthesised.length > 0 && r.next() < faintFraction ? r.uniform(0, FAINT_SEVERITY) : undefined;
      const { image } = await applyDegradations(start, synthesised, degradeRng, severity, observe);
      storeSample(buf, i, image, clean, window, o.patch);
      const row = labels.subarray(i * columns, (i + 1) * columns);
      if (o.cleanLabel && isFaint(buf.inputView(i), buf.targetView(i))) {
        row[K] = 1;
        return;
      }
      const largest = Math.max(0, ...change.values());
      for (const name of names) {
        if (unchanged.has(name)) continue;
        row[classes.indexOf(name)] = wantChange && largest > 0 ? change.get(name)! / largest : 1;
      }
    }),
  );
  const out: HostBatch = { input: { shape: buf.shape, data: buf.input }, labels: { shape: [o.batch, columns], data: labels } };
  if (o.withTarget) out.target = { shape: buf.shape, data: buf.target };
  return out;
}

/** Whether a degraded patch is within FAINT_PSNR_DB of its clean one (identical patches included). */
// @testSeam: tested directly
export function isFaint(degraded: Float32Array, clean: Float32Array): boolean {
  const mse = meanSquaredChange(clean, degraded);
  return mse === 0 || 10 * Math.log10(1 / mse) >= FAINT_PSNR_DB;
}

/** Mean squared difference of two equally long arrays (how much a degradation step changed an image). */
function meanSquaredChange(before: Float32Array, after: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < before.length; i++) {
    const d = after[i]! - before[i]!;
    sum += d * d;
  }
  return sum / before.length;
}
