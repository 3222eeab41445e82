/**
 * The restoration benchmark's report: a markdown header (machine, load, model), one table row per
 * engine × size, and the ONNX vs tfjs speed-up per size. Pure formatting, so it is tested without
 * running a model.
 */

/** The runtimes bench:restore compares. */
export type BenchEngine = 'onnx' | 'tfjs';

/** One engine × size measurement of bench:restore (one child process each). */
export interface ChildResult {
  engine: BenchEngine;
  megapixels: number;
  width: number;
  height: number;
  tiles: number;
  /** wall seconds of each timed run */
  seconds: number[];
  /** CPU seconds (user + system, all threads) of each timed run */
  cpuSeconds: number[];
  /** seconds to load the engine (ONNX: includes exporting the graphs and creating the sessions) */
  loadSeconds: number;
  /** RSS after loading the engine and the warm-up tile, before the image exists (MiB) */
  rssLoadedMiB: number;
  /** highest RSS seen between tiles during the timed runs (MiB) */
  rssDuringTilesMiB: number;
  /** process.resourceUsage().maxRSS at the end (MiB) */
  peakRssMiB: number;
}


interface FailedRow {
  engine: BenchEngine;
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
  /** what the model is, e.g. "fresh 'tiny' preset …" */
  modelLabel: string;
  /** untrained weights: the numbers say nothing about quality */
  timingOnly: boolean;
  tile: number;
  overlap: number;
  mode: string;
  runs: number;
  adaptersAs: string;
  threads: number;
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
  version: 1;
  createdAt: string;
  command: string;
  context: ReportContext;
  rows: ReportRow[];
}

const isFailed = (row: ReportRow): row is FailedRow => 'error' in row;

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
  lines.push(
    `**Setup:** tile ${ctx.tile}, overlap ${ctx.overlap}, mode ${ctx.mode}; tfjs = tfjs-wasm; ONNX = onnxruntime-node, ${ctx.threads} intra-op threads, adapters as ${ctx.adaptersAs}; ` +
      `median of up to ${ctx.runs} run(s) after a warm-up restore of one tile's size; each engine × size in its own process`,
  );
  lines.push('');
  lines.push('| engine | size (MP) | pixels | tiles | runs | s/MP (median) | run times (s) | CPU-s/MP (median) | load (s) | RSS before image | RSS during tiles (max) | peak RSS |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (isFailed(r)) {
      lines.push(`| ${r.engine} | ${r.megapixels} | failed: ${r.error.replace(/\|/g, '/')} | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${r.engine} | ${r.megapixels.toFixed(2)} | ${r.width}×${r.height} | ${r.tiles} | ${r.seconds.length} | ${secondsPerMP(r).toFixed(2)} | ` +
        `${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${cpuSecondsPerMP(r).toFixed(2)} | ${r.loadSeconds.toFixed(1)} | ` +
        `${gib(r.rssLoadedMiB)} | ${gib(r.rssDuringTilesMiB)} | ${gib(r.peakRssMiB)} |`,
    );
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

/** Sizes measured by both engines, with each engine's s/MP. */
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
