/**
 * `abair model export-onnx <modelDir> -o <out.onnx>`: writes the backbone graph (adapters as
 * inputs or branches) and, when the folder has one, the estimator graph beside it
 * (<out>.estimator.onnx), plus <out>.json describing the inputs (adapter order, weight inputs).
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { Command, Option } from 'commander';
import { readParts } from '../../restore/model-folder.js';
import { UserError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { ADAPTER_WEIGHTS_INPUT, type AdaptersAs, adapterInputNames, exportBackboneOnnx, exportEstimatorOnnx } from '../../onnx/export.js';

interface ExportFolderOptions {
  adaptersAs?: Exclude<AdaptersAs, 'none'>;
  segmentation?: boolean;
}

/** Exports a model folder; returns the files written. */
// @testSeam: tested directly (export-onnx.test.ts)
export async function exportModelFolder(dir: string, out: string, options: ExportFolderOptions = {}): Promise<string[]> {
  const exists = await fs.stat(dir).then(() => true, () => false);
  if (!exists) throw new UserError(`${dir}: model folder not found`);
  // The weights are only read on the way to the graph: plain arrays, no tfjs.
  const { backbone, estimator, adapters, classes } = await readParts(dir);
  {
    const mode = adapters.length === 0 ? 'none' : (options.adaptersAs ?? 'inputs');
    const segmentation = options.segmentation === true && backbone.config.segClasses > 0;
    const written: string[] = [];
    await writeFileAtomic(out, exportBackboneOnnx(backbone.params, backbone.config, { adaptersAs: mode, adapters, segmentation }));
    written.push(out);
    const stem = out.replace(/\.onnx$/i, '');
    if (estimator) {
      await writeFileAtomic(`${stem}.estimator.onnx`, exportEstimatorOnnx(estimator.params, estimator.config));
      written.push(`${stem}.estimator.onnx`);
    }
    const description = {
      adaptersAs: mode,
      classes,
      backbone: { inputs: ['image [N,H,W,3] float32 in [0,1], NHWC'], outputs: ['restored [N,H,W,3] (unclipped)', ...(segmentation ? ['seg_logits [N,H,W,1+K]'] : [])] },
      weightInputs: mode === 'inputs' ? adapterInputNames(backbone.config, adapters) : [],
      adapterWeightsInput: mode === 'branches' ? `${ADAPTER_WEIGHTS_INPUT} [N,${classes.length}] in the order of classes` : null,
      estimator: estimator ? { file: path.basename(`${stem}.estimator.onnx`), outputs: ['probabilities [N,K]'], classes: estimator.config.classes } : null,
    };
    await writeFileAtomic(`${stem}.json`, JSON.stringify(description, null, 2) + '\n');
    written.push(`${stem}.json`);
    return written;
  }
}

/** Registers `export-onnx` under the `model` command. */
export function registerExportOnnx(model: Command): void {
  model
    .command('export-onnx')
    .description('export a model folder to ONNX (backbone with its adapters, and the estimator)')
    .argument('<modelDir>', 'model folder (backbone.safetensors, lora-<name>.safetensors, estimator.safetensors)')
    .requiredOption('-o, --output <file>', 'backbone graph file (.onnx); the estimator goes to <name>.estimator.onnx, a description to <name>.json')
    .addOption(new Option('--adapters-as <how>', 'per-image adapter blends: merged 1×1 weights as graph inputs (faster), or adapter branches with an adapter_weights input').choices(['inputs', 'branches']).default('inputs'))
    .option('--segmentation', 'also output the segmentation head\'s logits (seg_logits)')
    .addHelpText('after', `
Examples:
  abair model export-onnx runs/model -o model.onnx
  abair model export-onnx runs/model -o model.onnx --adapters-as branches --segmentation

See docs/onnx.md for the graphs' inputs and outputs.`)
    .action(async (dir: string, flags: { output: string; adaptersAs: 'inputs' | 'branches'; segmentation?: boolean }) => {
      const written = await exportModelFolder(dir, flags.output, { adaptersAs: flags.adaptersAs, segmentation: flags.segmentation });
      for (const file of written) console.log(file);
    });
}
