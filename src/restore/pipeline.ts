/**
 * The restore pipeline, one for Node and the browser (no tfjs, no Node APIs): for one RGB image
 * and a ModelRunner,
 *   estimate (the estimator over a grid of native-resolution crops) → adapter weights by mode
 *   (modes.ts) → merge the adapters (runner.prepare) → feathered tiles (tile-plan.ts), each
 *   checked for NaN/Inf and clipped to [0, 1], and the map logits → colours when asked → blend →
 *   keep the input's clean share (sw with keep-clean).
 * The faces add what their platform needs around it: decoding, metadata and encoding in Node
 * (restorer.ts), ImageData in the browser (src/browser/restorer.ts).
 */
import type { RGBImage } from '../image/types.js';
import { UsageError, UserError } from '../util/errors.js';
import { pullTowardInput } from '../model/soft-weights.js';
import { adapterWeightsFor, byClass, cleanShareFor, formatMode, parseMode, probabilityRecord, splitEstimate, type RestoreMode } from './modes.js';
import type { ModelRunner } from './model-runner.js';
import { mapPalette } from './palette.js';
import { clipUnit, logitsToColours } from './tile-ops.js';
import { processTiled, resolveTiling, type Feather, type Raster, type ResolvedTiling } from './tile-plan.js';

/** The options both faces take (Node's restore() adds input and output ones). */
export interface PipelineOptions {
  /** 'sw' (default) | 'oh' | 'adapter:<name>' | 'weights:<name>=<w>,…', or a parsed mode */
  mode?: string | RestoreMode;
  /**
   * sw only: pull the restoration back toward the input by the estimated chance that nothing is
   * wrong (the result's cleanShare), so clean photos are left nearly alone. Default: the model's setting.
   */
  keepClean?: boolean;
  /** tile side in pixels (default 512) */
  tileSize?: number;
  /** overlap between tiles in pixels (default 32, at most tileSize / 2) */
  overlap?: number;
  /** pixels at each interior tile edge with zero blending weight (default ⌊overlap / 4⌋) */
  margin?: number;
  /** ramp shape across the overlap (default 'cosine') */
  feather?: Feather;
  /** also compute the per-pixel degradation map (when the model has a segmentation head: runner.canMap) */
  map?: boolean;
  /** after every tile: (tiles done, tiles total) */
  onProgress?: (done: number, total: number) => void;
  /** checked before every tile and honoured mid-tile: the promise rejects with signal.reason (an AbortError by default) */
  signal?: AbortSignal;
}

/** What both faces return (Node's result adds alpha, metadata and toBuffer; the browser's toImageData). */
export interface PipelineResult {
  image: RGBImage;
  /** the estimator's probability per class, and `clean` (p(clean)) when the estimator has that output; NaN when not estimated */
  probabilities: Record<string, number>;
  /** the adapter weight per class used for this image */
  weights: Record<string, number>;
  /** the share of the input kept (sw with keep-clean: the estimated chance nothing is wrong, as a blend weight); 0 otherwise */
  cleanShare: number;
  /**
   * the share the model's keep rule would keep in sw mode (its gate's or estimator's; kept only when
   * keep-clean is on: cleanShare), whatever keep-clean says; 0 where the model has none or the mode is not sw
   */
  keepShare: number;
  /** per-pixel colours of the degradation map (palette.ts: clean dark grey, class k classColour(k)) when asked and available, else null */
  map: RGBImage | null;
  /** the mode as text, e.g. 'sw', 'adapter:rain', 'weights:rain=0.7,haze=0.3' */
  mode: string;
}

/** The cheap checks, before any decoding or model work: options shape, mode syntax and tiling (UsageError). */
export function resolvePipelineOptions(opts: unknown): { options: PipelineOptions; mode: RestoreMode; tiling: ResolvedTiling } {
  if (opts !== undefined && opts !== null && (typeof opts !== 'object' || Array.isArray(opts))) {
    throw new UsageError(`restore() options must be an object, got ${Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  const options = (opts ?? {}) as PipelineOptions;
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new UsageError('restore() option signal must be an AbortSignal');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new UsageError('restore() option onProgress must be a function');
  const mode = typeof options.mode === 'object' ? options.mode : parseMode(options.mode ?? 'sw');
  const tiling = resolveTiling({ tileSize: options.tileSize, overlap: options.overlap, margin: options.margin, feather: options.feather });
  return { options, mode, tiling };
}

/** Index of the first NaN or ±Inf value, or -1. */
function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/**
 * Restores `image` with `runner` (see the file comment); `label` names the image in errors. The
 * caller runs one image at a time per runner, since `prepare` sets per-image state in it.
 */
export async function runPipeline(runner: ModelRunner, image: RGBImage, opts: PipelineOptions = {}, label = 'image'): Promise<PipelineResult> {
  const { options, mode, tiling } = resolvePipelineOptions(opts);
  const { signal } = options;
  signal?.throwIfAborted();
  const classes = runner.classes;
  // A model without an estimator still serves explicit modes (probabilities then read NaN: not
  // estimated); one without adapters (backbone only) restores with its base weights whatever the mode.
  const needsEstimate = runner.hasEstimator !== false || mode.kind === 'sw' || mode.kind === 'oh';
  const estimated = classes.length === 0 || !needsEstimate ? null : await runner.estimate(image, signal);
  // NaN estimates would blend as uniform weights and be reported as if they were real.
  if (estimated && firstNonFinite(estimated) >= 0) {
    throw new UserError(`${label}: the estimator returned non-finite probabilities (NaN/Inf): its weights are damaged`);
  }
  const { probabilities, clean, keep } = estimated
    ? splitEstimate(estimated, classes.length)
    : { probabilities: new Float32Array(classes.length).fill(Number.NaN), clean: Number.NaN, keep: Number.NaN };
  signal?.throwIfAborted();
  const weights = classes.length === 0 ? new Float32Array(0) : adapterWeightsFor(mode, probabilities, classes, runner.swExponent);
  await runner.prepare(weights);
  signal?.throwIfAborted();

  const withMap = options.map === true && runner.canMap;
  const [restored, colours] = await processTiled(
    { ...image, channels: 3 },
    async (tile, at, tileSignal) => {
      const result = await runner.runTile(tile, { map: withMap, signal: tileSignal });
      // A NaN or Inf weight turns the output into NaN, which clipping would write as black.
      const bad = firstNonFinite(result.restored.data);
      if (bad >= 0) {
        const pixel = Math.floor(bad / 3);
        const x = at.x + (pixel % tile.width);
        const y = at.y + Math.floor(pixel / tile.width);
        throw new UserError(`${label}: the model produced non-finite values (NaN/Inf; first at pixel ${x},${y}): its weights are damaged`);
      }
      clipUnit(result.restored.data);
      if (!withMap) return [result.restored, null];
      const logits = result.logits;
      if (!logits) throw new Error('the model runner gave no map logits for a map tile (internal error)');
      const map: Raster = { width: logits.width, height: logits.height, channels: 3, data: logitsToColours(logits.data, logits.channels, mapPalette(logits.channels - 1)) };
      return [result.restored, map];
    },
    { ...tiling, outChannels: [3, 3], signal, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  const output = restored!.data;
  // the model's own keep rule (its gate's share or the estimator's p(clean)), applied or not
  const keepShare = Number.isFinite(keep) ? cleanShareFor(mode, probabilities, true, runner.swExponent, keep) : 0;
  const cleanShare = cleanShareFor(mode, probabilities, options.keepClean ?? runner.keepClean ?? false, runner.swExponent, keep);
  pullTowardInput(output, image.data, cleanShare);
  return {
    image: { width: image.width, height: image.height, data: output },
    probabilities: probabilityRecord(probabilities, classes, clean),
    weights: byClass(weights, classes),
    cleanShare,
    keepShare,
    map: colours ? { width: image.width, height: image.height, data: colours.data } : null,
    mode: formatMode(mode),
  };
}
