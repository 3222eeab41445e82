/**
 * A training recipe (recipes/*.json, run by `abair train recipe <file>`): the stages that build a
 * model, in order, each an abair command with its flags. Running a recipe again skips what is
 * finished and resumes what was interrupted, so one command carries a multi-day training through
 * interruptions:
 *
 * - a training stage is finished when the weight file it `produces` records (in its sidecar's
 *   provenance) at least the stage's last step count; a stage with several step counts trains to
 *   the first and then resumes with --reschedule to each next one (how the longer adapters and
 *   the 8-class estimator were made, so that a rerun gives the same schedule);
 * - a stage whose run folder holds a checkpoint is resumed (--resume);
 * - copy stages copy files between folders (skipping identical ones); other commands (model
 *   set-blend) are idempotent and run every time.
 *
 * Flags not given take the defaults of ./defaults.ts; folders are relative to the runs folder.
 * This module parses and plans; src/cli/commands/train-recipe.ts runs the commands.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonFile } from '../util/read-json.js';
import { UserError } from '../util/errors.js';
import { checkpointPath } from './checkpoint.js';
import { CLEAN_GATE_FILE } from '../model/clean-gate.js';

const RECIPE_FORMAT = 'abair-recipe';
const RECIPE_VERSION = 1;

/** The abair commands a stage may run ('copy' runs in-process). */
const TRAIN_COMMANDS = ['train pretrain', 'train adapter', 'train estimator', 'train clean-gate'] as const;
const OTHER_COMMANDS = ['model set-blend'] as const;
type StageCommand = (typeof TRAIN_COMMANDS)[number] | (typeof OTHER_COMMANDS)[number] | 'copy';

/** Flags whose values are folders or files, resolved against the runs folder. */
const PATH_FLAGS = new Set(['out', 'into', 'model', 'backbone', 'from', 'pairs', 'images', 'samples']);

type FlagValue = string | number | boolean;

export interface RecipeStage {
  name: string;
  run: StageCommand;
  /** run folder (training stages) */
  out?: string;
  /** step counts: train to the first, then continue (--resume --reschedule) to each next */
  steps?: number[];
  /** the weight file whose provenance says how far the stage got (training stages) */
  produces?: string;
  flags?: Record<string, FlagValue>;
  /** positional arguments (other commands), folders relative to the runs folder */
  args?: string[];
  /** copy stages */
  from?: string;
  to?: string;
  files?: string[];
}

/** Stages that may run at the same time, at most `parallel` at once. */
interface RecipeGroup {
  name: string;
  parallel: number;
  stages: RecipeStage[];
}

// @testSeam: tested directly
export interface Recipe {
  format: typeof RECIPE_FORMAT;
  version: number;
  name: string;
  description: string;
  /** the model folder the recipe builds, relative to the runs folder */
  model: string;
  stages: (RecipeStage | RecipeGroup)[];
}

export const isGroup = (s: RecipeStage | RecipeGroup): s is RecipeGroup => Array.isArray((s as RecipeGroup).stages);

/** Every stage, groups flattened, in recipe order. */
export function allStages(recipe: Recipe): RecipeStage[] {
  return recipe.stages.flatMap((s) => (isGroup(s) ? s.stages : [s]));
}

function relativePath(where: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${where}: expected a folder or file name`);
  if (path.isAbsolute(value) || value.split(/[\\/]/).includes('..')) throw new Error(`${where}: '${value}' must be relative to the runs folder (no absolute paths, no ..)`);
  return value;
}

function checkStage(s: unknown, where: string, names: Set<string>): RecipeStage {
  if (typeof s !== 'object' || s === null) throw new Error(`${where}: expected an object`);
  const stage = s as RecipeStage;
  if (typeof stage.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(stage.name)) throw new Error(`${where}: "name" must be a kebab-case word`);
  if (names.has(stage.name)) throw new Error(`${where}: a second stage named '${stage.name}'`);
  names.add(stage.name);
  const at = `stage '${stage.name}'`;
  for (const [flag, value] of Object.entries(stage.flags ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(flag)) throw new Error(`${at}: flag '${flag}' is not a kebab-case option name (without --)`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Error(`${at}: flag '${flag}' must be a string, number or boolean`);
    if (['out', 'steps', 'resume', 'reschedule', 'progress'].includes(flag)) throw new Error(`${at}: '${flag}' is set by the recipe runner; use the stage's "out" and "steps"`);
    if (PATH_FLAGS.has(flag)) relativePath(`${at}, --${flag}`, value);
  }
  if (stage.run === 'copy') {
    relativePath(`${at}, "from"`, stage.from);
    relativePath(`${at}, "to"`, stage.to);
    if (!Array.isArray(stage.files) || stage.files.length === 0) throw new Error(`${at}: a copy stage lists its "files"`);
    for (const f of stage.files) if (relativePath(`${at}, file`, f).includes('/')) throw new Error(`${at}: copy "files" are names inside "from", got '${f}'`);
  } else if ((TRAIN_COMMANDS as readonly string[]).includes(stage.run)) {
    relativePath(`${at}, "out"`, stage.out);
    relativePath(`${at}, "produces"`, stage.produces);
    const gate = stage.run === 'train clean-gate';
    if (gate ? path.basename(stage.produces!) !== CLEAN_GATE_FILE : !stage.produces!.endsWith('.safetensors')) {
      throw new Error(`${at}: "produces" names the ${gate ? CLEAN_GATE_FILE : '.safetensors weight'} file the stage writes`);
    }
    const steps = stage.steps;
    if (!Array.isArray(steps) || steps.length === 0 || !steps.every((n, i) => Number.isInteger(n) && n > 0 && (i === 0 || n > steps[i - 1]!))) {
      throw new Error(`${at}: "steps" must be a list of rising positive integers`);
    }
  } else if ((OTHER_COMMANDS as readonly string[]).includes(stage.run)) {
    for (const a of stage.args ?? []) relativePath(`${at}, argument`, a);
  } else {
    throw new Error(`${at}: unknown "run" '${String(stage.run)}' (known: ${[...TRAIN_COMMANDS, ...OTHER_COMMANDS, 'copy'].join(', ')})`);
  }
  return stage;
}

/** Checks a parsed recipe; throws an Error naming the first problem. */
// @testSeam: tested directly
export function checkRecipe(json: unknown): Recipe {
  if (typeof json !== 'object' || json === null) throw new Error('not a JSON object');
  const r = json as Recipe;
  if (r.format !== RECIPE_FORMAT) throw new Error(`not an abair recipe ("format" must be "${RECIPE_FORMAT}")`);
  if (r.version !== RECIPE_VERSION) throw new Error(`unsupported recipe version ${String(r.version)} (this abair reads ${RECIPE_VERSION})`);
  relativePath('"model"', r.model);
  if (!Array.isArray(r.stages) || r.stages.length === 0) throw new Error('"stages" must be a non-empty list');
  const names = new Set<string>();
  r.stages.forEach((s, i) => {
    if (isGroup(s)) {
      if (typeof s.name !== 'string' || names.has(s.name)) throw new Error(`stage ${i + 1}: a group needs a unique "name"`);
      names.add(s.name);
      if (!Number.isInteger(s.parallel) || s.parallel < 1) throw new Error(`group '${s.name}': "parallel" must be a positive integer`);
      s.stages.forEach((inner, j) => {
        const stage = checkStage(inner, `group '${s.name}', stage ${j + 1}`, names);
        if (!(TRAIN_COMMANDS as readonly string[]).includes(stage.run)) throw new Error(`group '${s.name}': only training stages run in parallel ('${stage.name}' is ${stage.run})`);
      });
    } else {
      checkStage(s, `stage ${i + 1}`, names);
    }
  });
  return r;
}

export async function readRecipe(file: string): Promise<Recipe> {
  const json = await readJsonFile(file);
  try {
    return checkRecipe(json);
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}`);
  }
}

/** The steps a weight file records in its sidecar's provenance (a clean gate: in its own file); 0 when it is not there. */
export async function stepsDone(weightFile: string): Promise<number> {
  if (!existsSync(weightFile)) return 0;
  try {
    const sidecar = JSON.parse(await fs.readFile(weightFile.replace(/\.safetensors$/, '.json'), 'utf8')) as { provenance?: { steps?: unknown } };
    const steps = sidecar.provenance?.steps;
    return typeof steps === 'number' ? steps : 0;
  } catch {
    return 0;
  }
}

/** `--flag value` pairs of a stage (true → bare flag, false → left out), folders resolved against `root`. */
// @testSeam: tested directly
export function flagArgs(flags: Record<string, FlagValue> | undefined, root: string): string[] {
  const argv: string[] = [];
  for (const [flag, value] of Object.entries(flags ?? {})) {
    if (value === false) continue;
    // a recipe written for the earlier tfjs engine: its worker replicas (one core each) are now
    // intra-op threads of the one ONNX Runtime process, the same share of the machine
    argv.push(flag === 'workers' ? '--threads' : `--${flag}`);
    if (value !== true) argv.push(PATH_FLAGS.has(flag) ? path.join(root, String(value)) : String(value));
  }
  return argv;
}

export interface PlannedCommand {
  stage: string;
  /** abair's arguments, e.g. ['train', 'adapter', '--name', 'rain', …] */
  argv: string[];
  /** what it does: 'start', 'resume', 'continue' (resume with a longer schedule), 'run' */
  action: 'start' | 'resume' | 'continue' | 'run';
  /** the step count this command trains to (training stages) */
  target?: number;
}

export interface PlanOptions {
  /** the runs folder the recipe's folders are relative to */
  root: string;
  /** --images for every training stage (default: the CLI's) */
  images?: string[];
}

/**
 * What is left of a training stage, from the files on disk: nothing when its weight file records
 * the last step count; else one command per step count still ahead, the first resuming when the
 * run folder holds a checkpoint. Only the first is run before planning again.
 */
export async function planTrainStage(stage: RecipeStage, o: PlanOptions): Promise<PlannedCommand[]> {
  const done = await stepsDone(path.join(o.root, stage.produces!));
  const checkpoint = existsSync(checkpointPath(path.join(o.root, stage.out!)));
  const steps = stage.steps!;
  // the clean gate has no checkpoint to resume: its run folder keeps the samples, so a rerun only refits
  const runFolder = stage.run === 'train clean-gate' ? ['--samples', path.join(o.root, stage.out!, 'samples.json')] : ['--out', path.join(o.root, stage.out!), '--progress', 'lines'];
  const base = [...stage.run.split(' '), ...flagArgs(stage.flags, o.root), ...(o.images?.length ? ['--images', ...o.images] : []), ...runFolder];
  const remaining = steps.map((target, i) => ({ target, i })).filter((s) => s.target > done);
  if (remaining.length > 0 && remaining[0]!.i > 0 && !checkpoint) {
    // a continuation must follow its run's own schedule; starting over would train another model
    throw new UserError(`stage '${stage.name}': ${stage.produces} records ${done} steps, but ${stage.out} holds no checkpoint to continue it from (remove the weight file to train the stage again)`);
  }
  const planned: PlannedCommand[] = remaining.map(({ target, i }, k) => {
    const resume = k > 0 || checkpoint;
    const continued = k > 0 || i > 0;
    const extra = continued ? ['--resume', '--reschedule'] : resume ? ['--resume'] : [];
    return { stage: stage.name, argv: [...base, '--steps', String(target), ...extra], action: continued ? 'continue' : resume ? 'resume' : 'start', target };
  });
  return planned;
}

/** The command of a non-training, non-copy stage (always run: these are idempotent). */
export function planOtherStage(stage: RecipeStage, o: PlanOptions): PlannedCommand {
  return { stage: stage.name, argv: [...stage.run.split(' '), ...(stage.args ?? []).map((a) => path.join(o.root, a)), ...flagArgs(stage.flags, o.root)], action: 'run' };
}

/** Copies a copy stage's files; returns the names copied (identical ones are skipped). */
export async function runCopyStage(stage: RecipeStage, root: string): Promise<string[]> {
  const [from, to] = [path.join(root, stage.from!), path.join(root, stage.to!)];
  await fs.mkdir(to, { recursive: true });
  const copied: string[] = [];
  for (const name of stage.files!) {
    const source = path.join(from, name);
    const target = path.join(to, name);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(source);
    } catch {
      throw new UserError(`stage '${stage.name}': ${source} is not there (did an earlier stage finish?)`);
    }
    const existing = await fs.readFile(target).catch(() => null);
    if (existing && existing.equals(bytes)) continue;
    // through a temporary name, so an interrupted copy never leaves half a weight file
    await fs.writeFile(`${target}.tmp`, bytes);
    await fs.rename(`${target}.tmp`, target);
    copied.push(name);
  }
  return copied;
}
