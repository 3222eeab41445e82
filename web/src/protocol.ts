/**
 * Messages between the page (main.ts) and the restoration worker (restore.worker.ts).
 *
 * All model work happens in the worker so the page stays responsive. Pixels travel as RGBA bytes
 * (what canvas getImageData gives and putImageData takes) in transferred buffers, so a 12 MP image
 * is moved, not copied. Every reply about a restoration carries the request's id: a reply for a
 * request the page has since cancelled or replaced is recognised and dropped.
 */

/** Colour of one entry of the degradation-map legend, RGB in [0,1]. */
export type LegendColour = readonly [number, number, number];

export interface LegendEntry {
  name: string;
  colour: LegendColour;
}

/** What the page shows about the loaded model. */
export interface ModelSummary {
  /** estimator classes = adapters, in the estimator's order */
  classes: string[];
  /** the segmentation head's classes (the map's colours), or null when the model has none */
  segmentationClasses: string[] | null;
  /** clean first, then one entry per segmentation class; empty without a segmentation head */
  legend: LegendEntry[];
  /** e.g. "tiny preset, 1700 steps" (from the model's provenance), or null when unknown */
  description: string | null;
  /** ONNX Runtime wasm threads in use */
  threads: number;
}

// page → worker

export interface LoadRequest {
  type: 'load';
  /** absolute URL of the folder holding model.json, backbone.onnx, estimator.onnx, lora.bin */
  modelUrl: string;
  /** absolute URL of the folder holding onnxruntime-web's ort-wasm-simd-threaded.{mjs,wasm} */
  ortUrl: string;
}

export interface RestoreRequest {
  type: 'restore';
  id: number;
  width: number;
  height: number;
  /** width·height·4 bytes; alpha is ignored */
  rgba: Uint8ClampedArray;
  /** 'sw' | 'oh' | 'adapter:<name>' */
  mode: string;
  tileSize: number;
}

export interface CancelRequest {
  type: 'cancel';
  id: number;
}

export type WorkerRequest = LoadRequest | RestoreRequest | CancelRequest;

// worker → page

export interface ReadyReply {
  type: 'ready';
  model: ModelSummary;
}

export interface ProgressReply {
  type: 'progress';
  id: number;
  done: number;
  total: number;
}

export interface ResultReply {
  type: 'result';
  id: number;
  width: number;
  height: number;
  /** restored image, width·height·4 bytes, alpha 255 */
  restored: Uint8ClampedArray;
  /** per-pixel degradation map, same size, or null when the model has no segmentation head */
  map: Uint8ClampedArray | null;
  /** estimator probabilities, in `classes` order */
  probabilities: Float32Array;
  /** the adapter weights the mode chose, in `classes` order */
  weights: Float32Array;
  /** the share of the input kept by keep-clean (0 when off or not sw) */
  cleanShare: number;
  /** p(clean), the estimator's "nothing needs restoring" output; NaN when the model has none or it did not run */
  clean: number;
  /** the mode that ran */
  mode: string;
  seconds: number;
}

export interface CancelledReply {
  type: 'cancelled';
  id: number;
}

export interface ErrorReply {
  type: 'error';
  /** the restoration that failed; absent when loading the model failed */
  id?: number;
  message: string;
}

export type WorkerReply = ReadyReply | ProgressReply | ResultReply | CancelledReply | ErrorReply;
