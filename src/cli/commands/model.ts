/**
 * `abair model info`: parameter counts per part (backbone, segmentation head, each adapter,
 * estimator), analytic GFLOPs per megapixel, adapters and estimator classes, for a preset or for
 * a folder/file of weights. `abair model card`: the generated model card (src/eval/model-card.ts).
 */
import { Command, Option } from 'commander';
import { DEFAULT_LORA_RANK } from '../../model/lora.js';
import { PRESET_NAMES } from '../../model/config.js';
import { formatSummary, summarizePreset, summarizeWeights } from '../../model/summary.js';
import { UsageError, UserError } from '../../util/errors.js';
import { registerExportOnnx } from './export-onnx.js';
import { registerExportWeb } from '../../onnx/export-web.js';
import { setEstimatorBlend } from '../../model/weights.js';
import { readModelCardInputs, renderModelCard } from '../../eval/model-card.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { positive } from './train-options.js';

interface CardFlags {
  eval?: string[];
  recipe?: string;
  speed?: string;
  out?: string;
}

/** The command line that regenerates a card, written into it (options in a fixed order). */
function cardCommand(dir: string, f: CardFlags): string {
  const parts = ['abair model card', dir];
  if (f.recipe) parts.push('--recipe', f.recipe);
  if (f.eval?.length) parts.push('--eval', ...f.eval);
  if (f.speed) parts.push('--speed', f.speed);
  if (f.out) parts.push('--out', f.out);
  return parts.join(' ');
}

interface InfoFlags {
  preset?: string;
  rank: string;
  json?: boolean;
}

export function register(program: Command): void {
  const model = program.command('model').description('inspect restoration models (architecture presets and weight files)');
  model
    .command('info')
    .description('parameters per part, GFLOPs per megapixel, adapters and estimator classes')
    .argument('[weights]', 'a weights folder (backbone.safetensors, lora-*.safetensors, estimator.safetensors) or one .safetensors file')
    .addOption(new Option('--preset <name>', 'describe an architecture preset instead of weight files').choices(PRESET_NAMES))
    .option('--rank <r>', 'LoRA rank assumed for a preset\'s per-task adapter', String(DEFAULT_LORA_RANK))
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', `
Examples:
  abair model info --preset tiny
  abair model info --preset restormer --json
  abair model info weights/          (every file in the folder, read from the .json configs)
  abair model info weights/lora-rain.safetensors`)
    .action(async (weights: string | undefined, flags: InfoFlags) => {
      if ((weights === undefined) === (flags.preset === undefined)) throw new UsageError('give either --preset <name> or a weights folder/file (not both)');
      const rank = Number(flags.rank);
      if (!Number.isInteger(rank) || rank < 1) throw new UsageError('--rank must be a positive integer');
      let summary;
      try {
        summary = flags.preset ? summarizePreset(flags.preset, rank) : await summarizeWeights(weights!);
      } catch (err) {
        throw err instanceof UserError ? err : new UserError((err as Error).message);
      }
      console.log(flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    });
  model
    .command('card')
    .description('write a model card (Markdown: model, data, recipe, compute, results, known limits) from recorded files')
    .argument('<model>', 'a model folder (its .json sidecars hold the architecture and each run\'s provenance)')
    .option('--eval <file...>', 'abair eval --json results of this model: a results table each, and the known limits derived from them')
    .option('--recipe <file>', 'the training recipe (recipes/*.json) that built it')
    .option('--speed <file>', 'a speed record (npm run bench:restore -- --json <file>)')
    .option('--out <file.md>', 'write the card here (replacing it) instead of printing it')
    .addHelpText('after', `
Every number comes from the given files; rerun the command (it is written into the card) rather
than editing the card. Example:
  abair model card weights/default --recipe recipes/default.json --eval docs/eval/model-sw-all.json --out docs/model-card.md`)
    .action(async (dir: string, flags: CardFlags) => {
      const text = renderModelCard(await readModelCardInputs(dir, { evals: flags.eval, recipe: flags.recipe, speed: flags.speed }), cardCommand(dir, flags));
      if (!flags.out) {
        process.stdout.write(text);
        return;
      }
      await writeFileAtomic(flags.out, text);
      console.log(`${flags.out}: model card written (${text.split('\n').length - 1} lines)`);
    });
  model
    .command('set-blend')
    .description("set how SW mode blends adapters by this model's estimator (a calibration stored in estimator.json; the weights are not touched)")
    .argument('<weights>', 'a model folder (its estimator.safetensors) or an estimator .safetensors file')
    .option('--sw-exponent <x>', 'SW weights ∝ odds^x: the softmax of x × the estimator logits (1 = plain softmax; 2 = sharper)', positive('--sw-exponent'))
    .addOption(new Option('--keep-clean <on|off>', 'pull SW restorations back toward the input by the estimated chance that nothing is wrong, so clean photos are left (nearly) alone').choices(['on', 'off']))
    .addHelpText('after', `
Give --sw-exponent, --keep-clean or both. Choose them on held-out training images, not on a
benchmark's test sets (docs/decisions.md has how the shipped values were chosen).
Example:
  abair model set-blend models/mine --sw-exponent 2 --keep-clean on`)
    .action(async (weights: string, flags: { swExponent?: number; keepClean?: 'on' | 'off' }) => {
      if (flags.swExponent === undefined && flags.keepClean === undefined) throw new UsageError('give --sw-exponent <x>, --keep-clean <on|off> or both');
      const changes = { ...(flags.swExponent !== undefined ? { swExponent: flags.swExponent } : {}), ...(flags.keepClean !== undefined ? { keepClean: flags.keepClean === 'on' } : {}) };
      const { file, previous, current } = await setEstimatorBlend(weights, changes);
      const onOff = (b: boolean) => (b ? 'on' : 'off');
      console.log(`${file}: SW exponent ${previous.swExponent} → ${current.swExponent}, keep clean ${onOff(previous.keepClean)} → ${onOff(current.keepClean)}`);
    });
  model
    .command('half')
    .description('write a copy of a model folder in half precision (F16 tensors: half the bytes; the loaders decode them to float32)')
    .argument('<model>', 'a model folder')
    .requiredOption('--out <dir>', 'the new folder (must not exist)')
    .addHelpText('after', `
Measure that outputs stay close before shipping the copy, e.g. abair eval on both folders and
abair eval compare. Example:
  abair model half models/mine --out models/mine-f16`)
    .action(async (dir: string, flags: { out: string }) => {
      const { writeHalfPrecision } = await import('../../model/half-precision.js');
      const result = await writeHalfPrecision(dir, flags.out);
      const mb = (b: number) => (b / 1e6).toFixed(2);
      for (const f of result.files) console.log(`${f.name}: ${f.tensors} tensors, ${mb(f.bytesBefore)} → ${mb(f.bytesAfter)} MB`);
      const total = (k: 'bytesBefore' | 'bytesAfter') => result.files.reduce((a, f) => a + f[k], 0);
      console.log(`${flags.out}: ${result.files.length} weight files in half precision (${mb(total('bytesBefore'))} → ${mb(total('bytesAfter'))} MB), ${result.copied.length} other files copied`);
    });
  registerExportOnnx(model);
  registerExportWeb(model);
}
