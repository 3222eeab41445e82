/** `abair restore`: restore image files with the ABAIR model (the work happens in src/restore/batch.ts). */
import { Command, InvalidArgumentError, Option } from 'commander';
import { runRestore, type RestoreCommandOptions } from '../../restore/batch.js';
import { MODE_SYNTAX } from '../../restore/modes.js';
import { DEFAULT_OVERLAP, DEFAULT_TILE_SIZE } from '../../restore/tiling.js';

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
    return n;
  };
}

const EXAMPLES = `
Inputs may be files, folders (the images inside, not recursive) and quoted globs ("shots/*.jpg").
Each result is written as <name>.restored.<ext> beside its input (or in --out-dir); existing files
are never replaced without --overwrite and inputs are never replaced at all. A file that fails is
reported and the others go on; the exit code is then 1.

Modes: sw  blend the adapters by the estimator (softmax of its scores, sharpened by the
           model's SW exponent: abair model set-blend; default)
           With keep-clean on (the model's setting or --keep-clean on), part of the input
           is kept by the estimated chance that nothing is wrong; the line printed per file
           says how much.
       oh  use only the most likely adapter
       adapter:<name>          force one adapter, e.g. adapter:rain
       weights:rain=0.7,haze=0.3   explicit adapter weights

Examples:
  $ abair restore photo.jpg                      # → photo.restored.jpg
  $ abair restore photo.jpg -o clean.png --explain   # also clean.explain.png
  $ abair restore "rainy/*.png" --out-dir out --mode oh
  $ abair restore photo.jpg --weights runs/model --mode adapter:rain
`;

export function register(program: Command): void {
  program
    .command('restore')
    .description('restore degraded images (blind: the estimator chooses and blends the adapters)')
    .argument('<input...>', 'image files, folders or quoted glob patterns')
    .option('-o, --output <file>', 'output file (only with exactly one input; format from its extension)')
    .option('--out-dir <dir>', 'write results into this folder (created if missing)')
    .option('--mode <mode>', `how adapters are chosen: ${MODE_SYNTAX}`, 'sw')
    .addOption(new Option('--keep-clean <on|off>', "sw: keep part of the input by the estimated chance that nothing is wrong, so clean photos stay (nearly) as they are (default: the model's setting, abair model info)").choices(['on', 'off']))
    .option('--explain', 'also write <name>.explain.png (input | output | degradation map) and show the probabilities')
    .option('--tile <pixels>', 'tile size in pixels: larger is faster, smaller needs less memory', integer('--tile', 1), DEFAULT_TILE_SIZE)
    // no commander default: an unset overlap shrinks to half of a small --tile instead of failing
    .option('--overlap <pixels>', `overlap between tiles, blended to hide seams (default: ${DEFAULT_OVERLAP}, at most half the tile)`, integer('--overlap', 0))
    .addOption(new Option('--format <format>', 'output format (default: the input\'s if png/jpg/webp, else png)').choices(['png', 'jpg', 'jpeg', 'webp']))
    .option('--overwrite', 'replace existing output files')
    .option('--weights <dir>', 'model folder (backbone.safetensors, lora-<name>.safetensors, estimator.safetensors) or its backbone file (default: the model shipped with abair)')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend (with --engine tfjs)').choices(['wasm', 'cpu']).default('wasm'))
    .addOption(new Option('--engine <name>', "run the model with ONNX Runtime (≈3× faster than tfjs; onnxruntime-node, else onnxruntime-web's wasm build with a note) or TensorFlow.js").choices(['onnx', 'tfjs']).default('onnx'))
    .option('--no-progress', 'do not show progress on stderr')
    .addHelpText('after', EXAMPLES)
    .action(async (inputs: string[], options: RestoreCommandOptions, command: Command) => {
      const debug = Boolean(command.optsWithGlobals().debug);
      const { engine, keepClean, ...rest } = options as Omit<RestoreCommandOptions, 'keepClean'> & { engine?: 'onnx' | 'tfjs'; keepClean?: 'on' | 'off' };
      const result = await runRestore(inputs, { ...rest, ...(keepClean ? { keepClean: keepClean === 'on' } : {}), runtime: engine, debug });
      process.exitCode = result.exitCode;
    });
}
