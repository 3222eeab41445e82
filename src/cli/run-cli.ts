/** Runs the real `abair` launcher in a child process (for end-to-end CLI tests). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../util/paths.js';

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
