/**
 * `abair train recipe <file>`: run a training recipe (src/train/recipe.ts) stage by stage, each
 * training command in its own abair process. Rerun the same command after an interruption: it
 * skips finished stages and resumes the interrupted ones. Ctrl-C (or SIGTERM) is passed to the
 * running training commands, which save their checkpoints; no further stage is started.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { allStages, isGroup, planOtherStage, planTrainStage, readRecipe, runCopyStage, stepsDone, type PlannedCommand, type PlanOptions, type RecipeStage } from '../../train/recipe.js';
import { UsageError, UserError } from '../../util/errors.js';
import { integer } from './train-options.js';

/** Runs one abair command; resolves with its exit code. `log`: append its output there instead of the terminal. */
// @testSeam: recipe.test.ts runs recipes with a fake command runner
export type CommandRunner = (argv: string[], log?: string) => Promise<number>;

const BIN = fileURLToPath(new URL('../../../bin/abair.js', import.meta.url));

const children = new Set<ReturnType<typeof spawn>>();

/** The default runner: `node bin/abair.js <argv>` as a child process. */
const spawnAbair: CommandRunner = (argv, log) =>
  new Promise((resolve, reject) => {
    const out = log ? createWriteStream(log, { flags: 'a' }) : null;
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: out ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    children.add(child);
    if (out) {
      child.stdout!.pipe(out, { end: false });
      child.stderr!.pipe(out, { end: false });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      out?.end();
      resolve(code ?? (signal ? 128 : 1));
    });
  });

interface RecipeCommandOptions {
  runs: string;
  images?: string[];
  dryRun?: boolean;
  parallel?: number;
}

interface RecipeDeps {
  run?: CommandRunner;
  say?: (line: string) => void;
  /** set to stop before the next command (the CLI sets it on SIGINT/SIGTERM) */
  stop?: { requested: boolean };
}

const shown = (argv: string[]) => ['abair', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');

/**
 * Trains one stage to its end: runs its next command, plans again from the files, and so on.
 * Stops (returns false) when a command fails or ends before its target (interrupted).
 */
async function runTrainStage(stage: RecipeStage, o: PlanOptions, deps: Required<RecipeDeps>, log?: string): Promise<boolean> {
  for (;;) {
    const [next] = await planTrainStage(stage, o);
    if (!next) return true;
    if (deps.stop.requested) return false;
    deps.say(`${stage.name}: ${next.action} to step ${next.target}${log ? ` (log: ${log})` : ''}: ${shown(next.argv)}`);
    const code = await deps.run(next.argv, log);
    if (code !== 0) {
      deps.say(`${stage.name}: failed (exit ${code})${log ? `, see ${log}` : ''}`);
      return false;
    }
    const reached = await stepsDone(path.join(o.root, stage.produces!));
    if (reached < next.target!) {
      // the command saved a checkpoint and stopped (Ctrl-C): the next run of the recipe resumes it
      deps.say(`${stage.name}: stopped before step ${next.target}; run the recipe again to resume`);
      return false;
    }
  }
}

/** Runs (or, with dryRun, lists) what is left of a recipe. Returns true when every stage is done. */
// @testSeam: recipe.test.ts runs recipes with a fake command runner
export async function runRecipe(file: string, options: RecipeCommandOptions, deps: RecipeDeps = {}): Promise<boolean> {
  const recipe = await readRecipe(file);
  const d: Required<RecipeDeps> = { run: deps.run ?? spawnAbair, say: deps.say ?? ((line) => process.stderr.write(`${line}\n`)), stop: deps.stop ?? { requested: false } };
  const o: PlanOptions = { root: options.runs, ...(options.images?.length ? { images: options.images } : {}) };

  if (options.dryRun) {
    // what a run would do now, stage by stage, as if each finished before the next
    for (const stage of allStages(recipe)) {
      if (stage.run === 'copy') d.say(`${stage.name}: copy ${stage.files!.join(', ')} from ${path.join(o.root, stage.from!)} to ${path.join(o.root, stage.to!)}`);
      else if (stage.produces) {
        const left = await planTrainStage(stage, o);
        if (left.length === 0) d.say(`${stage.name}: done (${path.join(o.root, stage.produces)})`);
        for (const c of left) d.say(`${stage.name}: ${c.action} to step ${c.target}: ${shown(c.argv)}`);
      } else d.say(`${stage.name}: ${shown(planOtherStage(stage, o).argv)}`);
    }
    return false;
  }

  for (const entry of recipe.stages) {
    if (d.stop.requested) return false;
    if (isGroup(entry)) {
      const jobs = options.parallel ?? entry.parallel;
      const queue = [...entry.stages];
      let ok = true;
      // a queue of `jobs` runs: the next stage starts as soon as one ends, each logging to <out>.log
      const worker = async () => {
        for (let stage = queue.shift(); stage; stage = queue.shift()) {
          const log = jobs > 1 ? `${path.join(o.root, stage.out!)}.log` : undefined;
          if (!(await runTrainStage(stage, o, d, log))) ok = false;
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, entry.stages.length) }, worker));
      if (!ok) return false;
      continue;
    }
    if (entry.run === 'copy') {
      const copied = await runCopyStage(entry, o.root);
      d.say(`${entry.name}: ${copied.length ? `copied ${copied.join(', ')}` : 'up to date'} → ${path.join(o.root, entry.to!)}`);
    } else if (entry.produces) {
      if (!(await runTrainStage(entry, o, d))) return false;
    } else {
      const command: PlannedCommand = planOtherStage(entry, o);
      d.say(`${entry.name}: ${shown(command.argv)}`);
      const code = await d.run(command.argv);
      if (code !== 0) {
        d.say(`${entry.name}: failed (exit ${code})`);
        return false;
      }
    }
  }
  d.say(`done: ${path.join(o.root, recipe.model)}`);
  return true;
}

export function registerRecipe(train: Command): void {
  train
    .command('recipe')
    .description('run a training recipe (e.g. recipes/default.json, how the shipped model was made): skips finished stages, resumes interrupted ones')
    .argument('<file>', 'recipe JSON file')
    .option('--runs <dir>', 'folder for the run folders and models (the recipe\'s folders are relative to it)', 'runs')
    .option('--images <dir...>', 'clean photos for every training stage (default: the training commands\' default)')
    .option('--parallel <n>', 'training stages of a parallel group at the same time (default: the recipe\'s)', integer('--parallel', 1))
    .option('--dry-run', 'list what is left to do, without running anything')
    .addHelpText('after', `
Every training command runs in its own abair process with --progress lines; stages that run in
parallel write their output to <runs>/<stage out>.log. Ctrl-C stops the running commands after
their current step (they save checkpoints) and starts nothing more; run the same command again
to continue. A stage is done when its weight file records its last step count.

Examples:
  $ abair train recipe recipes/default.json --dry-run
  $ nohup abair train recipe recipes/default.json --runs runs/default >> runs/default.log 2>&1 &`)
    .action(async (file: string, options: RecipeCommandOptions) => {
      if (options.parallel !== undefined && options.dryRun) throw new UsageError('--parallel has no effect with --dry-run');
      const stop = { requested: false };
      const onSignal = (signal: NodeJS.Signals) => {
        if (!stop.requested) process.stderr.write(`\n${signal}: the running training commands save their checkpoints; no further stage starts\n`);
        stop.requested = true;
        for (const child of children) child.kill(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const done = await runRecipe(file, options, { stop });
        if (!done && !options.dryRun && !stop.requested) throw new UserError(`${file}: a stage did not finish (see above); fix it and run the recipe again`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
