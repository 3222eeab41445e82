import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADAPTER_DEFAULTS, CLEAN_GATE_DEFAULTS, DEFAULT_THREADS, ESTIMATOR_DEFAULTS, PRETRAIN_DEFAULTS } from './defaults.js';
import { allStages, checkRecipe, flagArgs, planTrainStage, readRecipe, type Recipe, type RecipeStage } from './recipe.js';
import { checkpointPath } from './checkpoint.js';
import { runRecipe, type CommandRunner } from '../cli/commands/train-recipe.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-recipe-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

/** defaults.ts per command, by flag name, plus the two run flags every phase shares. */
function defaultsFor(run: string): Record<string, string | number> {
  if (run === 'train clean-gate') {
    const { capDb, cleanRepeats, cleanWeight, harmWeight, statistics, hazeVeto, vetoLevel, vetoInFit, namer, namerKeep, ...rest } = CLEAN_GATE_DEFAULTS;
    return { ...rest, 'veto-fit': vetoInFit ? 'on' : 'off', namer: namer ? 'on' : 'off', cap: capDb, 'clean-repeats': cleanRepeats, 'clean-weight': cleanWeight, 'harm-weight': harmWeight, statistics: statistics.join(',') || 'none', 'haze-veto': hazeVeto ? `${hazeVeto.from}:${hazeVeto.to}` : 'none', 'veto-level': vetoLevel, 'namer-keep': namerKeep ? `${namerKeep.from}:${namerKeep.to}` : 'none', threads: DEFAULT_THREADS };
  }
  const d: Record<string, unknown> = { ...(run === 'train pretrain' ? PRETRAIN_DEFAULTS : run === 'train adapter' ? ADAPTER_DEFAULTS : ESTIMATOR_DEFAULTS) };
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return { ...Object.fromEntries(Object.entries(d).map(([k, v]) => [kebab(k), v as string | number])), threads: DEFAULT_THREADS, seed: 1 };
}

/** `--flag value` pairs of a recorded command line (bare flags as true). */
function parseCommand(command: string): Map<string, string | true> {
  const words = command.split(/\s+/);
  const flags = new Map<string, string | true>();
  for (let i = 0; i < words.length; i++) {
    if (!words[i]!.startsWith('--')) continue;
    const next = words[i + 1];
    flags.set(words[i]!.slice(2), next === undefined || next.startsWith('--') ? true : (i++, next));
  }
  return flags;
}

const same = (a: unknown, b: unknown) => (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) ? Number(a) === Number(b) : String(a) === String(b));

test('recipes/default.json with the defaults of defaults.ts is what every shipped weight file records', async () => {
  const recipe = await readRecipe(path.join(repo, 'recipes', 'default.json'));
  const stages = allStages(recipe).filter((s) => s.produces);
  const sidecars = (await fs.readdir(path.join(repo, 'weights', 'default'))).filter((f) => f.endsWith('.json'));
  assert.ok(sidecars.length >= 10);
  for (const sidecar of sidecars) {
    // clean-gate.json is its own file (no tensors); every other .json is a safetensors file's sidecar
    const weightFile = sidecar === 'clean-gate.json' ? sidecar : sidecar.replace(/\.json$/, '.safetensors');
    const candidates = stages.filter((s) => path.basename(s.produces!) === weightFile);
    const stage = candidates.find((s) => path.dirname(s.produces!) === recipe.model) ?? candidates[0];
    assert.ok(stage, `no recipe stage produces ${weightFile}`);
    const provenance = (JSON.parse(await fs.readFile(path.join(repo, 'weights', 'default', sidecar), 'utf8')) as { provenance: Record<string, unknown> }).provenance;
    const expanded: Record<string, unknown> = { ...defaultsFor(stage.run), ...stage.flags, steps: stage.steps!.at(-1) };
    const at = `${sidecar} (stage ${stage.name})`;
    assert.equal(provenance['steps'], expanded['steps'], `${at}: steps`);
    assert.equal(provenance['batch'], expanded['batch'], `${at}: batch`);
    // the shipped files were trained by the earlier tfjs engine, whose --workers N (worker
    // replicas, one core each) the recipe now gives as --threads N of the ONNX Runtime engine
    assert.equal(provenance['workers'] ?? provenance['threads'], expanded['threads'], `${at}: workers (now threads)`);
    assert.equal(provenance['seed'], expanded['seed'], `${at}: seed`);
    // every hyper-parameter the recorded command gave (folders and run controls aside)
    for (const [recorded, value] of parseCommand(String(provenance['command']))) {
      const flag = recorded === 'workers' ? 'threads' : recorded;
      if (['out', 'into', 'model', 'backbone', 'from', 'progress', 'resume', 'reschedule', 'images', 'samples'].includes(flag)) continue;
      assert.ok(flag in expanded, `${at}: --${flag} ${String(value)} was given, the recipe and the defaults say nothing of it`);
      assert.ok(same(expanded[flag], value), `${at}: --${flag} was ${String(value)}, the recipe gives ${String(expanded[flag])}`);
    }
  }
});

test('the recipe gives only flags that differ from defaults.ts, and Phase I needs none', async () => {
  const recipe = await readRecipe(path.join(repo, 'recipes', 'default.json'));
  for (const stage of allStages(recipe).filter((s) => s.run.startsWith('train '))) {
    const defaults = defaultsFor(stage.run);
    for (const [flag, value] of Object.entries(stage.flags ?? {})) {
      if (flag in defaults) assert.ok(!same(defaults[flag], value), `stage ${stage.name}: --${flag} ${String(value)} is the default; leave it out`);
    }
    if (stage.run === 'train pretrain') {
      assert.deepEqual(stage.flags ?? {}, {}, 'abair train pretrain with no flags is the shipped Phase I');
      assert.deepEqual(stage.steps, [PRETRAIN_DEFAULTS.steps]);
    }
  }
});

test('a recipe is refused with the reason: absolute folders, unknown commands, steps that do not rise', () => {
  const base = { format: 'abair-recipe', version: 1, name: 't', description: '', model: 'model' };
  const stage = { name: 'a', run: 'train adapter', out: 'a', steps: [10], produces: 'model/lora-a.safetensors', flags: { name: 'a' } };
  assert.doesNotThrow(() => checkRecipe({ ...base, stages: [stage] }));
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, out: '/abs/a' }] }), /must be relative to the runs folder/);
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, flags: { into: '../x' } }] }), /must be relative/);
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, run: 'train everything' }] }), /unknown "run"/);
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, steps: [10, 10] }] }), /rising positive integers/);
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, flags: { steps: 5 } }] }), /set by the recipe runner/);
  assert.throws(() => checkRecipe({ ...base, stages: [stage, stage] }), /a second stage named 'a'/);
  assert.throws(() => checkRecipe({ ...base, version: 2, stages: [stage] }), /unsupported recipe version/);
});

async function weightFile(file: string, steps: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'weights');
  await fs.writeFile(file.replace(/\.safetensors$/, '.json'), JSON.stringify({ provenance: { steps } }));
}

test('planning a stage from the files: start, resume, continue with --reschedule, done; a continuation without its checkpoint is refused', async () => {
  const root = path.join(dir, 'plan');
  const stage: RecipeStage = { name: 'noise', run: 'train adapter', out: 'run-noise', steps: [10, 20, 30], produces: 'model/lora-noise.safetensors', flags: { name: 'noise', into: 'model' } };
  const plan = async () => (await planTrainStage(stage, { root })).map((c) => `${c.action} ${c.target} ${c.argv.filter((a) => ['--resume', '--reschedule'].includes(a)).join(' ')}`.trim());
  assert.deepEqual(await plan(), ['start 10', 'continue 20 --resume --reschedule', 'continue 30 --resume --reschedule']);
  const [first] = await planTrainStage(stage, { root, images: ['photos'] });
  assert.deepEqual(first!.argv.slice(0, 8), ['train', 'adapter', '--name', 'noise', '--into', path.join(root, 'model'), '--images', 'photos']);
  await fs.mkdir(path.join(root, 'run-noise'), { recursive: true });
  await fs.writeFile(checkpointPath(path.join(root, 'run-noise')), 'ckpt');
  assert.deepEqual((await plan())[0], 'resume 10 --resume', 'interrupted before its first target: resumed, same schedule');
  await weightFile(path.join(root, 'model', 'lora-noise.safetensors'), 20);
  assert.deepEqual(await plan(), ['continue 30 --resume --reschedule']);
  await weightFile(path.join(root, 'model', 'lora-noise.safetensors'), 30);
  assert.deepEqual(await plan(), []);
  await weightFile(path.join(root, 'model', 'lora-noise.safetensors'), 10);
  await fs.rm(checkpointPath(path.join(root, 'run-noise')));
  await assert.rejects(planTrainStage(stage, { root }), /records 10 steps, but run-noise holds no checkpoint/);
});

test('a clean-gate stage: its run folder keeps the samples, it is done when clean-gate.json records its steps', async () => {
  const root = path.join(dir, 'plan-gate');
  const base = { format: 'abair-recipe', version: 1, name: 't', description: '', model: 'model' };
  const stage: RecipeStage = { name: 'gate', run: 'train clean-gate', out: 'clean-gate', steps: [3000], produces: 'model/clean-gate.json', flags: { model: 'model', cap: 45 } };
  assert.doesNotThrow(() => checkRecipe({ ...base, stages: [stage] }));
  assert.throws(() => checkRecipe({ ...base, stages: [{ ...stage, produces: 'model/gate.safetensors' }] }), /"produces" names the clean-gate\.json file/);
  const [first, ...rest] = await planTrainStage(stage, { root });
  assert.deepEqual(rest, []);
  assert.deepEqual(first!.argv, ['train', 'clean-gate', '--model', path.join(root, 'model'), '--cap', '45', '--samples', path.join(root, 'clean-gate', 'samples.json'), '--steps', '3000']);
  await fs.mkdir(path.join(root, 'model'), { recursive: true });
  await fs.writeFile(path.join(root, 'model', 'clean-gate.json'), JSON.stringify({ provenance: { steps: 3000 } }));
  assert.deepEqual(await planTrainStage(stage, { root }), []);
});

test('running a recipe: skips what is done, resumes an interrupted stage, copies, stops where a command stops early', async () => {
  const root = path.join(dir, 'run');
  const recipe: Recipe = {
    format: 'abair-recipe', version: 1, name: 't', description: '', model: 'model',
    stages: [
      { name: 'pretrain', run: 'train pretrain', out: 'pre', steps: [5], produces: 'pre/backbone.safetensors' },
      { name: 'model', run: 'copy', from: 'pre', to: 'model', files: ['backbone.safetensors', 'backbone.json'] },
      { name: 'adapters', parallel: 2, stages: [
        { name: 'a', run: 'train adapter', out: 'run-a', steps: [3, 6], produces: 'model/lora-a.safetensors', flags: { name: 'a', into: 'model' } },
        { name: 'b', run: 'train adapter', out: 'run-b', steps: [3], produces: 'model/lora-b.safetensors', flags: { name: 'b', into: 'model' } },
      ] },
      { name: 'blend', run: 'model set-blend', args: ['model'], flags: { 'sw-exponent': 2 } },
    ],
  };
  const file = path.join(dir, 'recipe.json');
  await fs.writeFile(file, JSON.stringify(recipe));

  // A stand-in for abair: a training command writes its checkpoint, then (unless told to stop
  // early) its weight file with the steps reached, where the real commands write theirs.
  const calls: string[] = [];
  let interruptAt: string | null = null;
  const run: CommandRunner = async (argv, log) => {
    const flag = (name: string) => argv[argv.indexOf(`--${name}`) + 1]!;
    calls.push(`${argv.slice(0, 2).join(' ')}${argv.includes('--name') ? ` ${flag('name')}` : ''}${argv.includes('--steps') ? ` ${flag('steps')}` : ''}${argv.includes('--resume') ? ' resume' : ''}${argv.includes('--reschedule') ? ' reschedule' : ''}${log ? ' (log)' : ''}`);
    if (argv[0] !== 'train') return 0;
    const out = flag('out');
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(checkpointPath(out), 'ckpt');
    const name = argv[1] === 'pretrain' ? 'backbone' : `lora-${flag('name')}`;
    if (interruptAt === `${name} ${flag('steps')}`) return 0; // Ctrl-C: checkpoint saved, exit 0
    await weightFile(path.join(argv.includes('--into') ? flag('into') : out, `${name}.safetensors`), Number(flag('steps')));
    return 0;
  };
  const say = () => undefined;

  interruptAt = 'lora-a 6';
  assert.equal(await runRecipe(file, { runs: root }, { run, say }), false, 'the interrupted stage stops the recipe');
  assert.ok(existsSync(path.join(root, 'model', 'backbone.safetensors')), 'copy stage');
  assert.ok(!calls.some((c) => c.startsWith('model set-blend')), 'nothing after the interrupted group');
  assert.ok(calls.includes('train adapter a 6 resume reschedule (log)'));

  calls.length = 0;
  interruptAt = null;
  assert.equal(await runRecipe(file, { runs: root }, { run, say }), true);
  assert.deepEqual(calls, ['train adapter a 6 resume reschedule (log)', 'model set-blend'], 'finished stages skipped, the interrupted one continued');

  calls.length = 0;
  assert.equal(await runRecipe(file, { runs: root, parallel: 1 }, { run, say }), true);
  assert.deepEqual(calls, ['model set-blend'], 'all done: only the idempotent command runs');

  const lines: string[] = [];
  await runRecipe(file, { runs: root, dryRun: true }, { run, say: (l) => lines.push(l) });
  assert.ok(lines.some((l) => /^a: done/.test(l)) && lines.some((l) => /^blend: abair model set-blend .*--sw-exponent 2/.test(l)));
  assert.deepEqual(calls, ['model set-blend'], '--dry-run runs nothing');

  const failing: CommandRunner = async () => 3;
  await fs.rm(path.join(root, 'pre', 'backbone.safetensors'));
  await fs.rm(checkpointPath(path.join(root, 'pre')));
  assert.equal(await runRecipe(file, { runs: root }, { run: failing, say }), false);
});

test('a recipe written for the earlier engine: its "workers" flag becomes --threads', () => {
  assert.deepEqual(flagArgs({ name: 'rain', workers: 1, resume: false }, 'runs'), ['--name', 'rain', '--threads', '1']);
});
