/**
 * The ModelRunner over ONNX Runtime sessions, for both faces: Node (src/restore/node-runner.ts:
 * onnxruntime-node, or onnxruntime-web's wasm build, in a worker thread) and the browser
 * (src/browser/restorer.ts: onnxruntime-web). No tfjs, no Node APIs: the sessions and a tensor
 * constructor are passed in, and everything else is plain typed arrays.
 *
 * Per image, `prepare` merges the blend into the LoRA-target 1×1 weights once (lora-merge.ts) and
 * feeds them to the backbone graph as inputs, so every tile is one plain backbone run whatever the
 * number of adapters. Tiles under `padMultiple` pixels on a side are reflect-padded first (the
 * graph's reflect Pad cannot add more than the tile has) and the result cropped back. The map
 * logits come from the restore graph's `seg_logits` (the browser export) or from a second graph
 * made on first use (Node), and are reordered to the runner's classes when the head's differ.
 *
 * One run at a time: ONNX Runtime sessions do not take overlapping runs. An abort rejects at once,
 * mid-tile; the run it leaves behind is awaited by the next call before that one starts.
 */
import type { RGBImage } from '../image/types.js';
import { estimatorCrops, meanRows } from './estimator-input.js';
import { cropStatistics, gateOutputs, type CleanGate, type CropStatistics } from '../model/clean-gate.js';
import { mergeLora, type LoraSet } from './lora-merge.js';
import type { ModelRunner, TileResult } from './model-runner.js';
import { cropTopLeft, reflectPadToMultiple } from './tile-ops.js';
import type { Raster } from './tile-plan.js';

/** The part of an ONNX Runtime tensor the runner reads. */
export interface OnnxTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/**
 * The part of an ONNX Runtime InferenceSession the runner uses: onnxruntime-node's and
 * onnxruntime-web's sessions satisfy it as they are (src/ort/worker-session.ts for Node's worker thread).
 */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>, fetches: readonly string[]): Promise<Readonly<Record<string, OnnxTensor>>>;
  release(): Promise<void>;
}

/** Makes a float32 tensor the sessions accept (e.g. `(data, dims) => new ort.Tensor('float32', data, dims)`). */
type TensorFactory = (data: Float32Array, dims: readonly number[]) => OnnxTensor;

/** How per-pixel map logits are got, and reordered to the runner's classes. */
interface OnnxSegmentation {
  /** the restore graph also outputs `seg_logits` (one run gives both); else `OnnxSessions.segment` makes the graph that does */
  fromRestoreGraph: boolean;
  /** [S+1, K+1] 0/1 selection and a bias per output taking the head's channels to the runner's (model-folder.ts), or null for the identity */
  mapping: { select: Float32Array; bias: Float32Array } | null;
}

/** What the runner needs to know about the model, from a model folder (Node) or model.json (browser). */
interface OnnxModelSpec {
  classes: readonly string[];
  /** side of the estimator's square input, or null when the model has none */
  estimatorInputSize: number | null;
  /** the estimator also outputs p(clean), after the classes */
  cleanOutput: boolean;
  /** the model's clean gate (src/model/clean-gate.ts): its keep share is then the p(clean) `estimate` returns; null without one */
  cleanGate: CleanGate | null;
  swExponent: number;
  keepClean: boolean;
  /** tiles smaller than this on a side are reflect-padded before the run */
  padMultiple: number;
  lora: LoraSet;
  segmentation: OnnxSegmentation | null;
  /** the error `estimate` throws when the model has no estimator */
  noEstimator: () => Error;
}

interface OnnxSessions {
  /** the backbone: inputs `image` [1,h,w,3] and one per weight input; output `restored` (+ `seg_logits`) */
  restore: OnnxSession;
  /** the estimator: `image` [n,s,s,3] → `probabilities` [n, K (+1)]; null without one */
  estimate: OnnxSession | null;
  /** makes the graph with `seg_logits` when the restore graph has none (called once, on the first map tile) */
  segment?: () => Promise<OnnxSession>;
}

export interface OnnxRunner extends ModelRunner {
  readonly hasEstimator: boolean;
  readonly swExponent: number;
  readonly keepClean: boolean;
  readonly hasCleanOutput: boolean;
  /**
   * The estimator's outputs per crop (`count` rows of `stride`: the classes, then the estimator's
   * own p(clean) when it has one; no gate) and the crops' dark-channel level: what the clean gate reads.
   */
  estimateCrops(image: RGBImage, signal?: AbortSignal): Promise<{ rows: Float32Array; count: number; stride: number; stats: CropStatistics }>;
  /** releases the sessions; resolves when they are released */
  dispose(): Promise<void>;
}

function float32Output(outputs: Readonly<Record<string, OnnxTensor>>, name: string, dims: readonly number[]): Float32Array {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`the graph returned no '${name}' output`);
  if (tensor.dims.length !== dims.length || tensor.dims.some((d, i) => d !== dims[i])) {
    throw new Error(`the graph's '${name}' output has shape [${tensor.dims.join(',')}], expected [${dims.join(',')}]`);
  }
  if (!(tensor.data instanceof Float32Array)) throw new Error(`the graph's '${name}' output is not float32`);
  return tensor.data;
}

/** `promise`, or a rejection with signal.reason as soon as the signal aborts (the work itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Per pixel: logits [c] · select [c, cols] + bias [cols] (the segmentation head's classes → the runner's). */
function mapChannels(logits: Float32Array, c: number, mapping: { select: Float32Array; bias: Float32Array }): Float32Array {
  const cols = mapping.bias.length;
  const pixels = logits.length / c;
  const out = new Float32Array(pixels * cols);
  for (let p = 0; p < pixels; p++) {
    for (let j = 0; j < cols; j++) {
      let v = mapping.bias[j]!;
      for (let i = 0; i < c; i++) v += logits[p * c + i]! * mapping.select[i * cols + j]!;
      out[p * cols + j] = v;
    }
  }
  return out;
}

export function createOnnxRunner(spec: OnnxModelSpec, sessions: OnnxSessions, tensor: TensorFactory): OnnxRunner {
  const { classes, padMultiple, segmentation } = spec;
  let weightFeeds: Record<string, OnnxTensor> = {};
  let segmentSession: Promise<OnnxSession> | null = null;
  let busy: Promise<unknown> = Promise.resolve();
  let disposed = false;
  const assertLive = () => {
    if (disposed) throw new Error('this model runner has been disposed');
  };

  /** Runs `session` after every earlier run has finished; an abort rejects at once. */
  function run(session: OnnxSession | Promise<OnnxSession>, feeds: Record<string, OnnxTensor>, fetches: readonly string[], signal?: AbortSignal) {
    signal?.throwIfAborted();
    const result = busy.then(async () => {
      assertLive();
      return (await session).run(feeds, fetches);
    });
    busy = result.catch(() => undefined);
    return untilAborted(result, signal);
  }

  const setBlend = (weights: Float32Array) => {
    const feeds: Record<string, OnnxTensor> = {};
    const shapes = new Map(spec.lora.inputs.map((input) => [input.name, input.shape]));
    for (const [name, merged] of mergeLora(spec.lora, weights)) feeds[name] = tensor(merged, [...shapes.get(name)!]);
    weightFeeds = feeds;
  };
  setBlend(new Float32Array(classes.length));

  /** The estimator's outputs per crop (`count` rows of `stride`) and the crops they came from. */
  async function runEstimator(image: RGBImage, signal?: AbortSignal) {
    if (!sessions.estimate || spec.estimatorInputSize === null) throw spec.noEstimator();
    // Native-resolution crops, as the estimator was trained, in one run (the batch dimension
    // is dynamic), cut on the JS side: the full image never enters the runtime.
    const size = spec.estimatorInputSize;
    const crops = estimatorCrops(image, size);
    const out = await run(sessions.estimate, { image: tensor(crops.data, [crops.count, size, size, 3]) }, ['probabilities'], signal);
    const stride = classes.length + (spec.cleanOutput ? 1 : 0);
    return { rows: float32Output(out, 'probabilities', [crops.count, stride]), count: crops.count, stride, crops: crops.data };
  }

  const runner: OnnxRunner = {
    classes,
    hasEstimator: sessions.estimate !== null,
    swExponent: spec.swExponent,
    keepClean: spec.keepClean,
    hasCleanOutput: spec.cleanOutput || spec.cleanGate !== null,
    canMap: segmentation !== null,

    async estimate(image: RGBImage, signal?: AbortSignal): Promise<Float32Array> {
      assertLive();
      if (classes.length === 0) return new Float32Array(0);
      const { rows, count, stride, crops } = await runEstimator(image, signal);
      const mean = meanRows(rows, count);
      if (!spec.cleanGate) return mean;
      // The gate's share takes the place of the estimator's own p(clean), if it has one; a gate with
      // a namer adds its p(clean) after the share (splitEstimate).
      const stats = cropStatistics(crops, count, spec.estimatorInputSize!);
      const { keep, clean } = gateOutputs(spec.cleanGate, rows, count, stride, stats);
      const named = spec.cleanGate.namer ? 1 : 0;
      const estimate = new Float32Array(classes.length + 1 + named);
      estimate.set(mean.subarray(0, classes.length));
      estimate[classes.length] = keep;
      if (named) estimate[classes.length + 1] = clean;
      return estimate;
    },

    async estimateCrops(image: RGBImage, signal?: AbortSignal) {
      assertLive();
      const { rows, count, stride, crops } = await runEstimator(image, signal);
      return { rows, count, stride, stats: cropStatistics(crops, count, spec.estimatorInputSize!) };
    },

    async prepare(weights: Float32Array): Promise<void> {
      assertLive();
      if (weights.length !== classes.length) throw new Error(`prepare: ${weights.length} adapter weights for ${classes.length} classes`);
      setBlend(weights);
    },

    async runTile(tile: Raster, options: { map: boolean; signal?: AbortSignal }): Promise<TileResult> {
      assertLive();
      const { width: w, height: h, channels } = tile;
      const withMap = options.map && segmentation !== null;
      const small = h < padMultiple || w < padMultiple;
      const input = small ? reflectPadToMultiple(tile.data, w, h, channels, padMultiple) : { data: tile.data, width: w, height: h };
      const feeds = { image: tensor(input.data, [1, input.height, input.width, channels]), ...weightFeeds };
      const both = withMap && segmentation.fromRestoreGraph;
      const out = await run(sessions.restore, feeds, both ? ['restored', 'seg_logits'] : ['restored'], options.signal);
      const crop = (data: Float32Array, c: number): Raster => {
        const cropped = cropTopLeft(data, input.width, w, h, c);
        return { width: w, height: h, channels: c, data: cropped === data ? Float32Array.from(data) : cropped };
      };
      const restored = crop(float32Output(out, 'restored', [1, input.height, input.width, 3]), 3);
      if (!withMap) return { restored, logits: null };
      let segOut = out;
      if (!both) {
        if (!sessions.segment) throw new Error('this runner has no graph for the degradation map (internal error)');
        segmentSession ??= sessions.segment();
        segOut = await run(segmentSession, feeds, ['seg_logits'], options.signal);
      }
      const seg = segOut['seg_logits'];
      const headChannels = seg?.dims[3] ?? 0;
      const logits = crop(float32Output(segOut, 'seg_logits', [1, input.height, input.width, headChannels]), headChannels);
      if (!segmentation.mapping) return { restored, logits };
      return { restored, logits: { ...logits, channels: 1 + classes.length, data: mapChannels(logits.data, headChannels, segmentation.mapping) } };
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await busy;
      await sessions.restore.release();
      await sessions.estimate?.release();
      if (segmentSession) await (await segmentSession.catch(() => null))?.release();
    },
  };
  return runner;
}
