/**
 * The contract between the restore pipeline (pipeline.ts: estimate, blend, tiles, keep-clean) and
 * a model. The ONNX runner (onnx-runner.ts) implements it over ONNX Runtime sessions, for Node and
 * the browser alike; tests implement it with small fake runners (fake-runner.ts), so the pipeline
 * works and is tested without trained weights. Plain typed arrays only: no tfjs, no Node APIs.
 */
import type { RGBImage } from '../image/types.js';
import type { Raster } from './tile-plan.js';

/** One tile's results: the restored pixels (unclipped: the pipeline checks and clips) and, when asked, the map logits. */
export interface TileResult {
  /** h×w×3 */
  restored: Raster;
  /** h×w×(1+K) per-pixel degradation logits (channel 0 = clean, then `classes` order), or null when not asked or not available */
  logits: Raster | null;
}

export interface ModelRunner {
  /** Degradation names, one adapter each, in the order of every per-class vector below. */
  readonly classes: readonly string[];
  /**
   * false when the model cannot estimate (e.g. a model folder without an estimator): the pipeline
   * then calls `estimate` only for modes that need it (sw, oh). Absent means true.
   */
  readonly hasEstimator?: boolean;
  /** SW blends by odds^swExponent of the estimate (softWeights; the estimator's calibration). Absent means 1. */
  readonly swExponent?: number;
  /** SW pulls the restoration back toward the input by the clean share (cleanWeight; the estimator's keepClean). Absent means false. */
  readonly keepClean?: boolean;
  /** The estimator also outputs p(clean), and `estimate` returns it after the classes (splitEstimate). Absent means false. */
  readonly hasCleanOutput?: boolean;
  /** true when `runTile` can return map logits (a segmentation head whose classes are known). */
  readonly canMap: boolean;
  /**
   * Probability per class (multi-label: they need not sum to 1) for the whole image, averaged
   * over a grid of native-resolution crops (estimator-input.ts).
   */
  estimate(image: RGBImage, signal?: AbortSignal): Promise<Float32Array>;
  /** Prepare the network for one image with these adapter weights (merge the LoRA adapters). */
  prepare(adapterWeights: Float32Array): Promise<void>;
  /**
   * Run one h×w×3 tile (HWC floats in [0,1], any h,w ≥ 1) → the same size. An abort rejects with
   * signal.reason at once, also in the middle of a tile.
   */
  runTile(tile: Raster, options: { map: boolean; signal?: AbortSignal }): Promise<TileResult>;
  dispose(): void | Promise<void>;
}
