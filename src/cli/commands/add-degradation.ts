/**
 * `abair add-degradation <name>`: a new degradation type for a trained model — its adapter
 * (Phase II) and the estimator grown by its class (Phase III) — from a generator module, real
 * pairs, both, or a built-in type.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { ADAPTER_DEFAULTS, ESTIMATOR_DEFAULTS } from '../../train/defaults.js';
import { UsageError } from '../../util/errors.js';
import { addThreadsOption, defaultImagesDir, fraction, integer, refuseWorkers } from './train-options.js';
import { addProgressOption, progressChoice, type ProgressChoice } from '../progress-option.js';

interface AddOptions {
  model: string;
  synthetic?: string;
  generator?: string;
  pairs?: string[];
  into?: string;
  force?: boolean;
  images?: string[];
  rank?: number;
  adapterSteps: number;
  estimatorSteps: number;
  batch: number;
  patch: number;
  estimatorBatch: number;
  estimatorPatch: number;
  mixedFraction: number;
  threads: number;
  workers?: unknown;
  seed: number;
  runs?: string;
  resume?: boolean;
  progress: ProgressChoice | false;
}

export function register(program: Command): void {
  const a = ADAPTER_DEFAULTS;
  const e = ESTIMATOR_DEFAULTS;
  const command = program
    .command('add-degradation')
    .description('teach a trained model a new degradation: train its adapter, then the estimator with its class (backbone and other adapters untouched)')
    .argument('<name>', 'name of the new degradation (its adapter file is lora-<name>.safetensors)')
    .requiredOption('--model <dir>', 'model folder (backbone, adapters, estimator) to extend')
    .option('--generator <module>', 'your own type: an ES module (.mjs) whose default export is {name, severity, apply(image, rng, severity)}')
    .option('--pairs <dirs...>', 'real pairs: a folder with input/ (degraded) and target/ (clean), or <inputDir> <targetDir>; may be given with --generator')
    .option('--synthetic <type>', "a built-in type, e.g. 'jpeg' or 'snow'")
    .option('--into <dir>', 'write the extended model to this new folder instead of replacing --model')
    .option('--images <dir...>', `clean photos for the generator and the estimator (default: ${defaultImagesDir()}, development only)`)
    .option('--rank <r>', `LoRA rank (default: the rank most of the model's adapters have, ${a.rank} if it has none)`, integer('--rank', 1))
    .option('--adapter-steps <n>', 'Phase II steps', integer('--adapter-steps', 1), a.steps)
    .option('--estimator-steps <n>', 'Phase III steps', integer('--estimator-steps', 1), e.steps)
    .option('--batch <n>', 'adapter patches per step', integer('--batch', 1), a.batch)
    .option('--patch <px>', 'adapter patch side', integer('--patch', 8), a.patch)
    .option('--estimator-batch <n>', 'estimator patches per step', integer('--estimator-batch', 1), e.batch)
    .option('--estimator-patch <px>', 'estimator patch side', integer('--estimator-patch', 8), e.patch)
    .option('--mixed-fraction <f>', 'estimator samples with two stacked degradations', fraction('--mixed-fraction'), e.mixedFraction)
    .option('--seed <n>', 'seed', integer('--seed', 0), 1)
    .option('--runs <dir>', 'folder for the two run folders (default runs/add-<name>)')
    .option('--resume', 'continue an interrupted add-degradation (same command plus --resume)')
    .option('--force', 'start over: discard an earlier run in --runs, replace a type of this name (or an existing --into)')
    .addHelpText('after', `
Everything is checked before training starts: the name, the model, the generator (run on a test
image), the pairs (a few decoded, sizes matched). The model folder is replaced as a whole at the
end (or --into is written), never left half updated; it records the new type's source (generator
digest, pairs digest), steps and CPU time in degradations.json (shown by abair model info).
A generator's samples come from --images; pairs' inputs are the estimator's samples of the type,
their targets clean ones. See docs/add-degradation.md.

Examples:
  $ abair add-degradation vignette --model models/mine --generator examples/vignette.mjs --images photos/
  $ abair add-degradation moire --model models/mine --pairs scans/ --into models/mine-moire
  $ abair add-degradation jpeg --model models/mine --synthetic jpeg --images photos/`)
    .action(async (name: string, o: AddOptions) => {
      if (o.pairs && o.pairs.length > 2) throw new UsageError('--pairs takes one folder (with input/ and target/) or two: <inputDir> <targetDir>');
      if (o.patch % 8 !== 0 || o.estimatorPatch % 8 !== 0) throw new UsageError('patch sizes must be multiples of 8');
      let images = o.images ?? [];
      if (images.length === 0) {
        images = [defaultImagesDir()];
        process.stderr.write(`--images not given: using the development default ${images[0]}\n`);
      }
      const command = ['abair', ...process.argv.slice(2)].join(' ');
      refuseWorkers(o);
      const shared = { threads: o.threads, seed: o.seed, command, progress: progressChoice(o.progress), checkpointEvery: 50, valEvery: 100 };
      const pairs = o.pairs ? (o.pairs.length === 1 ? o.pairs[0]! : ([o.pairs[0]!, o.pairs[1]!] as const)) : undefined;
      // the training modules load only when this command runs, so `abair --help` stays quick
      const { addDegradation } = await import('../../train/phases/add-degradation.js');
      const result = await addDegradation({
        name,
        model: o.model,
        ...(o.into ? { into: o.into } : {}),
        runs: o.runs ?? path.join('runs', `add-${name}`),
        resume: Boolean(o.resume),
        force: Boolean(o.force),
        ...(o.synthetic ? { synthetic: o.synthetic } : {}),
        ...(o.generator ? { generator: o.generator } : {}),
        ...(pairs ? { pairs } : {}),
        adapter: {
          ...shared,
          steps: o.adapterSteps, batch: o.batch, patch: o.patch, lr: a.lr, warmup: Math.min(a.warmup, o.adapterSteps - 1), valCount: a.valCount,
          images, ...(o.rank !== undefined ? { rank: o.rank } : {}), loss: 'l1',
        },
        estimator: {
          ...shared,
          steps: o.estimatorSteps, batch: o.estimatorBatch, patch: o.estimatorPatch, lr: e.lr, warmup: Math.min(e.warmup, o.estimatorSteps - 1), valCount: e.valCount,
          images, mixedFraction: o.mixedFraction,
        },
      });
      for (const file of result.outputs) process.stdout.write(`${file}\n`);
    });
  addThreadsOption(command);
  addProgressOption(command);
}
