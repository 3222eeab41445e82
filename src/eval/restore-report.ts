/**
 * The restoration benchmark's report: a markdown header (machine, load, models), one table row per
 * model × size, and each model's time against the first one's per size. Pure formatting, so it is
 * tested without running a model. Records of version 1 (rows per engine, tfjs vs ONNX) still
 * format, with their speed-up table, so the results document can cite them.
 */

/** What version-1 records compared (before ONNX Runtime became the only runtime). */
type LegacyBenchEngine = 'onnx' | 'tfjs';

/** One model × size measurement of bench:restore (its runs interleaved with the other models'). */
export interface ChildResult {
  /** the model's label (version 2) */
  model?: string;
  /** the runtime (version 1 records) */
  engine?: LegacyBenchEngine;
  megapixels: number;
  width: number;
  height: number;
  tiles: number;
  /** wall seconds of each timed run */
  seconds: number[];
  /** CPU seconds (user + system, all threads) of each timed run */
  cpuSeconds: number[];
  /** seconds to load the model (exporting the graphs and creating the sessions; median over the runs' processes) */
  loadSeconds: number;
  /** RSS after loading the model and the warm-up tile, before the image exists (MiB) */
  rssLoadedMiB: number;
  /** highest RSS seen between tiles during the timed runs (MiB) */
  rssDuringTilesMiB: number;
  /** process.resourceUsage().maxRSS at the end (MiB; the highest over the runs' processes) */
  peakRssMiB: number;
}

export interface FailedRow {
  model?: string;
  engine?: LegacyBenchEngine;
  /** the size that was asked for */
  megapixels: number;
  error: string;
}

export type ReportRow = ChildResult | FailedRow;

export interface ReportContext {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  loadStart: number[];
  loadEnd: number[];
  /** what the model(s) are, e.g. "a: runs/new (…); b: shipped default model" */
  modelLabel: string;
  /** untrained weights: the numbers say nothing about quality */
  timingOnly: boolean;
  tile: number;
  overlap: number;
  mode: string;
  runs: number;
  /** version 1 only */
  adaptersAs?: string;
  threads: number;
  /** the ONNX Runtime package the children ran on (version 2) */
  ortPackage?: string;
  /** the models in order, the first the baseline of the ratios (version 2) */
  models?: string[];
}

// @testSeam: tested directly (restore.test.ts)
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** What `bench:restore --json` writes: the table's rows with their context, so docs can be generated from it. */
export const RESTORE_BENCH_FORMAT = 'abair-restore-bench';
export interface RestoreBenchRecord {
  format: typeof RESTORE_BENCH_FORMAT;
  version: 1 | 2;
  createdAt: string;
  command: string;
  context: ReportContext;
  rows: ReportRow[];
}

export const isFailed = (row: ReportRow): row is FailedRow => 'error' in row;

/** Median wall seconds per megapixel of a measured row. */
const secondsPerMP = (r: ChildResult) => median(r.seconds) / r.megapixels;
const cpuSecondsPerMP = (r: ChildResult) => median(r.cpuSeconds) / r.megapixels;

const gib = (mib: number) => `${(mib / 1024).toFixed(2)} GiB`;
const loads = (xs: number[]) => xs.map((l) => l.toFixed(2)).join(' ');
const sizeKey = (mp: number) => mp.toFixed(2);

export function formatReport(rows: readonly ReportRow[], ctx: ReportContext): string {
  const lines: string[] = [];
  lines.push(`**Model:** ${ctx.modelLabel}${ctx.timingOnly ? ' — untrained weights: timing only' : ''}`);
  lines.push('');
  lines.push(`**Machine:** ${ctx.cpuModel}, ${ctx.cores} cores, ${ctx.memoryGiB.toFixed(0)} GiB; Node ${ctx.node}; load average (1/5/15 min) at start ${loads(ctx.loadStart)}, at end ${loads(ctx.loadEnd)}`);
  lines.push('');
  if (ctx.models) {
    lines.push(
      `**Setup:** tile ${ctx.tile}, overlap ${ctx.overlap}, mode ${ctx.mode}; ${ctx.ortPackage ?? 'ONNX Runtime'}, ${ctx.threads} intra-op threads; ` +
        `median of up to ${ctx.runs} run(s), each in its own process after a warm-up restore of one tile's size, the models' runs interleaved`,
    );
  } else {
    lines.push(
      `**Setup:** tile ${ctx.tile}, overlap ${ctx.overlap}, mode ${ctx.mode}; tfjs = tfjs-wasm; ONNX = onnxruntime-node, ${ctx.threads} intra-op threads, adapters as ${ctx.adaptersAs}; ` +
        `median of up to ${ctx.runs} run(s) after a warm-up restore of one tile's size; each engine × size in its own process`,
    );
  }
  lines.push('');
  lines.push(`| ${ctx.models ? 'model' : 'engine'} | size (MP) | pixels | tiles | runs | s/MP (median) | run times (s) | CPU-s/MP (median) | load (s) | RSS before image | RSS during tiles (max) | peak RSS |`);
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (isFailed(r)) {
      lines.push(`| ${nameOf(r)} | ${r.megapixels} | failed: ${r.error.replace(/\|/g, '/')} | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${nameOf(r)} | ${r.megapixels.toFixed(2)} | ${r.width}×${r.height} | ${r.tiles} | ${r.seconds.length} | ${secondsPerMP(r).toFixed(2)} | ` +
        `${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${cpuSecondsPerMP(r).toFixed(2)} | ${r.loadSeconds.toFixed(1)} | ` +
        `${gib(r.rssLoadedMiB)} | ${gib(r.rssDuringTilesMiB)} | ${gib(r.peakRssMiB)} |`,
    );
  }
  const ratios = ctx.models ? ratioRows(rows, ctx.models) : [];
  if (ratios.length > 0) {
    lines.push('');
    lines.push(`| size (MP) | model | s/MP | × ${ctx.models![0]} (wall) | × ${ctx.models![0]} (CPU-s) |`);
    lines.push('|---|---|---|---|---|');
    for (const r of ratios) lines.push(`| ${r.size} | ${r.model} | ${r.secondsPerMP.toFixed(2)} | ${r.wall.toFixed(2)}× | ${r.cpu.toFixed(2)}× |`);
  }
  const speedups = speedupRows(rows);
  if (speedups.length > 0) {
    lines.push('');
    lines.push('| size (MP) | tfjs s/MP | ONNX s/MP | ONNX speed-up (wall) | ONNX speed-up (CPU-s) |');
    lines.push('|---|---|---|---|---|');
    for (const s of speedups) {
      lines.push(`| ${s.size} | ${s.tfjs.toFixed(2)} | ${s.onnx.toFixed(2)} | ${(s.tfjs / s.onnx).toFixed(2)}× | ${(s.tfjsCpu / s.onnxCpu).toFixed(2)}× |`);
    }
  }
  return lines.join('\n');
}

const nameOf = (r: ReportRow) => r.model ?? r.engine ?? '?';

/**
 * Per size, every model after the first against the first (the baseline): its median s/MP divided
 * by the baseline's, wall and CPU (above 1: slower than the baseline).
 */
// @testSeam: tested directly (restore.test.ts)
export function ratioRows(rows: readonly ReportRow[], models: readonly string[]): { size: string; model: string; secondsPerMP: number; wall: number; cpu: number }[] {
  const measured = rows.filter((r): r is ChildResult => !isFailed(r));
  const out = [];
  for (const base of measured.filter((r) => r.model === models[0])) {
    for (const model of models.slice(1)) {
      const other = measured.find((r) => r.model === model && sizeKey(r.megapixels) === sizeKey(base.megapixels));
      if (!other) continue;
      out.push({ size: sizeKey(base.megapixels), model, secondsPerMP: secondsPerMP(other), wall: secondsPerMP(other) / secondsPerMP(base), cpu: cpuSecondsPerMP(other) / cpuSecondsPerMP(base) });
    }
  }
  return out;
}

/** Sizes measured by both engines (version-1 records), with each engine's s/MP. */
// @testSeam: tested directly (restore.test.ts)
export function speedupRows(rows: readonly ReportRow[]): { size: string; tfjs: number; onnx: number; tfjsCpu: number; onnxCpu: number }[] {
  const measured = rows.filter((r): r is ChildResult => !isFailed(r));
  const out = [];
  for (const onnx of measured.filter((r) => r.engine === 'onnx')) {
    const tfjs = measured.find((r) => r.engine === 'tfjs' && sizeKey(r.megapixels) === sizeKey(onnx.megapixels));
    if (!tfjs) continue;
    out.push({ size: sizeKey(onnx.megapixels), tfjs: secondsPerMP(tfjs), onnx: secondsPerMP(onnx), tfjsCpu: cpuSecondsPerMP(tfjs), onnxCpu: cpuSecondsPerMP(onnx) });
  }
  return out;
}
