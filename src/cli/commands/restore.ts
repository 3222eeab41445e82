/** `abair restore`: restore image files with the ABAIR model (the work happens in src/cli/batch.ts). */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FORMAT_NAMES, runRestore, type RestoreCommandOptions } from '../batch.js';
import { removePendingTempFilesSync } from '../../util/atomic-write.js';
import { MODE_SYNTAX } from '../../restore/modes.js';
import { DEFAULT_OVERLAP, DEFAULT_TILE_SIZE } from '../../restore/tile-plan.js';
import { SIZE_MULTIPLE } from '../../model/config.js';
import { addProgressOption, progressChoice } from '../progress-option.js';
import { onPipeClosed } from '../pipe-guard.js';

function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER, why = ''): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const range = max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `>= ${min}`;
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${range}${why}.`);
    return n;
  };
}

/**
 * Smallest --tile: two default overlaps, so the default seam blending fits in a tile (the tile
 * planner needs 2·overlap <= tile), and several of the network's 8-pixel blocks besides; smaller
 * tiles would be mostly padding and seams.
 */
const MIN_TILE_SIZE = Math.max(2 * DEFAULT_OVERLAP, 8 * SIZE_MULTIPLE);

/** How long an interrupted restore may take to stop by itself before the process exits anyway. */
const GRACE_MS = 3000;

const EXAMPLES = `
Inputs may be files, folders (the images inside, not recursive) and quoted globs ("shots/*.jpg").
Each result is written as <name>.restored.<ext> beside its input (or in --out-dir); existing files
are never replaced without --overwrite and inputs are never replaced at all. A file that fails is
reported and the others go on; the exit code is then 1.

Outputs keep the input's EXIF, colour profile and XMP (--strip drops them and converts to sRGB);
EXIF orientation is applied to the pixels and the tag set to 1. 16-bit inputs give 16-bit PNG and
TIFF. Formats: png, jpg, webp, avif, tif, bmp; what one cannot hold (alpha in JPEG, 16 bits in
JPEG/WebP/BMP, EXIF in TIFF) is dropped with a note.

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
  $ abair restore shots/ --out-dir out --json --quiet > results.jsonl
`;

export function register(program: Command): void {
  const command = program
    .command('restore')
    .description('restore degraded images (blind: the estimator chooses and blends the adapters)')
    .argument('<input...>', 'image files, folders or quoted glob patterns')
    .option('-o, --output <file>', 'output file (only with exactly one input; format from its extension)')
    .option('--out-dir <dir>', 'write results into this folder (created if missing)')
    .option('--mode <mode>', `how adapters are chosen: ${MODE_SYNTAX}`, 'sw')
    .addOption(new Option('--keep-clean <on|off>', "sw: keep part of the input by the estimated chance that nothing is wrong, so clean photos stay (nearly) as they are (default: the model's setting, abair model info)").choices(['on', 'off']))
    .option('--explain', 'also write <name>.explain.png (input | output | degradation map) and show the probabilities')
    .option('--tile <pixels>', `tile size in pixels, at least ${MIN_TILE_SIZE}: larger is faster, smaller needs less memory`, integer('--tile', MIN_TILE_SIZE, Number.MAX_SAFE_INTEGER, ` (smaller tiles cannot hold the ${DEFAULT_OVERLAP}-pixel overlap on both sides)`), DEFAULT_TILE_SIZE)
    // no commander default: an unset overlap shrinks to half of a small --tile instead of failing
    .option('--overlap <pixels>', `overlap between tiles, blended to hide seams (default: ${DEFAULT_OVERLAP}, at most half the tile)`, integer('--overlap', 0))
    .addOption(new Option('--format <format>', 'output format (default: the input\'s if writable, else png)').choices([...FORMAT_NAMES]))
    .option('--quality <q>', 'JPEG/WebP/AVIF quality (default 95)', integer('--quality', 1, 100))
    .option('--strip', 'drop EXIF, XMP and the colour profile (colours converted to sRGB)')
    .option('--json', 'print one JSON object per file on stdout (input, output, probabilities, weights, seconds, notes)')
    .option('-q, --quiet', 'print nothing but errors (--json still prints its objects)')
    .option('--overwrite', 'replace existing output files')
    .option('--weights <dir>', 'model folder (backbone.safetensors, lora-<name>.safetensors, estimator.safetensors) or its backbone file (default: the model shipped with abair)')
    .addOption(new Option('--runtime <name>', "ONNX Runtime package: node (onnxruntime-node) or wasm (onnxruntime-web's WebAssembly build, about 2× slower); default: node, else wasm with a note").choices(['node', 'wasm']))
    .addHelpText('after', EXAMPLES)
    .action(async (inputs: string[], options: RestoreCommandOptions, command: Command) => {
      const debug = Boolean(command.optsWithGlobals().debug);
      const { keepClean, progress, ...rest } = options as Omit<RestoreCommandOptions, 'keepClean'> & { keepClean?: 'on' | 'off' };
      // Ctrl-C / SIGTERM: abort the restore (mid-tile: the model runs in a worker thread),
      // delete any unpublished temp file and exit 130 / 143. A second signal, or a run that
      // has not stopped after GRACE_MS (e.g. stuck on a slow disk), exits at once, temp files removed.
      // A closed stdout/stderr pipe stops the batch between tiles or files, not in the middle of a write.
      const controller = new AbortController();
      const release = onPipeClosed(() => controller.abort());
      let received: NodeJS.Signals | null = null;
      const exitCodeFor = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
      const onSignal = (signal: NodeJS.Signals) => {
        if (received) {
          removePendingTempFilesSync();
          process.exit(exitCodeFor(signal));
        }
        received = signal;
        controller.abort();
        setTimeout(() => {
          removePendingTempFilesSync();
          process.stderr.write(`\nabair: interrupted (${signal})\n`);
          process.exit(exitCodeFor(signal));
        }, GRACE_MS).unref();
      };
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      for (const signal of signals) process.on(signal, onSignal);
      try {
        const result = await runRestore(inputs, { ...rest, progress: progressChoice(progress), ...(keepClean ? { keepClean: keepClean === 'on' } : {}), debug }, { signal: controller.signal });
        process.exitCode = result.exitCode;
      } catch (err) {
        if (!received) throw err;
        removePendingTempFilesSync();
        process.stderr.write(`\nabair: interrupted (${received}); files already written are complete, nothing half-written is left\n`);
        process.exitCode = exitCodeFor(received);
      } finally {
        release();
        for (const signal of signals) process.off(signal, onSignal);
      }
    });
  addProgressOption(command);
}
