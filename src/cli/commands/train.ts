/** `abair train pretrain|adapter|estimator|plot`: the three training phases (src/train) and the log plot. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ADAPTER_DEFAULTS, CLEAN_GATE_DEFAULTS, DEFAULT_THREADS, ESTIMATOR_DEFAULTS, PRETRAIN_DEFAULTS } from '../../train/defaults.js';
// The training modules (ONNX Runtime's train steps) are imported when a train command runs, not
// when the CLI starts, so `abair --help` and `abair restore` stay quick.
import type { EstimatorTrainOptions } from '../../train/phases/estimator.js';
import type { RunResult } from '../../train/runner.js';
import { PRESET_NAMES } from '../../model/config.js';
import { OPTIONAL_STATISTICS, VETO_LEVELS, type OptionalStatistic, type VetoLevel } from '../../model/clean-gate.js';
import { UsageError } from '../../util/errors.js';
import { DEFAULT_CLEAN_FRACTION, MIXED_LABELS, type MixedLabels } from '../../train/data/index.js';
import { addCommonOptions, addRunOptions, atLeastOne, commonFrom, defaultImagesDir, fraction, integer, positive, type ParsedCommon, widthList } from './train-options.js';
import { DEFAULT_ESTIMATOR } from '../../model/estimator.js';
import { withCleanOutput } from '../../model/estimator-grow.js';
import { registerRecipe } from './train-recipe.js';

const LOG_NOTE = `
Every phase writes into --out: checkpoint.safetensors (params + AdamW state, replaced atomically),
train-log.jsonl (one JSON object per step / validation) and, when done, its weight files.
Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves the checkpoint and exits 0; run the
same command with --resume to continue (the data stream is seeded per step, so the losses are
the same as without the interruption). Plot a log with: abair train plot <out>/train-log.jsonl -o curve.png`;

function report(result: RunResult): void {
  if (result.interrupted) return;
  for (const file of result.outputs) process.stdout.write(`${file}\n`);
  const v = result.lastValidation;
  if (v?.psnr !== undefined) process.stderr.write(`validation: ${v.psnr.toFixed(2)} dB (input ${v.inputPsnr!.toFixed(2)} dB)\n`);
  if (v?.accuracy !== undefined) process.stderr.write(`validation: accuracy ${(v.accuracy * 100).toFixed(1)}%, BCE ${v.bce!.toFixed(4)}\n`);
}

function imagesOrDefault(images: string[] | undefined): string[] {
  if (images && images.length) return images;
  const dir = defaultImagesDir();
  process.stderr.write(`--images not given: using the development default ${dir}\n`);
  return [dir];
}

function registerPretrain(train: Command): void {
  const d = PRETRAIN_DEFAULTS;
  const cmd = train
    .command('pretrain')
    .description('Phase I: pre-train the backbone (+ segmentation head) on clean photos with Degradation CutMix')
    .option('--images <dir...>', `folders of clean photos (default: ${defaultImagesDir()}, development only)`)
    .addOption(new Option('--preset <name>', 'model size').choices(PRESET_NAMES).default(d.preset))
    .option('--seg-weight <w>', 'weight of the segmentation cross-entropy (0 = off)', Number, d.segWeight)
    .addOption(new Option('--loss <kind>', 'restoration loss').choices(['l1', 'charbonnier']).default('l1'))
    .option('--out <dir>', 'run folder (checkpoint, log, backbone.safetensors)', 'runs/pretrain');
  addRunOptions(addCommonOptions(cmd, d), d)
    .addHelpText('after', `${LOG_NOTE}\n\nExample:\n  $ abair train pretrain --images photos/ --steps 2000 --out runs/pretrain`)
    .action(async (opts: ParsedCommon & { images?: string[]; preset: string; segWeight: number; loss: 'l1' | 'charbonnier'; out: string }) => {
      if (!(opts.segWeight >= 0)) throw new UsageError('--seg-weight must be a number >= 0');
      report(await (await import('../../train/phases/pretrain.js')).trainPretrain({ ...commonFrom(opts, opts.out), images: imagesOrDefault(opts.images), preset: opts.preset, segWeight: opts.segWeight, loss: opts.loss }));
    });
}

function registerAdapter(train: Command): void {
  const d = ADAPTER_DEFAULTS;
  const cmd = train
    .command('adapter')
    .description('Phase II: train one LoRA adapter on the frozen backbone')
    .requiredOption('--name <name>', 'adapter name (file lora-<name>.safetensors)')
    .requiredOption('--backbone <dir-or-file>', 'backbone weights: a model folder or backbone.safetensors')
    .option('--synthetic <spec>', "degradation(s) to synthesise on clean photos: 'rain', or stacked 'rain+noise'")
    .option('--pairs <dirs...>', 'aligned pairs instead: <inputDir> <targetDir> (files matched by name)')
    .option('--images <dir...>', `clean photos for --synthetic (default: ${defaultImagesDir()}, development only)`)
    .option('--rank <r>', 'LoRA rank (the paper: 4 is best; the shipped adapters, on a narrower backbone, use 16, and noise 64)', integer('--rank', 1), d.rank)
    .addOption(new Option('--loss <kind>', 'restoration loss').choices(['l1', 'charbonnier']).default('l1'))
    .option('--context <n>', 'with --synthetic: degrade an n×-patch-size window and train on its centre patch, so image-scale structure (haze\'s depth ramp) spreads as it does over a photo', integer('--context', 1), 1)
    .option('--clean-fraction <f>', 'with --synthetic: fraction of undegraded samples (input = target), so the adapter leaves photos that do not need it alone', fraction('--clean-fraction'), 0)
    .option('--out <dir>', 'run folder (default runs/adapter-<name>)')
    .option('--into <modelDir>', 'write lora-<name>.safetensors into this model folder instead of --out');
  addRunOptions(addCommonOptions(cmd, d), d)
    .addHelpText('after', `${LOG_NOTE}\n\nExamples:\n  $ abair train adapter --name rain --synthetic rain --backbone runs/pretrain --into models/mine\n  $ abair train adapter --name derain --pairs rainy/ clean/ --backbone models/mine`)
    .action(async (opts: ParsedCommon & { name: string; backbone: string; synthetic?: string; pairs?: string[]; images?: string[]; rank: number; loss: 'l1' | 'charbonnier'; context: number; cleanFraction: number; out?: string; into?: string }) => {
      if (opts.pairs && opts.pairs.length !== 2) throw new UsageError('--pairs needs exactly two folders: <inputDir> <targetDir>');
      if (!opts.synthetic === !opts.pairs) throw new UsageError('give exactly one of --synthetic <spec> and --pairs <inputDir> <targetDir>');
      const out = opts.out ?? path.join('runs', `adapter-${opts.name}`);
      report(await (await import('../../train/phases/adapter.js')).trainAdapter({
        ...commonFrom(opts, out),
        name: opts.name,
        backbone: opts.backbone,
        ...(opts.synthetic ? { synthetic: opts.synthetic } : {}),
        ...(opts.pairs ? { pairs: [opts.pairs[0]!, opts.pairs[1]!] as [string, string] } : {}),
        images: opts.synthetic ? imagesOrDefault(opts.images) : [],
        rank: opts.rank,
        loss: opts.loss,
        context: opts.context,
        cleanFraction: opts.cleanFraction,
        ...(opts.into ? { into: opts.into } : {}),
      }));
    });
}

function registerEstimator(train: Command): void {
  const d = ESTIMATOR_DEFAULTS;
  const cmd = train
    .command('estimator')
    .description('Phase III: train the degradation estimator (one sigmoid output per adapter)')
    .requiredOption('--model <dir>', 'model folder: its lora-*.safetensors give the classes; estimator.safetensors is written there')
    .option('--classes <names>', 'comma-separated classes instead of the adapters present', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--images <dir...>', `clean photos to synthesise from (default: ${defaultImagesDir()}, development only)`)
    .option('--mixed-fraction <f>', 'fraction of samples with two stacked degradations', fraction('--mixed-fraction'), d.mixedFraction)
    .option('--clean-fraction <f>', 'fraction of undegraded samples (all labels 0), which teach the estimator what a clean photo looks like', fraction('--clean-fraction'), DEFAULT_CLEAN_FRACTION)
    .option('--clean-output', "give the estimator its clean output (p(clean): nothing needs restoring; SW then keeps the input by that share); a --from estimator without one gets one added")
    .option('--faint-fraction <f>', 'fraction of degraded samples drawn at a faint severity, so the clean output learns where a degradation stops mattering (labelled clean below a 40 dB change)', fraction('--faint-fraction'), 0)
    .addOption(new Option('--mixed-labels <rule>', "labels of mixed samples: multi-hot (1 for both), or dominant (1 for the degradation that changed the image more, the other its share)").choices(MIXED_LABELS).default('multi-hot'))
    .option('--context <n>', 'degrade an n×-patch-size window and train on its centre patch, as the estimator sees crops of whole photos', integer('--context', 1), 1)
    .option('--widths <list>', `channels of the estimator's stride-2 convs, comma-separated (one conv each; default: ${DEFAULT_ESTIMATOR.widths.join(',')})`, widthList)
    .option('--out <dir>', 'run folder (checkpoint, log)', 'runs/estimator')
    .option('--into <dir>', 'write estimator.safetensors here instead of --model')
    .option('--from <path>', 'start from this estimator (a model folder or estimator.safetensors; same classes) instead of random weights, e.g. to fine-tune the shipped one with other data settings');
  addRunOptions(addCommonOptions(cmd, d), d)
    .addHelpText('after', `${LOG_NOTE}\n\nExample:\n  $ abair train estimator --model models/mine`)
    .action(async (opts: ParsedCommon & { model: string; classes?: string[]; images?: string[]; mixedFraction: number; cleanFraction: number; mixedLabels: MixedLabels; context: number; widths?: number[]; out: string; into?: string; from?: string; cleanOutput?: boolean; faintFraction: number }) => {
      const from = opts.from ? await startingEstimator(opts.from, opts.cleanOutput === true) : undefined;
      report(await (await import('../../train/phases/estimator.js')).trainEstimator({
        ...commonFrom(opts, opts.out),
        model: opts.model,
        ...(opts.classes ? { classes: opts.classes } : {}),
        images: imagesOrDefault(opts.images),
        mixedFraction: opts.mixedFraction,
        cleanFraction: opts.cleanFraction,
        mixedLabels: opts.mixedLabels,
        context: opts.context,
        cleanOutput: opts.cleanOutput === true,
        faintFraction: opts.faintFraction,
        ...(opts.widths ? { widths: opts.widths } : {}),
        ...(opts.into ? { into: opts.into } : {}),
        ...(from ? { from } : {}),
      }));
    });
}

/** `--from`: an estimator's config and values as host arrays, and its file (hashed into the run identity). */
async function startingEstimator(target: string, cleanOutput: boolean): Promise<NonNullable<EstimatorTrainOptions['from']>> {
  const { readEstimator } = await import('../../model/weights.js');
  const loaded = await readEstimator(target);
  const values = Object.fromEntries(Object.entries(loaded.params).map(([n, w]) => [n, w.data]));
  const start = cleanOutput && !loaded.config.clean ? withCleanOutput(loaded.config, values) : { config: loaded.config, params: values };
  return { config: start.config, params: start.params, file: loaded.file };
}

/** --statistics: a comma-separated list of distinct OPTIONAL_STATISTICS, or 'none'. */
function statisticsList(value: string): OptionalStatistic[] {
  if (value === 'none') return [];
  const names = value.split(',');
  for (const n of names) if (!(OPTIONAL_STATISTICS as readonly string[]).includes(n)) throw new InvalidArgumentError(`'${n}' is not a crop statistic (${OPTIONAL_STATISTICS.join(', ')}, or none)`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('a statistic is listed twice');
  return names as OptionalStatistic[];
}

/** --haze-veto and --namer-keep: from:to with 0 ≤ from < to ≤ 1, or 'none' (false: commander turns a parsed null into ''). */
function vetoRange(value: string): { from: number; to: number } | false {
  if (value === 'none') return false;
  const m = /^([\d.]+):([\d.]+)$/.exec(value);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!(from >= 0 && to > from && to <= 1)) throw new InvalidArgumentError(`'${value}' is not from:to with 0 ≤ from < to ≤ 1 (e.g. 0.1:0.15), or none`);
  return { from, to };
}

function registerCleanGate(train: Command): void {
  const d = CLEAN_GATE_DEFAULTS;
  train
    .command('clean-gate')
    .description("fit the clean gate: how much of the input SW keeps, from the estimator's per-crop outputs and the dark channel (writes clean-gate.json into --model)")
    .requiredOption('--model <dir>', 'model folder (backbone, adapters, estimator): it makes the samples and receives clean-gate.json')
    .option('--images <dir...>', `clean photos to synthesise from; the held-out split is never read (default: ${defaultImagesDir()}, development only)`)
    .option('--crop <n>', "side of the part of each sample that is restored and scored", integer('--crop', 16), d.crop)
    .option('--context <n>', 'the most pixels per side of the region around it that the estimator reads (a photo\'s estimator crops spread over it), or 0: the crop alone', integer('--context', 0), d.context)
    .option('--clean-repeats <n>', 'clean samples per image (beside one per single degradation and mixed pair)', integer('--clean-repeats', 0), d.cleanRepeats)
    .option('--hidden <n>', "units of the gate's hidden layer", integer('--hidden', 1), d.hidden)
    .option('--steps <n>', 'full-batch Adam steps', integer('--steps', 1), d.steps)
    .option('--lr <x>', 'Adam learning rate', positive('--lr'), d.lr)
    .option('--cap <dB>', 'the PSNR a sample can reach at most in the objective', positive('--cap'), d.capDb)
    .option('--clean-weight <w>', 'weight of the clean samples in the objective (the others weigh 1)', positive('--clean-weight'), d.cleanWeight)
    .option('--harm-weight <w>', 'how many times a decibel lost against plain SW counts in the objective, against one gained', atLeastOne('--harm-weight'), d.harmWeight)
    .addOption(new Option('--statistics <names>', `crop statistics the gate reads beside the estimator's outputs, comma-separated, or none (of: ${OPTIONAL_STATISTICS.join(', ')})`).argParser(statisticsList).default(d.statistics, d.statistics.join(',') || 'none'))
    .addOption(new Option('--haze-veto <from:to>', "scale the gate's share by 1 − the haze veto: 0 at a dark-channel level (10th percentile) of from, all of it at to; or none").argParser(vetoRange).default(d.hazeVeto ?? false, d.hazeVeto ? `${d.hazeVeto.from}:${d.hazeVeto.to}` : 'none'))
    .addOption(new Option('--veto-level <level>', "the dark-channel level the haze veto reads: dark (its 10th percentile) or dark01 (its 1st)").choices([...VETO_LEVELS]).default(d.vetoLevel))
    .addOption(new Option('--veto-fit <on|off>', "fit the share the gate ships (the MLP's times what the haze veto leaves) rather than the MLP's alone").choices(['on', 'off']).default(d.vetoInFit ? 'on' : 'off'))
    .addOption(new Option('--namer <on|off>', "also fit the namer: the p(clean) that names a photo clean, apart from the share kept").choices(['on', 'off']).default(d.namer ? 'on' : 'off'))
    .addOption(new Option('--namer-keep <from:to>', "with the namer: raise the keep share to 0 at a p(clean) of from, all of the input at to, where that is more; or none").argParser(vetoRange).default(d.namerKeep ?? false, d.namerKeep ? `${d.namerKeep.from}:${d.namerKeep.to}` : 'none'))
    .option('--seed <n>', 'seed of the crops, the degradations and the initial weights', integer('--seed', 0), d.seed)
    .option('--samples <file>', 'keep the samples in this JSON file: made and written on the first run, read on later ones (e.g. to refit with another --cap)')
    .option('--limit <n>', 'use only the first n training images', integer('--limit', 1))
    .option('--threads <n>', 'ONNX Runtime threads', integer('--threads', 1), DEFAULT_THREADS)
    .addHelpText('after', '\nRun it after the estimator (a retrained estimator needs a refitted gate). Turn the gate on for SW with\n  abair model set-blend <dir> --keep-clean on\n\nExample:\n  $ abair train clean-gate --model models/mine')
    .action(async (opts: { model: string; images?: string[]; samples?: string; crop: number; context: number; cleanRepeats: number; hidden: number; steps: number; lr: number; cap: number; cleanWeight: number; harmWeight: number; statistics: OptionalStatistic[]; hazeVeto: { from: number; to: number } | false; vetoLevel: VetoLevel; vetoFit: 'on' | 'off'; namer: 'on' | 'off'; namerKeep: { from: number; to: number } | false; seed: number; limit?: number; threads: number }, command: Command) => {
      // the default namer keep goes with the namer; one asked for without it is refused
      if (opts.namer !== 'on' && opts.namerKeep && command.getOptionValueSource('namerKeep') === 'cli') throw new UsageError('--namer-keep needs --namer on');
      // likewise the default veto fit goes with the veto
      if (opts.vetoFit === 'on' && !opts.hazeVeto && command.getOptionValueSource('vetoFit') === 'cli') throw new UsageError('--veto-fit on needs a --haze-veto');
      if (!opts.hazeVeto && command.getOptionValueSource('vetoLevel') === 'cli') throw new UsageError('--veto-level needs a --haze-veto');
      const { trainCleanGate } = await import('../../train/phases/clean-gate.js');
      const result = await trainCleanGate({
        model: opts.model,
        images: imagesOrDefault(opts.images),
        crop: opts.crop,
        context: opts.context,
        cleanRepeats: opts.cleanRepeats,
        hidden: opts.hidden,
        steps: opts.steps,
        lr: opts.lr,
        capDb: opts.cap,
        cleanWeight: opts.cleanWeight,
        harmWeight: opts.harmWeight,
        statistics: opts.statistics,
        hazeVeto: opts.hazeVeto ? { ...opts.hazeVeto, ...(opts.vetoLevel !== 'dark' ? { level: opts.vetoLevel } : {}) } : null,
        vetoInFit: opts.vetoFit === 'on',
        namer: opts.namer === 'on',
        namerKeep: opts.namer === 'on' ? opts.namerKeep || null : null,
        seed: opts.seed,
        threads: opts.threads,
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.samples ? { samples: opts.samples } : {}),
        command: ['abair', ...process.argv.slice(2)].join(' '),
      });
      process.stdout.write(`${result.file}\n`);
    });
}

/** Utilities on a run: export its current weights, plot its log. */
function registerRunTools(train: Command): void {
  train
    .command('export')
    .description("write a pretrain run's current weights (from its checkpoint) as backbone.safetensors, to evaluate or use it before the run ends; also a specialist run's trained from a preset (phase finetune-probe)")
    .argument('<run-dir>', 'the run folder (--out of abair train pretrain)')
    .requiredOption('-o, --output <dir>', 'model folder to write backbone.safetensors (+ .json) into')
    .addHelpText('after', '\nExample:\n  $ abair train export runs/pretrain -o models/interim && abair restore photo.jpg --weights models/interim')
    .action(async (runDir: string, opts: { output: string }) => {
      const { exportRunWeights } = await import('../../train/export.js');
      await mkdir(opts.output, { recursive: true });
      for (const file of await exportRunWeights(runDir, opts.output)) process.stdout.write(`${file}\n`);
    });
  train
    .command('plot')
    .description('plot a training log (loss, learning rate, validation PSNR) as a PNG')
    .argument('<log>', 'train-log.jsonl written by a training run')
    .requiredOption('-o, --output <png>', 'output PNG file')
    .action(async (log: string, opts: { output: string }) => {
      // T2's module; loaded lazily so training does not depend on the plotting code
      const { plotLog } = (await import(new URL('../../train/plot.js', import.meta.url).href)) as { plotLog: (logPath: string, outPng: string) => Promise<unknown> };
      await plotLog(log, opts.output);
      process.stdout.write(`${opts.output}\n`);
    });
}

export function register(program: Command): void {
  const train = program
    .command('train')
    .description('train the model: pretrain (Phase I), adapter (Phase II), estimator (Phase III), clean-gate; plot a log')
    .addHelpText('after', `\nOrder: pretrain → one adapter per degradation → estimator. See docs/training.md.\nThe shipped model's whole recipe, resumable: abair train recipe recipes/default.json\nTo add a degradation to a finished model later: abair add-degradation --help`);
  registerPretrain(train);
  registerAdapter(train);
  registerEstimator(train);
  registerCleanGate(train);
  registerRunTools(train);
  registerRecipe(train);
}
