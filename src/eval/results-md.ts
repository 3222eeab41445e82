/**
 * docs/results.md is generated from recorded JSON files (`abair eval --results-md … --json-in …`),
 * so every number in it comes from a recorded run and the document is never edited by hand. It
 * reads three kinds: eval results (`abair eval --json`), speed measurements (`npm run
 * bench:restore -- --json`) and peer comparisons (`node bench/peers/maxim.mjs --json`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { readJsonFile } from '../util/read-json.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatProvenance } from './model-info.js';
import { EVAL_FORMAT, EVAL_VERSION, type EvalReport } from './report.js';
import { renderReport } from './table.js';
import { formatReport, RESTORE_BENCH_FORMAT, type RestoreBenchRecord } from './restore-report.js';
import { checkPeerComparison, PEER_COMPARISON_FORMAT, renderPeerComparison, type PeerComparisonRecord } from './peer-comparison.js';

/** One --json-in file, by what it records. */
type ResultsInput =
  | { kind: 'eval'; file: string; report: EvalReport }
  | { kind: 'speed'; file: string; record: RestoreBenchRecord }
  | { kind: 'peer'; file: string; record: PeerComparisonRecord };

async function readJson(file: string): Promise<Record<string, unknown>> {
  const json = await readJsonFile(file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${file}: not a JSON object`);
  return json as Record<string, unknown>;
}

function checkEvalReport(file: string, json: Record<string, unknown>): EvalReport {
  if (json['version'] !== EVAL_VERSION) throw new UserError(`${file}: unsupported eval result version ${String(json['version'])} (this abair reads ${EVAL_VERSION})`);
  return json as unknown as EvalReport;
}

export async function readEvalReport(file: string): Promise<EvalReport> {
  const json = await readJson(file);
  if (json['format'] !== EVAL_FORMAT) throw new UserError(`${file}: not an abair eval result (write one with abair eval --json)`);
  return checkEvalReport(file, json);
}

/** Reads one --json-in file of any of the three kinds; anything else is refused with its name. */
// @testSeam: tested directly (results-md.test.ts)
export async function readResultsInput(file: string): Promise<ResultsInput> {
  const json = await readJson(file);
  switch (json['format']) {
    case EVAL_FORMAT:
      return { kind: 'eval', file, report: checkEvalReport(file, json) };
    case RESTORE_BENCH_FORMAT:
      if ((json['version'] !== 1 && json['version'] !== 2) || !Array.isArray(json['rows']) || typeof json['context'] !== 'object') throw new UserError(`${file}: not a usable bench:restore record (write one with npm run bench:restore -- --json <file>)`);
      return { kind: 'speed', file, record: json as unknown as RestoreBenchRecord };
    case PEER_COMPARISON_FORMAT:
      try {
        return { kind: 'peer', file, record: checkPeerComparison(json) };
      } catch (err) {
        throw new UserError(`${file}: ${(err as Error).message}`);
      }
    default:
      throw new UserError(`${file}: not an abair eval result, bench:restore record or peer comparison (its "format" is ${JSON.stringify(json['format'] ?? null)})`);
  }
}

function modelSection(report: EvalReport): string {
  const m = report.model;
  const lines = [`- model: ${m.label}`];
  if (m.weightsDir) lines.push(`- weights folder: \`${m.weightsDir}\``);
  if (typeof report.keepClean === 'boolean') lines.push(`- keep-clean: ${report.keepClean ? "on (the product default: the input's share kept by the estimated chance that nothing is wrong)" : 'off (plain SW, the paper\'s protocol)'}`);
  if (m.engine) lines.push(`- engine: ${m.engine === 'onnx' ? 'ONNX Runtime (onnxruntime-node)' : 'TensorFlow.js (wasm)'}`);
  const provenance = Object.entries(m.provenance ?? {});
  if (m.kind === 'weights' && provenance.length === 0) lines.push('- provenance: none recorded in the weights configs');
  for (const [file, record] of provenance) lines.push(`- \`${file}\` provenance (data, steps, compute): ${formatProvenance(record)}`);
  lines.push(`- run: ${report.createdAt}, abair ${report.abairVersion}, ${report.wallSeconds.toFixed(1)} s wall${report.quick ? ', --quick subset' : ''}${report.limit !== null ? `, --limit ${report.limit}` : ''}`);
  return lines.join('\n');
}

function speedSection(record: RestoreBenchRecord): string {
  return [
    '## Speed: seconds per megapixel on this machine',
    '',
    `- run: ${record.createdAt}, \`${record.command}\` (${record.version === 1 ? 'each engine × size in its own process' : 'each run in its own process, the models interleaved'}; synthetic image content, so only the timing matters)`,
    '',
    formatReport(record.rows, record.context).trimEnd(),
  ].join('\n');
}

/**
 * The whole document: eval results first (each keeps its own section: mode and model differ),
 * then speed, then peer comparisons, each in the order given.
 */
// @testSeam: tested directly (results-md.test.ts, runner.test.ts)
export function renderResultsMarkdown(all: readonly ResultsInput[], command: string): string {
  const evals = all.filter((i) => i.kind === 'eval');
  const others = all.length - evals.length;
  const parts = [
    '# Results',
    '',
    `<!-- Generated by \`${command}\`. Do not edit by hand: rerun the command. -->`,
    '',
    `Generated from ${evals.length} evaluation run(s)${others > 0 ? ` and ${others} other measurement(s)` : ''}: ${all.map((r) => `\`${path.basename(r.file)}\``).join(', ')}. ` +
      'Every number below was measured by `abair eval` or the command its section names; per-image values are in those JSON files.',
  ];
  for (const input of evals) {
    const { report } = input;
    parts.push('', `## ${report.mode === 'identity' ? 'Identity baseline' : `Mode ${report.mode.toUpperCase()}`}: ${report.model.label}`, '', modelSection(report), '', renderReport(report).trimEnd());
  }
  for (const input of all) if (input.kind === 'speed') parts.push('', speedSection(input.record));
  for (const input of all) if (input.kind === 'peer') parts.push('', renderPeerComparison(input.record));
  return parts.join('\n') + '\n';
}

export async function writeResultsMarkdown(out: string, jsonFiles: readonly string[], command: string): Promise<string> {
  if (jsonFiles.length === 0) throw new UserError('--results-md needs eval results: give them with --json-in <file...>');
  const inputs: ResultsInput[] = [];
  for (const file of jsonFiles) inputs.push(await readResultsInput(file));
  if (!inputs.some((i) => i.kind === 'eval')) throw new UserError('--results-md needs at least one abair eval result among the --json-in files');
  const text = renderResultsMarkdown(inputs, command);
  await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFileAtomic(out, text);
  return text;
}
