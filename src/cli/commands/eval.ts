/**
 * `abair eval`: measure the model (or the identity baseline) on the benchmark suites under the
 * paper's protocol, print markdown tables, optionally write everything as JSON; and
 * `abair eval --results-md <file> --json-in <json…>`: generate the results document from such JSON.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import type { OrtRuntime } from '../../ort/runtime.js';
import { runEvaluation, type EvalProgress } from '../../eval/runner.js';
import { describeWeightsDir, IDENTITY_MODEL } from '../../eval/model-info.js';
import type { EvalMode, EvalReport, ModelInfo } from '../../eval/report.js';
import { writeResultsMarkdown } from '../../eval/results-md.js';
import { CUSTOM_SUITE, resolveSuites, SUITE_NAMES } from '../../eval/suites.js';
import { renderReport } from '../../eval/table.js';
import type { ModelRunner } from '../../restore/model-runner.js';
import { createRestorer } from '../../restore/restorer.js';
import { DEFAULT_MODEL_ENV, defaultModelDir } from '../../restore/default-model.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { sharedDataDir } from '../../util/paths.js';
import { createProgress, progressModeFrom, type Progress, type ProgressMode, type ProgressStream } from '../../util/progress.js';
import { addProgressOption, progressChoice } from '../progress-option.js';
import { UsageError } from '../../util/errors.js';
import { registerEvalTools } from './eval-tools.js';

interface EvalCommandOptions {
  suite?: string;
  weights?: string;
  mode?: string;
  limit?: number;
  quick?: boolean;
  json?: string;
  y?: boolean;
  identity?: boolean;
  data?: string;
  /** ONNX Runtime package: 'node' or 'wasm' (default: onnxruntime-node, else wasm with a note) */
  runtime?: OrtRuntime;
  tile?: number;
  /** sw: keep the input's clean share (on) or not (off, the paper's SW); default: the model's setting */
  keepClean?: 'on' | 'off';
  resultsMd?: string;
  jsonIn?: string[];
  /** auto | lines | silent; false (--no-progress) = silent */
  progress?: boolean | ProgressMode;
  /** the custom suite's pairs folder (input/, target/) and their true degradation(s), e.g. 'moire' */
  pairs?: string;
  truth?: string;
}

interface EvalCommandDeps {
  /** restore with this model runner instead of loading weights (tests) */
  runner?: ModelRunner;
  stdout?: { write(text: string): unknown };
  stderr?: ProgressStream;
  progressMode?: ProgressMode;
}

const MODES = ['oh', 'sw', 'oracle'] as const;

function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}

function commandLine(options: EvalCommandOptions): string {
  const inputs = (options.jsonIn ?? []).concat(options.suite && options.json ? [options.json] : []);
  return `abair eval --results-md ${options.resultsMd} --json-in ${inputs.join(' ')}`;
}

/**
 * The default model with the provenance of its configs (steps, compute), when it is there: the
 * shipped one, or the folder $ABAIR_WEIGHTS names instead (a report must not call that one shipped).
 */
// @testSeam: tested directly
export async function describeDefaultModel(): Promise<ModelInfo> {
  const dir = defaultModelDir();
  const override = process.env[DEFAULT_MODEL_ENV];
  const described = await describeWeightsDir(dir).catch(() => null);
  const [label, weightsDir] = override
    ? [`default model from ${DEFAULT_MODEL_ENV} (${dir})`, dir]
    : ['default model shipped with abair (weights/default)', 'weights/default'];
  return { kind: 'default', label, ...(described ? { weightsDir, provenance: described.provenance } : {}) };
}

/** Runs the command; returns the report when suites were evaluated. */
// @testSeam: tested directly
export async function runEvalCommand(options: EvalCommandOptions, deps: EvalCommandDeps = {}): Promise<EvalReport | null> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  // usage checks before any work
  // --quick alone is the smoke check of everything, the clean and probe suites included
  if (options.quick && !options.suite && !options.resultsMd) options = { ...options, suite: 'all' };
  if (!options.suite && !options.resultsMd) throw new UsageError(`give --suite <${['all', ...SUITE_NAMES].join('|')}> to evaluate, or --results-md <file> --json-in <json…> to write the results document`);
  if (options.jsonIn?.length && !options.resultsMd) throw new UsageError('--json-in is only used with --results-md');
  if (options.resultsMd && !options.suite && !options.jsonIn?.length) throw new UsageError('--results-md needs eval results: give them with --json-in <file...>');
  if (options.resultsMd && options.suite && !options.json) throw new UsageError('--results-md with --suite also needs --json <file>, so the document cites a recorded result');
  if (options.identity && options.weights) throw new UsageError('--identity measures the unrestored input: it takes no --weights');
  if (options.identity && options.mode !== undefined) throw new UsageError('--identity measures the unrestored input: it takes no --mode');
  const wantsCustom = options.suite ? resolveSuites(options.suite).includes(CUSTOM_SUITE) : false;
  if (wantsCustom && (!options.pairs || !options.truth)) throw new UsageError('--suite custom needs --pairs <dir> (with input/ and target/) and --truth <type> (the pairs\' degradation, e.g. moire, or a+b)');
  if (!wantsCustom && (options.pairs || options.truth)) throw new UsageError('--pairs and --truth belong to --suite custom');
  const truth = options.truth ? options.truth.split('+').map((t) => t.trim()).filter(Boolean) : [];
  if (wantsCustom && truth.length === 0) throw new UsageError(`--truth '${options.truth}': expected a type name, or names joined by '+'`);
  const mode = (options.mode ?? 'sw').toLowerCase();
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`unknown --mode '${options.mode}' (expected ${MODES.join(', ')})`);

  let report: EvalReport | null = null;
  if (options.suite) {
    const suites = resolveSuites(options.suite);
    const evalMode: EvalMode = options.identity ? 'identity' : (mode as EvalMode);
    let model: ModelInfo = IDENTITY_MODEL;
    if (!options.identity) {
      model = deps.runner
        ? { kind: 'injected', label: 'injected model runner' }
        : options.weights
          ? await describeWeightsDir(options.weights)
          : await describeDefaultModel();
      if (!deps.runner) model = { ...model, engine: 'onnx' };
    }
    const restorer = options.identity ? undefined : createRestorer({ runner: deps.runner, weights: options.weights, ...(options.runtime ? { runtime: options.runtime } : {}) });
    const dataRoot = options.data ?? path.join(sharedDataDir(), 'bench');
    const progressMode: ProgressMode = progressModeFrom(options.progress, deps.progressMode);
    let bar: Progress | null = null;
    const onImage = (p: EvalProgress) => {
      if (p.index === 1) {
        bar?.finish();
        bar = createProgress({ label: `${p.suite}/${p.dataset}`, total: p.total, unit: 'img', stream: stderr, mode: progressMode });
      }
      bar!.update(p.index - 1);
    };
    try {
      report = await runEvaluation({
        suites,
        dataRoot,
        mode: evalMode,
        restorer,
        model,
        space: options.y ? 'y' : 'rgb',
        limit: options.limit,
        quick: options.quick,
        restoreOptions: options.tile || options.keepClean ? { ...(options.tile ? { tileSize: options.tile } : {}), ...(options.keepClean ? { keepClean: options.keepClean === 'on' } : {}) } : undefined,
        ...(wantsCustom ? { customPairs: { dir: options.pairs!, truth } } : {}),
        onImage,
      });
    } finally {
      (bar as Progress | null)?.finish();
      restorer?.dispose();
    }
    stdout.write(renderReport(report));
    if (options.json) {
      await writeFileAtomic(options.json, JSON.stringify(report, null, 1) + '\n');
      stderr.write(`abair: wrote ${options.json}\n`);
    }
  }
  if (options.resultsMd) {
    const files = [...(options.jsonIn ?? []), ...(options.suite && options.json ? [options.json] : [])];
    await writeResultsMarkdown(options.resultsMd, files, commandLine(options));
    stderr.write(`abair: wrote ${options.resultsMd}\n`);
  }
  return report;
}

const HELP = `
Suites (dataset root: <shared data>/bench, or --data):
  denoise    CBSD68 with Gaussian noise σ = 15, 25, 50 (seeded)
  derain     Rain100H (100 real pairs), Rain100L (5-pair sample)
  dehaze     SOTS-outdoor (2-pair sample), Kodak24 with our haze (synthetic)
  unseen     LIVE1 JPEG Q20, Kodak24 4→8 bit, Kodak24 with our snow (synthetic)
  synthetic  Kodak24 with each of our 8 degradations at severity 0.5
  mixed      Kodak24 with blur+noise, blur+jpeg, haze+snow (the paper's Table 5 pairs)
  all        every suite; several may be given comma-separated
  custom     your own real pairs: --pairs <dir> (input/ and target/) --truth <type>, e.g. the
             held-out pairs of a type added with abair add-degradation (not part of all)

Protocol: PSNR/SSIM on RGB (or Y with --y) of 8-bit images: degraded inputs and restored outputs
are quantised to 8 bits (round(x·255)/255) before measuring; both images are centre-cropped to a
multiple of 16; SSIM uses an 11×11 Gaussian window (the JSON also has scikit-image's default 7×7
uniform SSIM). The degradation of each image is seeded from "<suite>:<dataset>:<image>", so every
run on every machine measures the same inputs.

Modes: sw (default) and oh as in abair restore; oracle forces the true adapter (mixed: equal weights
on the true ones; datasets whose adapter the model lacks are skipped). --identity measures the
degraded inputs themselves (output = input), the baseline every table compares against.

Examples:
  $ abair eval --suite all --quick --identity
  $ abair eval --suite denoise,derain --weights weights/ --mode oh --json oh.json
  $ abair eval --results-md docs/results.md --json-in identity.json oh.json sw.json
  $ abair eval --suite custom --pairs scans/held-out --truth moire --weights models/mine

Recorded reports: abair eval compare <a.json> <b.json>… (means side by side, or --outputs),
abair eval readme-table (the README's results table).
`;

export function register(program: Command): void {
  const evalCommand = program
    .command('eval')
    .description('evaluate restoration on the benchmark suites (PSNR/SSIM tables, estimator accuracy) or write docs/results.md')
    .option('--suite <name>', `suite(s) to run: all, ${SUITE_NAMES.join(', ')} (comma-separated)`)
    .option('--weights <dir>', 'model weights folder (default: the model shipped with abair)')
    .addOption(new Option('--mode <mode>', 'adapter choice: sw, oh, or oracle (the true adapter)').choices([...MODES]))
    .option('--limit <n>', 'at most n images per dataset (the first ones, natural order)', positiveInteger('--limit'))
    .option('--quick', 'a fixed small subset: the first 3 images of each dataset (2 of the large Kodak24 ones); alone, of every suite')
    .option('--json <file>', 'write the full results (per-image numbers, probabilities, confusion matrix) as JSON')
    .option('--y', 'measure on the Y channel (BT.601) instead of RGB')
    .option('--identity', 'no model: output = input, i.e. the degraded-input baseline')
    .option('--data <dir>', 'folder holding the bench datasets (default: <shared data>/bench)')
    .addOption(new Option('--runtime <name>', "ONNX Runtime package: node (onnxruntime-node) or wasm (onnxruntime-web's WebAssembly build); default: node, else wasm with a note").choices(['node', 'wasm']))
    .option('--tile <pixels>', 'restoration tile size (default: abair restore\'s)', positiveInteger('--tile'))
    .addOption(new Option('--keep-clean <on|off>', "sw: keep the input by the estimated chance that nothing is wrong (on), or plain SW as in the paper (off); default: the model's setting").choices(['on', 'off']))
    .option('--pairs <dir>', 'the custom suite\'s pairs: a folder with input/ (degraded) and target/ (clean)')
    .option('--truth <type>', 'the custom suite\'s true degradation (an adapter name, or names joined by +)')
    .option('--results-md <file>', 'write the results document (e.g. docs/results.md) from --json-in files (and this run\'s --json)')
    .option('--json-in <files...>', 'eval JSON files for --results-md')
    .addHelpText('after', HELP)
    .action(async (options: EvalCommandOptions) => {
      await runEvalCommand({ ...options, progress: progressChoice(options.progress) });
    });
  addProgressOption(evalCommand);
  registerEvalTools(evalCommand);
}
