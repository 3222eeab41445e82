/**
 * Fits a model folder's clean gate (src/model/clean-gate.ts) and writes clean-gate.json into it.
 *
 * Samples: for every training image (the held-out split is never read), one random region,
 * degraded `cleanRepeats` times not at all, once by each built-in single degradation among the
 * model's classes and once by each of the mixed pairs among them, at each degradation's own
 * training severities, 8-bit. The gate's features come from the estimator's per-crop outputs on
 * the region; a `crop`² part of it is restored with the SW weights of that estimate (no keep share)
 * by the folder's own model, and the blend errors come from that restoration
 * (src/train/clean-gate-fit.ts). No bench image is read.
 *
 * Why a region larger than the restored crop (`context`): users' photos are larger than the
 * estimator's 3×3 grid of 128² crops, which then spreads over the photo, so one crop may see sky
 * and another streaks. On a 256² region the nine crops overlap and agree, and a gate fitted there
 * read the disagreement of larger photos as "clean": synthetic rain on two Kodak24 photos came
 * back with a keep share of 1.00 (docs/decisions.md). With `context` 0 the region is the crop.
 */
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyDegradations, isBuiltinDegradation } from '../../degrade/registry.js';
import { quantise8 } from '../../eval/protocol.js';
import type { DegradationName } from '../../degrade/types.js';
import type { RGBImage } from '../../image/types.js';
import { gateFeatures, vetoLeft, type CropStatistics, type HazeVetoRamp, type OptionalStatistic } from '../../model/clean-gate.js';
import { saveCleanGate } from '../../model/clean-gate-file.js';
import { ESTIMATOR_FILE } from '../../model/weights.js';
import { meanRows } from '../../restore/estimator-input.js';
import { adapterWeightsFor, byClass } from '../../restore/modes.js';
import { createNodeRunner } from '../../restore/node-runner.js';
import { runPipeline } from '../../restore/pipeline.js';
import { UserError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { fileDigest } from '../../util/file-digest.js';
import { readJsonFile } from '../../util/read-json.js';
import { recordedDataPath } from '../../util/paths.js';
import { Rng } from '../../util/rng.js';
import { fitCleanGate, fitCleanNamer, NAMER_CLEAN_DB, type GateFitOptions, type GateSample } from '../clean-gate-fit.js';
import { machineInfo } from '../runner.js';
import { openTrainingImages, say } from './common.js';

/** The pairs the mixed samples stack (those whose two types are both model classes). */
const MIXED_PAIRS: readonly (readonly DegradationName[])[] = [['blur', 'noise'], ['blur', 'jpeg'], ['haze', 'snow'], ['rain', 'noise'], ['lowlight', 'noise']];

/** The fit's settings (the classes are the model's), and how the samples are made. The seed seeds both. */
interface CleanGateTrainOptions extends Omit<GateFitOptions, 'classes' | 'statistics' | 'hazeVeto'> {
  /** the model folder: its estimator and adapters make the samples, and clean-gate.json goes here */
  model: string;
  images: string[];
  /** side of the part of each region that is restored and scored (smaller images: their shorter side) */
  crop: number;
  /** the most pixels per side of the region the estimator reads (smaller images: all of it); 0: the crop itself */
  context: number;
  /** clean samples per image */
  cleanRepeats: number;
  /** the optional crop statistics the gate reads beside the estimator's outputs */
  statistics: readonly OptionalStatistic[];
  /** the haze veto the gate carries, or null */
  hazeVeto: HazeVetoRamp | null;
  /** also fit the namer (the p(clean) that names a photo clean; src/model/clean-gate.ts) */
  namer: boolean;
  /** with the namer: the ramp of p(clean) the keep share is raised to (src/model/clean-gate.ts), or null */
  namerKeep?: { from: number; to: number } | null;
  /**
   * a samples file: read when it exists (made for this estimator with the same sample settings),
   * else written after the samples are made, so fits with other gate settings reuse them
   */
  samples?: string;
  /** use only the first n training images (tests, quick looks) */
  limit?: number;
  threads?: number;
  command?: string;
  say?: (line: string) => void;
}

/** The width×height part of `image` whose top-left pixel is (x0, y0). */
function cropAt(image: RGBImage, x0: number, y0: number, width: number, height: number): RGBImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** A width×height part of `image` at a place drawn from `rng`. */
const randomCrop = (image: RGBImage, width: number, height: number, rng: Rng): RGBImage => cropAt(image, rng.int(image.width - width + 1), rng.int(image.height - height + 1), width, height);

const SAMPLES_FORMAT = 'abair-clean-gate-samples';
/** Samples keep the estimator's per-crop rows and every crop statistic, so any gate's features can be made from them. */
const SAMPLES_VERSION = 2;

/** One sample as made and stored: what the estimator said per crop, the crop statistics, the blend errors. */
export interface StoredSample extends Omit<GateSample, 'features' | 'left'> {
  rows: number[];
  count: number;
  stride: number;
  stats: CropStatistics;
}

/** Stored samples as the fit reads them: a gate's features, and what its haze veto (if any) leaves of the share. */
export function gateSamples(stored: readonly StoredSample[], classCount: number, statistics: readonly OptionalStatistic[], veto: HazeVetoRamp | null): GateSample[] {
  // samples made before a statistic existed lack it
  const missing = statistics.find((name) => stored.some((s) => typeof s.stats[name] !== 'number'));
  if (missing) throw new UserError(`the samples were made before the crop statistic '${missing}' existed; make them again (remove the samples file)`);
  return stored.map(({ rows, count, stride, stats, ...errors }) => ({
    ...errors,
    features: gateFeatures(rows, count, stride, classCount, stats, statistics),
    ...(veto ? { left: vetoLeft(veto, stats) } : {}),
  }));
}

/** A samples file's samples, or null when there is none; refused when made with other settings (or for another estimator). */
async function readSamples(file: string, settings: Record<string, unknown>): Promise<{ samples: StoredSample[]; count: number; wallSec: number } | null> {
  if (!(await stat(file).then(() => true, () => false))) return null;
  const json = (await readJsonFile(file)) as { format?: unknown; settings?: unknown; count?: number; wallSec?: number; samples?: StoredSample[] };
  if (json.format !== SAMPLES_FORMAT) throw new UserError(`${file}: not a clean-gate samples file`);
  if (JSON.stringify(json.settings) !== JSON.stringify(settings)) throw new UserError(`${file}: made with other sample settings or another estimator; remove it or give another --samples file`);
  return { samples: json.samples ?? [], count: json.count ?? 0, wallSec: json.wallSec ?? 0 };
}

export async function trainCleanGate(o: CleanGateTrainOptions): Promise<{ file: string; before: number; after: number; samples: number }> {
  const started = Date.now();
  if (o.context > 0 && o.context < o.crop) throw new UserError(`--context ${o.context} is smaller than --crop ${o.crop}: give at least the crop, or 0 for the crop alone`);
  // checked before the samples, which take the half hour
  const namerKeep = o.namerKeep ?? null;
  if (namerKeep && !o.namer) throw new UserError('a namer keep needs the namer (--namer on)');
  // the folder's gate, if any, is not read: it is what is being replaced (and may be stale)
  const runner = await createNodeRunner(o.model, { cleanGate: false, ...(o.threads ? { threads: o.threads } : {}) });
  try {
    if (!runner.hasEstimator) throw new UserError(`${o.model}: no estimator.safetensors; a clean gate reads the estimator's outputs`);
    const classes = runner.classes;
    const singles = classes.filter(isBuiltinDegradation);
    const skipped = classes.filter((c) => !isBuiltinDegradation(c));
    if (skipped.length > 0) say(o, `note: ${skipped.join(', ')} ha${skipped.length > 1 ? 've' : 's'} no built-in generator; the gate is fitted without samples of ${skipped.length > 1 ? 'them' : 'it'}`);
    const pairs = MIXED_PAIRS.filter((pair) => pair.every((n) => (singles as readonly string[]).includes(n)));
    const cases: DegradationName[][] = [...Array.from({ length: o.cleanRepeats }, () => []), ...singles.map((s) => [s]), ...pairs.map((p) => [...p])];
    // (context only when set: files made before it existed are the context-0 samples)
    const settings = { version: SAMPLES_VERSION, images: o.images.map(recordedDataPath), crop: o.crop, ...(o.context > 0 ? { context: o.context } : {}), cleanRepeats: o.cleanRepeats, seed: o.seed, limit: o.limit ?? null, cases: cases.map((c) => c.join('+') || 'clean'), estimator: await fileDigest(path.join(o.model, ESTIMATOR_FILE)) };
    const cached = o.samples ? await readSamples(o.samples, settings) : null;
    const made = cached ?? { ...(await makeSamples()), wallSec: (Date.now() - started) / 1000 };
    const { samples: stored, count } = made;
    if (cached) say(o, `samples: ${stored.length} from ${o.samples}`);
    else if (o.samples) {
      await mkdir(path.dirname(o.samples), { recursive: true });
      await writeFileAtomic(o.samples, JSON.stringify({ format: SAMPLES_FORMAT, settings, count, wallSec: made.wallSec, samples: stored }) + '\n');
    }

    async function makeSamples(): Promise<{ samples: StoredSample[]; count: number }> {
      const { train } = await openTrainingImages(o.images, o);
      const count = Math.min(train.size, o.limit ?? Infinity);
      const rng = new Rng(`clean-gate-crops:${o.seed}`);
      const samples: StoredSample[] = [];
      for (let i = 0; i < count; i++) {
        const full = await train.get(i);
        const side = Math.min(o.crop, full.width, full.height);
        const region = o.context > 0 ? randomCrop(full, Math.min(o.context, full.width), Math.min(o.context, full.height), rng) : randomCrop(full, side, side, rng);
        // the restored crop's place in the region, the same for every case of the image
        const at = new Rng(`clean-gate-crop-in-region:${o.seed}:${i}`);
        const cx = at.int(region.width - side + 1);
        const cy = at.int(region.height - side + 1);
        const part = (image: RGBImage): RGBImage => (o.context > 0 ? cropAt(image, cx, cy, side, side) : image);
        const clean = part(region);
        for (const [c, names] of cases.entries()) {
          const degradedRegion = quantise8((await applyDegradations(region, names, new Rng(`clean-gate:${o.seed}:${i}:${c}`))).image);
          const est = await runner.estimateCrops(degradedRegion);
          const degraded = part(degradedRegion);
          // the adapters weighed as SW weighs them for the whole region (context 0: the crop's own SW)
          const mode = o.context > 0 ? { kind: 'weights' as const, weights: byClass(adapterWeightsFor({ kind: 'sw' }, meanRows(est.rows, est.count).subarray(0, classes.length), classes, runner.swExponent), classes) } : { kind: 'sw' as const };
          const restored = quantise8((await runPipeline(runner, degraded, { mode, keepClean: false })).image).data;
          let a = 0;
          let b = 0;
          let ab = 0;
          for (let j = 0; j < clean.data.length; j++) {
            const da = degraded.data[j]! - clean.data[j]!;
            const db = restored[j]! - clean.data[j]!;
            a += da * da;
            b += db * db;
            ab += da * db;
          }
          const n = clean.data.length;
          samples.push({ rows: Array.from(est.rows), count: est.count, stride: est.stride, stats: est.stats, a: a / n, b: b / n, c: ab / n, label: names.join('+') || 'clean' });
        }
        if ((i + 1) % 20 === 0 || i + 1 === count) say(o, `samples: ${i + 1}/${count} images (${samples.length} samples)`);
      }
      return { samples, count };
    }

    const fitStarted = Date.now();
    const samples = gateSamples(stored, classes.length, o.statistics, o.hazeVeto);
    const vetoInFit = Boolean(o.vetoInFit && o.hazeVeto);
    const fit = fitCleanGate(samples, { classes, statistics: o.statistics, hazeVeto: o.hazeVeto, hidden: o.hidden, steps: o.steps, lr: o.lr, capDb: o.capDb, seed: o.seed, vetoInFit, ...(o.cleanWeight !== undefined ? { cleanWeight: o.cleanWeight } : {}), ...(o.harmWeight !== undefined ? { harmWeight: o.harmWeight } : {}) });
    say(o, `fit: mean blend PSNR (capped at ${o.capDb} dB) ${fit.before.toFixed(3)} → ${fit.after.toFixed(3)} dB over ${samples.length} samples`);
    const named = o.namer ? fitCleanNamer(fit.gate, samples, { hidden: o.hidden, steps: o.steps, lr: o.lr, seed: o.seed }) : null;
    if (named) say(o, `namer: ${(100 * named.accuracy).toFixed(1)} % of the samples labelled right (clean: undegraded or ≥ ${NAMER_CLEAN_DB} dB)`);
    // with a samples file, the compute that made its samples counts too
    const wallSec = made.wallSec + (Date.now() - fitStarted) / 1000;
    const threads = o.threads ?? 2;
    const gate = named ? { ...named.gate, ...(namerKeep ? { namerKeep } : {}) } : fit.gate;
    const file = await saveCleanGate(o.model, gate, path.join(o.model, ESTIMATOR_FILE), {
      command: o.command ?? null,
      phase: 'clean-gate',
      images: o.images.map(recordedDataPath),
      imagesUsed: count,
      samples: samples.length,
      crop: o.crop,
      context: o.context,
      cleanRepeats: o.cleanRepeats,
      statistics: [...o.statistics],
      hazeVeto: o.hazeVeto,
      vetoInFit,
      ...(named ? { namer: { cleanDb: NAMER_CLEAN_DB, accuracy: Math.round(named.accuracy * 1e4) / 1e4 } } : {}),
      ...(namerKeep ? { namerKeep } : {}),
      cases: cases.map((c) => c.join('+') || 'clean'),
      hidden: o.hidden,
      steps: o.steps,
      lr: o.lr,
      capDb: o.capDb,
      cleanWeight: o.cleanWeight ?? 1,
      harmWeight: o.harmWeight ?? 1,
      seed: o.seed,
      fit: { before: Math.round(fit.before * 1e4) / 1e4, after: Math.round(fit.after * 1e4) / 1e4 },
      wallSec: Math.round(wallSec * 10) / 10,
      threads,
      cpuHours: Math.round((wallSec * Math.min(threads, os.cpus().length)) / 3600 * 1e6) / 1e6,
      machine: machineInfo(),
      createdAt: new Date().toISOString(),
    });
    return { file, before: fit.before, after: fit.after, samples: samples.length };
  } finally {
    await runner.dispose();
  }
}
