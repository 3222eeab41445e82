/**
 * Subcommands of `abair eval` that read recorded results instead of running the model:
 *   abair eval compare <a.json> <b.json>…  the dataset means side by side, or (--outputs) whether
 *                                          two runs restored every image byte-identically
 *   abair eval readme-table                the README's results table from docs/eval/*.json
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compareMeans, compareOutputs, type LabelledReport } from '../../eval/compare.js';
import { updateReadmeTable } from '../../eval/readme-table.js';
import { readEvalReport } from '../../eval/results-md.js';
import { UsageError, UserError } from '../../util/errors.js';

interface EvalToolsDeps {
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
}

function decimalsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 6) throw new InvalidArgumentError('--decimals takes an integer from 0 to 6.');
  return n;
}

/** "label=file.json" or "file.json" (labelled by its name without .json). */
async function readLabelled(arg: string): Promise<LabelledReport> {
  const eq = arg.indexOf('=');
  const [label, file] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [path.basename(arg, '.json'), arg];
  return { label, report: await readEvalReport(file) };
}

interface CompareCommandOptions {
  decimals?: number;
  confusion?: boolean;
  outputs?: boolean;
  datasets?: string;
}

async function runCompareCommand(files: string[], options: CompareCommandOptions, deps: EvalToolsDeps = {}): Promise<void> {
  const stdout = deps.stdout ?? process.stdout;
  if (files.length < 2) throw new UsageError('give at least two eval reports to compare (abair eval compare <a.json> <b.json>…)');
  if (options.outputs && files.length !== 2) throw new UsageError('--outputs compares exactly two reports');
  if (!options.outputs && options.datasets) throw new UsageError('--datasets is only used with --outputs');
  const reports: LabelledReport[] = [];
  for (const file of files) reports.push(await readLabelled(file));
  if (!options.outputs) {
    stdout.write(compareMeans(reports, { decimals: options.decimals, confusion: options.confusion }));
    return;
  }
  const result = compareOutputs(reports[0]!, reports[1]!, options.datasets?.split(',').filter(Boolean));
  stdout.write(result.lines.join('\n') + '\n');
  if (!result.same) throw new UserError(result.compared === 0 ? 'no image was compared' : `${result.compared - result.identical} of ${result.compared} images differ (or a dataset is missing)`);
}

interface ReadmeTableOptions {
  readme: string;
  sw: string;
  zeroShot: string;
  check?: boolean;
}

async function runReadmeTableCommand(options: ReadmeTableOptions, deps: EvalToolsDeps = {}): Promise<void> {
  const stderr = deps.stderr ?? process.stderr;
  const [sw, zeroShot] = [await readEvalReport(options.sw), await readEvalReport(options.zeroShot)];
  const upToDate = await updateReadmeTable(options.readme, sw, zeroShot, options.check);
  if (options.check && !upToDate) throw new UserError(`${options.readme}: the results table is not the one ${options.sw} and ${options.zeroShot} give (run abair eval readme-table)`);
  stderr.write(`abair: ${options.readme}: results table ${upToDate ? 'already up to date' : 'rewritten'}\n`);
}

export function registerEvalTools(evalCommand: Command): void {
  evalCommand
    .command('compare')
    .description('recorded eval reports side by side: mean PSNR per dataset (with the estimator\'s hits), or --outputs: were the restorations byte-identical')
    .argument('<reports...>', 'abair eval --json files, each optionally labelled: label=file.json')
    .option('--decimals <n>', 'decimals of the dataset means (default 2; suite means get one more)', decimalsOption)
    .option('--confusion', 'also list what the estimator picked on each dataset')
    .option('--outputs', 'compare the per-image output hashes of two reports; exit 1 unless all match')
    .option('--datasets <keys>', 'with --outputs: only these datasets, as suite/id,suite/id')
    .addHelpText('after', `
Examples:
  $ abair eval compare docs/eval/model-sw-all.json oh=docs/eval/model-oh-mixed.json --decimals 3
  $ abair eval compare --outputs docs/eval/model-5class-oracle.json docs/eval/model-oracle.json`)
    .action(async (files: string[], options: CompareCommandOptions) => {
      await runCompareCommand(files, options);
    });
  evalCommand
    .command('readme-table')
    .description('rewrite the results table of README.md (between its markers) from recorded eval reports')
    .option('--readme <file>', 'the file holding the marked block', 'README.md')
    .option('--sw <file>', 'eval report of the model in SW mode, all suites', path.join('docs', 'eval', 'model-sw-all.json'))
    .option('--zero-shot <file>', 'eval report of the 5-class reference on the unseen suite', path.join('docs', 'eval', 'model-5class-unseen-sw.json'))
    .option('--check', 'write nothing; exit 1 when the table is out of date')
    .action(async (options: ReadmeTableOptions) => {
      await runReadmeTableCommand(options);
    });
}
