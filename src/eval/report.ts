/** The JSON an evaluation run writes (--json) and the results document is generated from. */
import type { MetricSpace } from '../metrics/index.js';
import type { Scores } from './protocol.js';
import type { InputSource, SuiteName } from './suites.js';

export const EVAL_FORMAT = 'abair-eval';
export const EVAL_VERSION = 1;

/** 'identity': output = input (the degraded image's own scores, i.e. the baseline). */
export type EvalMode = 'oh' | 'sw' | 'oracle' | 'identity';

export interface ModelInfo {
  kind: 'identity' | 'weights' | 'default' | 'injected';
  /** one line for table headers */
  label: string;
  weightsDir?: string;
  /** each weights config's provenance (data, steps, compute, commit, …), by config file name */
  provenance?: Record<string, Record<string, unknown>>;
  /** the runtime asked for ('onnx' falls back to 'tfjs', with a note on stderr, where onnxruntime-node cannot load) */
  engine?: 'onnx' | 'tfjs';
}

export interface ImageResult {
  name: string;
  /** size measured (after the centre crop) */
  width: number;
  height: number;
  /** the seed string of its degradation; null for real pairs */
  seed: string | null;
  /** the generator's parameters; null for real pairs */
  params: unknown;
  input: Scores;
  output: Scores;
  /** adapter mode string given to the restorer (null for identity) */
  restoreMode: string | null;
  probabilities: Record<string, number> | null;
  adapterWeights: Record<string, number> | null;
  /** share of the input kept by keep-clean (RestoreResult.cleanShare; absent in reports written before it existed, null for identity) */
  cleanShare?: number | null;
  /** argmax of probabilities (null for identity) */
  predicted: string | null;
  /** predicted is one of the true classes (null for identity and for clean inputs, which have none) */
  correct: boolean | null;
  /** wall seconds of restore() (0 for identity) */
  restoreSeconds: number;
  /**
   * SHA-256 (hex) of the 8-bit RGB output, uncropped (null for identity): two runs restored an
   * image byte-identically exactly when these match (abair eval compare --outputs).
   */
  outputSha256?: string | null;
}

export interface Accuracy {
  correct: number;
  total: number;
  /** correct / total */
  top1: number;
}

/** true class (or 'blur+noise' for mixed) → predicted argmax class → count */
export type Confusion = Record<string, Record<string, number>>;

export interface DatasetResult {
  id: string;
  label: string;
  folder: string;
  source: InputSource;
  sample: boolean;
  truth: string[];
  note: string;
  /** images in the dataset folder */
  available: number;
  /** images measured */
  images: number;
  /** why nothing was measured (e.g. oracle without a matching adapter) */
  skipped: string | null;
  mean: { input: Scores; output: Scores } | null;
  accuracy: Accuracy | null;
  confusion: Confusion | null;
  /** restore seconds per megapixel (of the measured crop), null for identity */
  secondsPerMegapixel: number | null;
  perImage: ImageResult[];
}

export interface SuiteResult {
  name: SuiteName;
  datasets: DatasetResult[];
  /** mean over the measured datasets of their means */
  mean: { input: Scores; output: Scores } | null;
  accuracy: Accuracy | null;
  confusion: Confusion | null;
}

export interface EvalReport {
  format: typeof EVAL_FORMAT;
  version: number;
  createdAt: string;
  abairVersion: string;
  protocol: {
    space: MetricSpace;
    cropMultiple: number;
    ssimWindow: 'gaussian';
    alsoReported: 'ssimUniform7';
    quantisation: string;
    seedRule: string;
    psnrCapDb: number;
    severity: number;
    description: string;
  };
  mode: EvalMode;
  /**
   * sw only: whether the output kept the input's clean share (keep-clean; with the estimator's
   * p(clean) when it has that output), the product default, or was plain SW as in the paper.
   * null for other modes; absent in reports written before it was recorded.
   */
  keepClean?: boolean | null;
  model: ModelInfo;
  quick: boolean;
  limit: number | null;
  dataRoot: string;
  suites: SuiteResult[];
  accuracy: Accuracy | null;
  confusion: Confusion | null;
  wallSeconds: number;
}
