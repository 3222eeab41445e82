/**
 * `abair` command line. Each command lives in its own module under src/cli/commands/ and registers
 * itself here. Conventions: exit 2 on bad usage, 1 on failure with a one-line message, stack
 * traces only with --debug.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { installPipeGuard, pipeClosed } from './pipe-guard.js';
import { register as registerInfo } from './commands/info.js';
import { register as registerMetrics } from './commands/metrics.js';
import { register as registerDegrade } from './commands/degrade.js';
import { register as registerModel } from './commands/model.js';
import { register as registerRestore } from './commands/restore.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerTrain } from './commands/train.js';
import { register as registerAddDegradation } from './commands/add-degradation.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('abair')
    .description('Blind all-in-one image restoration (ABAIR) in TypeScript')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // One module per command under ./commands; each adds itself to the program.
  for (const register of [registerInfo, registerMetrics, registerDegrade, registerModel, registerRestore, registerEval, registerTrain, registerAddDegradation]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  installPipeGuard();
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // the reader went away (e.g. `| head -1`): the command stopped on purpose, there is no one to tell
    if (pipeClosed()) {
      process.exitCode = 0;
      return;
    }
    if (err instanceof CommanderError) {
      // --help / --version exit with code 0 through this path; usage errors get 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (debug) console.error(err);
    else console.error(`abair: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof UserError ? err.exitCode : 1;
  }
}
