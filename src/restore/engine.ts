/**
 * The contract between the restoration pipeline (tiling, modes, file handling) and a model.
 * The ABAIR model implements it; tests implement it with small fake engines, so everything in
 * src/restore works and is tested without trained weights.
 */
import type { RGBImage } from '../image/types.js';
import type { Raster } from './tile-plan.js';

export interface RestorationEngine {
  /** Degradation names, one adapter each, in the order of every per-class vector below. */
  readonly classes: readonly string[];
  /**
   * false when the engine cannot estimate (e.g. a model folder without an estimator): the
   * restorer then calls `estimate` only for modes that need it (sw, oh). Absent means true.
   */
  readonly hasEstimator?: boolean;
  /** SW blends by odds^swExponent of the estimate (softWeights; the estimator's calibration). Absent means 1. */
  readonly swExponent?: number;
  /** SW pulls the restoration back toward the input by the clean share (cleanWeight; the estimator's keepClean). Absent means false. */
  readonly keepClean?: boolean;
  /** The estimator also outputs p(clean), and `estimate` returns it after the classes (splitEstimate). Absent means false. */
  readonly hasCleanOutput?: boolean;
  /**
   * Probability per class (multi-label: they need not sum to 1) for the whole image: the model
   * engines average the estimator over a grid of native-resolution crops (estimator-input.ts).
   */
  estimate(image: RGBImage): Promise<Float32Array>;
  /** Prepare the network for one image with these adapter weights (e.g. merge LoRA). */
  prepare(adapterWeights: Float32Array): Promise<void>;
  /**
   * Restore one h×w×3 tile (HWC floats in [0,1], any h,w ≥ 1) → the same size, in [0,1];
   * synchronous. Plain arrays, so the restore path needs no tfjs (tensor-tiles.ts adapts tfjs code).
   */
  restoreTile(tile: Raster): Raster;
  /**
   * Optional: the same as restoreTile, without blocking this thread, so that an abort is honoured
   * in the middle of a tile (rejecting with signal.reason at once) rather than after it.
   */
  restoreTileAsync?(tile: Raster, signal?: AbortSignal): Promise<Raster>;
  /**
   * Optional per-pixel degradation logits for --explain: h×w×(1+K), channel 0 = clean, then one
   * per class in `classes` order (the Phase-I segmentation head). The explain map applies softmax.
   */
  segmentTile?(tile: Raster): Raster;
  /** Spatial multiple the network works on, e.g. 8 (the engine pads internally anyway). */
  readonly tileMultiple: number;
  dispose(): void;
}
