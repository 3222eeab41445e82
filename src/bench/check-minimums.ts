/**
 * Checks a candidate model's recorded evaluations against the minimums of a new default model
 * (./minimums.ts); reads `abair eval --json` files, runs nothing itself.
 *
 *   npm run build && node dist/bench/check-minimums.js --candidate <sw-all.json>
 *     [--candidate-oh <oh-mixed.json>] [--baseline docs/eval/model-sw-all.json]
 *     [--speed <restore-bench.json>] [--json out.json]
 *
 * --candidate: SW (default settings) over all suites, full (not --quick); --candidate-oh: OH on
 * the mixed suite; --baseline: the shipped model's SW over the same suites; --speed: a
 * `bench:restore --weights preset:tiny,<candidate> --json` record (reference first).
 * Exit 0 when every minimum that could be checked holds, 1 otherwise, 2 on bad input.
 */
import { writeFileSync } from 'node:fs';
import { readEvalReport } from '../eval/results-md.js';
import type { RestoreBenchRecord } from '../eval/restore-report.js';
import { readJsonFile } from '../util/read-json.js';
import { UsageError, UserError } from '../util/errors.js';
import { option } from './args.js';
import { checkMinimums, formatChecks } from './minimums.js';

async function main(): Promise<void> {
  const candidateFile = option('--candidate');
  if (!candidateFile) throw new UsageError('give --candidate <sw-all.json> (abair eval --json of the candidate model)');
  const candidate = await readEvalReport(candidateFile);
  if (candidate.quick) throw new UserError(`${candidateFile}: a --quick evaluation; the minimums are on full suites`);
  const baselineFile = option('--baseline') ?? 'docs/eval/model-sw-all.json';
  const baseline = await readEvalReport(baselineFile);
  const ohFile = option('--candidate-oh');
  const oh = ohFile ? await readEvalReport(ohFile) : null;
  const speedFile = option('--speed');
  const speed = speedFile ? ((await readJsonFile(speedFile)) as RestoreBenchRecord) : null;
  const checks = checkMinimums(candidate, baseline, oh, speed);
  process.stdout.write(`candidate: ${candidate.model.label} (${candidateFile}, mode ${candidate.mode}); baseline: ${baselineFile}\n\n${formatChecks(checks)}`);
  const jsonOut = option('--json');
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ format: 'abair-minimums', version: 1, candidate: candidateFile, baseline: baselineFile, checks }, null, 1));
  process.exitCode = checks.some((c) => c.pass === false) ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`check-minimums: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
