/** `abair add-degradation <name>`: a new adapter (Phase II) + the estimator grown by one class (Phase III). */
import path from 'node:path';
import { Command, Option } from 'commander';
import { ADAPTER_DEFAULTS, DEFAULT_WORKERS, ESTIMATOR_DEFAULTS } from '../../train/defaults.js';
import { UsageError } from '../../util/errors.js';
import { defaultImagesDir, fraction, integer } from './train-options.js';

interface AddOptions {
  model: string;
  synthetic?: string;
  pairs?: string[];
  images?: string[];
  rank?: number;
  adapterSteps: number;
  estimatorSteps: number;
  batch: number;
  patch: number;
  estimatorBatch: number;
  estimatorPatch: number;
  mixedFraction: number;
  workers: number;
  seed: number;
  runs?: string;
  resume?: boolean;
  progress: 'auto' | 'lines' | 'silent';
}

export function register(program: Command): void {
  const a = ADAPTER_DEFAULTS;
  const e = ESTIMATOR_DEFAULTS;
  program
    .command('add-degradation')
    .description('teach a trained model a new degradation: train its adapter, then retrain the estimator (backbone and other adapters untouched)')
    .argument('<name>', 'name of the new degradation (its adapter file is lora-<name>.safetensors)')
    .requiredOption('--model <dir>', 'model folder (backbone, adapters, estimator); receives the new files')
    .option('--synthetic <spec>', "synthesise the degradation on clean photos, e.g. 'jpeg' or 'snow'")
    .option('--pairs <dirs...>', 'aligned pairs instead: <inputDir> <targetDir>')
    .option('--images <dir...>', `clean photos (default: ${defaultImagesDir()}, development only)`)
    .option('--rank <r>', `LoRA rank (default: the rank most of the model's adapters have, ${a.rank} if it has none)`, integer('--rank', 1))
    .option('--adapter-steps <n>', 'Phase II steps', integer('--adapter-steps', 1), a.steps)
    .option('--estimator-steps <n>', 'Phase III steps', integer('--estimator-steps', 1), e.steps)
    .option('--batch <n>', 'adapter patches per step', integer('--batch', 1), a.batch)
    .option('--patch <px>', 'adapter patch side', integer('--patch', 8), a.patch)
    .option('--estimator-batch <n>', 'estimator patches per step', integer('--estimator-batch', 1), e.batch)
    .option('--estimator-patch <px>', 'estimator patch side', integer('--estimator-patch', 8), e.patch)
    .option('--mixed-fraction <f>', 'estimator samples with two stacked degradations', fraction('--mixed-fraction'), e.mixedFraction)
    .option('--workers <n>', 'worker threads', integer('--workers', 1), DEFAULT_WORKERS)
    .option('--seed <n>', 'seed', integer('--seed', 0), 1)
    .option('--runs <dir>', 'folder for the two run folders (default runs/add-<name>)')
    .option('--resume', 'continue an interrupted add-degradation')
    .addOption(new Option('--progress <mode>', 'progress display on stderr').choices(['auto', 'lines', 'silent']).default('auto'))
    .addHelpText('after', `
The new degradation's estimator class must be a degradation type abair can synthesise (its
training data is synthetic). The old estimator's weights are kept and fine-tuned with one more
output; the backbone and earlier adapters are only read.

Example:
  $ abair add-degradation jpeg --model models/mine --synthetic jpeg`)
    .action(async (name: string, o: AddOptions) => {
      if (o.pairs && o.pairs.length !== 2) throw new UsageError('--pairs needs exactly two folders: <inputDir> <targetDir>');
      if (!o.synthetic === !o.pairs) throw new UsageError('give exactly one of --synthetic <spec> and --pairs <inputDir> <targetDir>');
      if (o.patch % 8 !== 0 || o.estimatorPatch % 8 !== 0) throw new UsageError('patch sizes must be multiples of 8');
      let images = o.images ?? [];
      if (images.length === 0) {
        images = [defaultImagesDir()];
        process.stderr.write(`--images not given: using the development default ${images[0]}\n`);
      }
      const command = ['abair', ...process.argv.slice(2)].join(' ');
      const shared = { workers: o.workers, seed: o.seed, command, progress: o.progress, checkpointEvery: 50, valEvery: 100 };
      // Training runs on tfjs: loaded only when this command runs (see train.ts).
      const { addDegradation } = await import('../../train/phases/add-degradation.js');
      const result = await addDegradation({
        name,
        model: o.model,
        runs: o.runs ?? path.join('runs', `add-${name}`),
        resume: Boolean(o.resume),
        adapter: {
          ...shared,
          steps: o.adapterSteps, batch: o.batch, patch: o.patch, lr: a.lr, warmup: Math.min(a.warmup, o.adapterSteps - 1), valCount: a.valCount,
          ...(o.synthetic ? { synthetic: o.synthetic } : {}),
          ...(o.pairs ? { pairs: [o.pairs[0]!, o.pairs[1]!] as [string, string] } : {}),
          images, ...(o.rank !== undefined ? { rank: o.rank } : {}), loss: 'l1',
        },
        estimator: {
          ...shared,
          steps: o.estimatorSteps, batch: o.estimatorBatch, patch: o.estimatorPatch, lr: e.lr, warmup: Math.min(e.warmup, o.estimatorSteps - 1), valCount: e.valCount,
          images, mixedFraction: o.mixedFraction,
        },
      });
      for (const file of [...result.adapter.outputs, ...(result.estimator?.outputs ?? [])]) process.stdout.write(`${file}\n`);
    });
}
