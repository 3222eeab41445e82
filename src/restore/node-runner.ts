/**
 * The Node face's ModelRunner: the ONNX runner (onnx-runner.ts) over a model folder, its graphs
 * exported in memory at load time from the same forward code as training (src/onnx/export.ts, so
 * a folder needs no .onnx files) and run in a worker thread (src/ort/worker-session.ts) with
 * onnxruntime-node, or onnxruntime-web's wasm build (src/ort/runtime.ts). The LoRA-target 1×1
 * weights are graph inputs, merged per image in JS (lora-merge.ts): measured faster than adapter
 * branches, and no re-export per image (docs/onnx.md).
 *
 * Degraded folders are still usable:
 *   - adapters but no estimator: explicit modes (adapter:<name>, weights:…) work; `estimate`
 *     throws a UserError saying sw/oh need the estimator (`hasEstimator` is false);
 *   - backbone only: `classes` is empty and every image gets the base model.
 * Adapters the estimator has no class for are not loaded (listed in `ignoredAdapters`).
 *
 * The degradation map: the head's channels are named by the backbone sidecar's
 * `provenance.segClasses` when present, else — when the head has as many classes as the CutMix
 * default — by DEFAULT_CLASSES, which Phase I trains with; otherwise the runner offers no map. The
 * logits are reordered to the runner's classes by name (segmentationMapping in model-folder.ts).
 *
 * No tfjs anywhere on this path: the weights are read as plain arrays (readParts).
 */
import { promises as fs } from 'node:fs';
import { SIZE_MULTIPLE, type BackboneConfig } from '../model/config.js';
import type { AdapterWeights, WeightsLike } from '../model/host-weights.js';
import { loraParamName, loraScale } from '../model/lora.js';
import { adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx } from '../onnx/export.js';
import { loadOrtPackage, type OrtRuntime } from '../ort/runtime.js';
import { hostTensor, OrtWorker } from '../ort/worker-session.js';
import { UserError } from '../util/errors.js';
import type { LoraSet } from './lora-merge.js';
import { describeModel, noEstimatorError, readParts, segmentationClassNames, segmentationMapping } from './model-folder.js';
import { createOnnxRunner, type OnnxRunner, type OnnxSession } from './onnx-runner.js';

interface NodeRunnerOptions {
  /** ONNX Runtime intra-op threads (default 2). */
  threads?: number;
  /** which ONNX Runtime package (default: onnxruntime-node, else onnxruntime-web's wasm build) */
  runtime?: OrtRuntime;
  /** read the folder's clean-gate.json (default true); false leaves it out, e.g. to fit a new one */
  cleanGate?: boolean;
}

interface NodeRunner extends OnnxRunner {
  /** the folder the weights came from */
  readonly dir: string;
  readonly config: BackboneConfig;
  /** adapter names found in the folder but not used because the estimator has no class for them */
  readonly ignoredAdapters: readonly string[];
  /** names of the segmentation head's classes (index 1 + k), or null when no map is offered */
  readonly segmentationClasses: readonly string[] | null;
  /** the ONNX Runtime package the graphs run on */
  readonly ortPackage: 'onnxruntime-node' | 'onnxruntime-web';
}

/** A model folder's LoRA set: for every LoRA-target 1×1 weight, the base value and each adapter's factors. */
// @testSeam: tested directly
export function loraFromWeights(base: WeightsLike, config: BackboneConfig, adapters: readonly AdapterWeights[]): LoraSet {
  return {
    scales: adapters.map((a) => loraScale(a.config)),
    inputs: adapterInputNames(config, adapters).map((name) => {
      const weight = base[name];
      if (!weight || weight.shape.length !== 2) throw new Error(`weight input ${name}: not a 2-D base weight (internal error)`);
      const layer = name.replace(/\.w$/, '');
      return {
        name,
        shape: [weight.shape[0]!, weight.shape[1]!] as const,
        base: Float32Array.from(weight.dataSync()),
        factors: adapters.map((adapter) =>
          adapter.config.targets.includes(layer)
            ? {
                rank: adapter.config.rank,
                a: Float32Array.from(adapter.params[loraParamName(adapter.config.name, layer, 'A')]!.dataSync()),
                b: Float32Array.from(adapter.params[loraParamName(adapter.config.name, layer, 'B')]!.dataSync()),
              }
            : null,
        ),
      };
    }),
  };
}

export async function createNodeRunner(modelDir: string, options: NodeRunnerOptions = {}): Promise<NodeRunner> {
  if (!(await fs.stat(modelDir).then(() => true, () => false))) throw new UserError(`${modelDir}: model folder not found`);
  const loaded = await loadOrtPackage(options.runtime); // fail early, with the reason, when the runtime cannot load here
  const { backbone, estimator, cleanGate, adapters, classes, ignored } = await readParts(modelDir, { cleanGate: options.cleanGate ?? true });
  const config = backbone.config;
  const base = backbone.params;
  const segNames = classes.length > 0 ? segmentationClassNames(config, backbone.provenance) : null;
  const exportMode = adapters.length === 0 ? 'none' : 'inputs';

  const worker = new OrtWorker(options.threads, options.runtime);
  let restore: OnnxSession;
  let estimate: OnnxSession | null = null;
  try {
    restore = await worker.load(exportBackboneOnnx(base, config, { adaptersAs: exportMode, adapters }));
    if (estimator) estimate = await worker.load(exportEstimatorOnnx(estimator.params, estimator.config));
  } catch (err) {
    worker.close();
    throw err;
  }
  const described = describeModel(modelDir, config, classes, estimator, ignored, segNames, cleanGate);
  const runner = createOnnxRunner(
    {
      classes,
      estimatorInputSize: estimator?.config.inputSize ?? null,
      cleanOutput: estimator?.config.clean ?? false,
      cleanGate: cleanGate?.gate ?? null,
      swExponent: described.swExponent,
      keepClean: described.keepClean,
      padMultiple: SIZE_MULTIPLE,
      lora: loraFromWeights(base, config, adapters),
      segmentation: segNames ? { fromRestoreGraph: false, mapping: segmentationMapping(segNames, classes) } : null,
      noEstimator: () => noEstimatorError(modelDir, classes),
    },
    {
      restore,
      estimate,
      // Only maps need the head: that graph is exported on first use.
      segment: () => worker.load(exportBackboneOnnx(base, config, { adaptersAs: exportMode, adapters, segmentation: true })),
    },
    hostTensor,
  );
  return {
    ...runner,
    dir: modelDir,
    config,
    ignoredAdapters: ignored,
    segmentationClasses: segNames,
    ortPackage: loaded.name,
    estimate: runner.estimate,
    prepare: runner.prepare,
    runTile: runner.runTile,
    async dispose() {
      // Ending the worker ends its sessions with it, at once, also in the middle of a run an
      // abort left behind (waiting for that run would hold an interrupted CLI open).
      worker.close();
      void runner.dispose().catch(() => undefined);
    },
  };
}
