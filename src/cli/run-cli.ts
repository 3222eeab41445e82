/**
 * Running the CLI in tests: the real `abair` launcher in a child process (end-to-end), and
 * `abair restore`'s runRestore in this process on a fake model runner, its output captured.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createFakeRunner } from '../restore/fake-runner.js';
import { packageRoot } from '../util/paths.js';
import { runRestore, type RestoreCommandOptions } from './batch.js';

const launcherPath = path.join(packageRoot, 'bin', 'abair.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string } = {}): CliRun {
  const result = spawnSync(process.execPath, [launcherPath, ...args], { cwd: options.cwd, encoding: 'utf8' });
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** runRestore with a fake model runner (16² tiles), capturing stdout and stderr. */
export async function runRestoreFake(inputs: string[], options: RestoreCommandOptions = {}, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const result = await runRestore(inputs, { tile: 16, overlap: 4, ...options }, {
    runner: createFakeRunner(),
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    progressMode: 'lines',
    signal,
  });
  return { ...result, stdout: out.join(''), stderr: err.join('') };
}
