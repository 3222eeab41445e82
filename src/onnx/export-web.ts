/**
 * `abair model export-web <modelDir> -o <outDir>`: the files the browser restorer loads
 * (src/browser/manifest.ts describes them): backbone.onnx with the LoRA-target weights as inputs
 * (and seg_logits when the head's classes are known), estimator.onnx, lora.bin (base weights and
 * adapter factors, little-endian float32) and model.json.
 *
 * Each file is written atomically, and model.json last, so a folder being re-exported never shows
 * a manifest that points at files of another export for longer than the renames take.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { SIZE_MULTIPLE, type BackboneConfig } from '../model/config.js';
import { loraParamName, loraScale } from '../model/lora.js';
import type { AdapterWeights, WeightLike, WeightsLike } from '../model/host-weights.js';
import type { Provenance } from '../model/weights.js';
import { readParts, segmentationClassNames } from '../restore/model-folder.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { WEB_MODEL_FILES, WEB_MODEL_FORMAT, WEB_MODEL_VERSION, type WebAdapter, type WebModelManifest, type WebWeightInput } from '../browser/manifest.js';
import { adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx } from './export.js';

/** lora.bin and the manifest entries that describe it. */
interface PackedLora {
  bytes: Uint8Array;
  weightInputs: WebWeightInput[];
  adapters: WebAdapter[];
}

/**
 * Lays out lora.bin: for every weight input (adapterInputNames order) the base weight, then each
 * adapter's A and B for that layer (adapters in `adapters` order, only those targeting the layer).
 */
// @testSeam: tested directly (lora-merge.test.ts)
export function packLora(base: WeightsLike, config: BackboneConfig, adapters: readonly AdapterWeights[]): PackedLora {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const append = (t: WeightLike) => {
    const values = Float32Array.from(t.dataSync());
    chunks.push(values);
    const range = { byteOffset: offset, byteLength: values.length * 4 };
    offset += range.byteLength;
    return range;
  };
  const weightInputs: WebWeightInput[] = [];
  const packed: WebAdapter[] = adapters.map((a) => ({ name: a.config.name, scale: loraScale(a.config), layers: [] }));
  for (const name of adapterInputNames(config, adapters)) {
    const weight = base[name];
    if (!weight || weight.shape.length !== 2) throw new Error(`weight input ${name}: not a 2-D base weight (internal error)`);
    weightInputs.push({ name, shape: [weight.shape[0]!, weight.shape[1]!], ...append(weight) });
    const layer = name.replace(/\.w$/, '');
    adapters.forEach((adapter, k) => {
      if (!adapter.config.targets.includes(layer)) return;
      const a = append(adapter.params[loraParamName(adapter.config.name, layer, 'A')]!);
      const b = append(adapter.params[loraParamName(adapter.config.name, layer, 'B')]!);
      packed[k]!.layers.push({ input: name, rank: adapter.config.rank, a, b });
    });
  }
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const chunk of chunks) {
    for (const value of chunk) {
      view.setFloat32(at, value, true);
      at += 4;
    }
  }
  return { bytes, weightInputs, adapters: packed };
}

const stepsOf = (provenance: Provenance): number | null => (typeof provenance['steps'] === 'number' ? provenance['steps'] : null);

/** Exports a model folder for the browser; returns the files written (model.json last). */
export async function exportWebModel(dir: string, outDir: string): Promise<{ files: string[]; manifest: WebModelManifest }> {
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat) throw new UserError(`${dir}: model folder not found`);
  if (!stat.isDirectory()) throw new UserError(`${dir}: not a folder (give the model folder holding backbone.safetensors)`);
  const outStat = await fs.stat(outDir).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new UserError(`${outDir}: exists and is not a folder`);

  // The weights are only read on the way to the files: plain arrays, no tfjs.
  const { backbone, estimator, cleanGate, adapters, classes } = await readParts(dir);
  {
    const config = backbone.config;
    // Only a head whose classes are known gives a map the browser can label.
    const segmentationClasses = segmentationClassNames(config, backbone.provenance);
    const segmentation = segmentationClasses !== null;
    const lora = packLora(backbone.params, config, adapters);
    const manifest: WebModelManifest = {
      format: WEB_MODEL_FORMAT,
      version: WEB_MODEL_VERSION,
      classes,
      estimatorInputSize: estimator ? estimator.config.inputSize : null,
      swExponent: estimator ? estimator.config.swExponent : 1,
      keepClean: estimator ? estimator.config.keepClean : false,
      cleanOutput: estimator ? estimator.config.clean : false,
      cleanGate: cleanGate?.gate ?? null,
      segmentationClasses,
      padMultiple: SIZE_MULTIPLE,
      loraBytes: lora.bytes.byteLength,
      weightInputs: lora.weightInputs,
      adapters: lora.adapters,
      provenance: {
        preset: backbone.preset ?? null,
        steps: {
          backbone: stepsOf(backbone.provenance),
          estimator: estimator ? stepsOf(estimator.provenance) : null,
          adapters: Object.fromEntries(adapters.map((a) => [a.config.name, stepsOf(a.provenance)])),
        },
      },
    };

    await fs.mkdir(outDir, { recursive: true });
    const target = (name: string) => path.join(outDir, name);
    const files: string[] = [];
    const write = async (name: string, data: Uint8Array | string) => {
      await writeFileAtomic(target(name), data);
      files.push(target(name));
    };
    const adaptersAs = adapters.length === 0 ? 'none' : 'inputs';
    await write(WEB_MODEL_FILES.backbone, exportBackboneOnnx(backbone.params, config, { adaptersAs, adapters, segmentation }));
    if (estimator) await write(WEB_MODEL_FILES.estimator, exportEstimatorOnnx(estimator.params, estimator.config));
    else await fs.rm(target(WEB_MODEL_FILES.estimator), { force: true }); // a previous export's, now stale
    await write(WEB_MODEL_FILES.lora, lora.bytes);
    await write(WEB_MODEL_FILES.manifest, JSON.stringify(manifest, null, 2) + '\n');
    return { files, manifest };
  }
}

/** Registers `export-web` under the `model` command. */
export function registerExportWeb(model: Command): void {
  model
    .command('export-web')
    .description('export a model folder for the browser restorer (onnxruntime-web): backbone.onnx, estimator.onnx, lora.bin, model.json')
    .argument('<modelDir>', 'model folder (backbone.safetensors, lora-<name>.safetensors, estimator.safetensors)')
    .requiredOption('-o, --output <dir>', 'folder to write the files into (created if missing; files of the same names are replaced)')
    .addHelpText('after', `
Examples:
  abair model export-web weights/default -o web/public/model

See docs/onnx.md ("Browser engine") for the files and how to load them.`)
    .action(async (dir: string, flags: { output: string }) => {
      const { files, manifest } = await exportWebModel(dir, flags.output);
      for (const file of files) console.log(file);
      const map = manifest.segmentationClasses ? `map classes: ${manifest.segmentationClasses.join(', ')}` : 'no degradation map';
      console.log(`classes: ${manifest.classes.join(', ') || 'none'}; estimator: ${manifest.estimatorInputSize === null ? 'none' : 'yes'}; ${map}`);
    });
}
