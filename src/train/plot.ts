/**
 * Training curves from a JSONL training log: the loss (log-scale y, raw and smoothed) above the
 * validation PSNR (with the input's PSNR dashed as the do-nothing reference), both against step,
 * one colour per phase. Drawn as SVG by hand (no plotting dependency) and rasterised with sharp.
 *
 * Log records (one JSON object per line, written by the trainer):
 *   {"type":"meta", ...}   {"type":"step","phase","step","loss",...}   {"type":"val","phase","step","psnr","inputPsnr"}
 * Lines that do not parse (e.g. the last one while training is still writing it) are skipped.
 */
import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';

export interface StepRecord {
  phase: string;
  step: number;
  loss: number;
  /** wall seconds since the run started (summed over resumes) */
  elapsedSec?: number;
}

export interface ValRecord {
  phase: string;
  step: number;
  psnr: number;
  inputPsnr?: number;
}

export interface TrainingLog {
  meta: Record<string, unknown> | null;
  steps: StepRecord[];
  vals: ValRecord[];
  /** lines that were not valid JSON records */
  skipped: number;
}

export interface PlotOptions {
  /** PNG size in pixels (default 1000 × 720) */
  width?: number;
  height?: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseTrainingLog(text: string): TrainingLog {
  const log: TrainingLog = { meta: null, steps: [], vals: [], skipped: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      log.skipped++;
      continue;
    }
    const phase = typeof rec.phase === 'string' ? rec.phase : '';
    if (rec.type === 'meta' && log.meta === null) log.meta = rec;
    else if (rec.type === 'step' && isNum(rec.step) && isNum(rec.loss)) {
      log.steps.push({ phase, step: rec.step, loss: rec.loss, ...(isNum(rec.elapsedSec) ? { elapsedSec: rec.elapsedSec } : {}) });
    }
    else if (rec.type === 'val' && isNum(rec.step) && isNum(rec.psnr)) {
      log.vals.push({ phase, step: rec.step, psnr: rec.psnr, ...(isNum(rec.inputPsnr) ? { inputPsnr: rec.inputPsnr } : {}) });
    } else log.skipped++;
  }
  return log;
}

/** Reads the log, draws it and writes `outPng`. Refuses a missing log or one with no records. */
export async function plotLog(logPath: string, outPng: string, options: PlotOptions = {}): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(logPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${logPath}: ${code === 'ENOENT' ? 'training log not found' : (err as Error).message}`);
  }
  const log = parseTrainingLog(text);
  if (log.steps.length === 0 && log.vals.length === 0) {
    throw new UserError(`${logPath}: no step or val records (empty, or not an abair training log)`);
  }
  const svg = renderPlotSvg(log, options);
  try {
    await sharp(Buffer.from(svg)).png().toFile(outPng);
  } catch (err) {
    throw new UserError(`${outPng}: cannot write the plot (${(err as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scales and ticks

interface Scale {
  (v: number): number;
  ticks: number[];
}

/** 1, 2, 2.5 or 5 × 10^k: the "nice" tick spacing nearest to range / count. */
function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10) * mag;
}

function linearTicks(lo: number, hi: number, count: number): number[] {
  const step = niceStep(hi - lo, count);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function linearScale(lo: number, hi: number, p0: number, p1: number, count: number): Scale {
  if (hi - lo < 1e-12) [lo, hi] = [lo - 1, hi + 1];
  const f = ((v: number) => p0 + ((v - lo) / (hi - lo)) * (p1 - p0)) as Scale;
  f.ticks = linearTicks(lo, hi, count);
  return f;
}

/** Decades, plus 2× and 5× when the range spans few decades, or nice linear ticks inside one. */
function logScale(lo: number, hi: number, p0: number, p1: number): Scale {
  if (hi / lo < 1.0001) [lo, hi] = [lo / 1.5, hi * 1.5];
  const [a, b] = [Math.log10(lo), Math.log10(hi)];
  const f = ((v: number) => p0 + ((Math.log10(v) - a) / (b - a)) * (p1 - p0)) as Scale;
  const decades = b - a;
  let ticks: number[] = [];
  if (decades < 1) ticks = linearTicks(lo, hi, 5).filter((t) => t > 0);
  else {
    const mantissas = decades <= 2.5 ? [1, 2, 5] : [1];
    for (let e = Math.floor(a); e <= Math.ceil(b); e++) for (const m of mantissas) ticks.push(Number((m * 10 ** e).toPrecision(6)));
    ticks = ticks.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
    if (decades > 8) ticks = ticks.filter((_, i) => i % Math.ceil(decades / 6) === 0);
  }
  f.ticks = ticks;
  return f;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-3) return v.toExponential(0).replace('e+', 'e');
  if (abs >= 1e4) return `${Number((v / 1000).toPrecision(4))}k`;
  return String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------------------------------------
// Series helpers

/**
 * Centred moving average in log space (a running geometric mean): the whole log is known, so a
 * centred window smooths without the lag an exponential average shows on a falling loss.
 */
function smoothLog(values: number[], window: number): number[] {
  const half = Math.max(0, Math.floor(window / 2));
  const prefix = new Float64Array(values.length + 1);
  values.forEach((v, i) => (prefix[i + 1] = prefix[i]! + Math.log(v)));
  return values.map((_, i) => {
    const lo = Math.max(0, i - half), hi = Math.min(values.length, i + half + 1);
    return Math.exp((prefix[hi]! - prefix[lo]!) / (hi - lo));
  });
}

/** Keeps the first, min and max point per pixel column, so 100k-step logs stay small SVGs. */
function decimate(points: Array<[number, number]>): Array<[number, number]> {
  if (points.length < 4000) return points;
  const out: Array<[number, number]> = [];
  let column = NaN;
  let group: Array<[number, number]> = [];
  const flush = () => {
    if (group.length === 0) return;
    const min = group.reduce((m, p) => (p[1] < m[1] ? p : m));
    const max = group.reduce((m, p) => (p[1] > m[1] ? p : m));
    out.push(group[0]!, ...(min[0] <= max[0] ? [min, max] : [max, min]));
    group = [];
  };
  for (const p of points) {
    const c = Math.round(p[0]);
    if (c !== column) {
      flush();
      column = c;
    }
    group.push(p);
  }
  flush();
  return out;
}

const pathOf = (points: Array<[number, number]>) =>
  points.length === 0 ? '' : 'M' + points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join('L');

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function groupByPhase<T extends { phase: string }>(records: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of records) {
    const g = groups.get(r.phase);
    if (g) g.push(r);
    else groups.set(r.phase, [r]);
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Drawing

interface Panel {
  left: number;
  top: number;
  width: number;
  height: number;
}

function axes(panel: Panel, x: Scale, y: Scale, yLabel: string, xLabel: string): string {
  const { left, top, width, height } = panel;
  const bottom = top + height;
  const parts: string[] = [`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="white" stroke="#444"/>`];
  for (const t of y.ticks) {
    const py = y(t);
    if (py < top - 0.5 || py > bottom + 0.5) continue;
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#e4e4e4"/>`);
    parts.push(`<line x1="${left - 5}" x2="${left}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#444"/>`);
    parts.push(`<text x="${left - 8}" y="${(py + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of x.ticks) {
    const px = x(t);
    if (px < left - 0.5 || px > left + width + 0.5) continue;
    parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${bottom}" y2="${bottom + 5}" stroke="#444"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${bottom + 19}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(`<text x="${left + width / 2}" y="${bottom + 38}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  const cy = top + height / 2;
  parts.push(`<text x="${left - 58}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${left - 58} ${cy})">${escapeXml(yLabel)}</text>`);
  return parts.join('\n');
}

function legend(panel: Panel, entries: Array<{ color: string; label: string; dash?: boolean; faint?: boolean }>): string {
  const parts: string[] = [];
  let y = panel.top + 16;
  const boxWidth = 52 + 7 * Math.max(...entries.map((e) => e.label.length)); // ~7 px per character at 12 px
  const x = panel.left + panel.width - boxWidth;
  const h = entries.length * 18 + 8;
  parts.push(`<rect x="${x - 8}" y="${panel.top + 4}" width="${boxWidth}" height="${h}" fill="white" fill-opacity="0.85" stroke="#ccc"/>`);
  for (const e of entries) {
    parts.push(
      `<line x1="${x}" x2="${x + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${e.color}" stroke-width="${e.faint ? 1 : 2.5}"` +
        `${e.faint ? ' stroke-opacity="0.35"' : ''}${e.dash ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    parts.push(`<text x="${x + 36}" y="${y}">${escapeXml(e.label)}</text>`);
    y += 18;
  }
  return parts.join('\n');
}

function message(panel: Panel, text: string): string {
  return `<rect x="${panel.left}" y="${panel.top}" width="${panel.width}" height="${panel.height}" fill="white" stroke="#444"/>` +
    `<text x="${panel.left + panel.width / 2}" y="${panel.top + panel.height / 2}" text-anchor="middle" fill="#777">${escapeXml(text)}</text>`;
}

function lossPanel(log: TrainingLog, panel: Panel, x: Scale, colors: Map<string, string>): string {
  const steps = log.steps.filter((s) => s.loss > 0);
  if (steps.length === 0) return message(panel, 'no loss records yet');
  const lo = Math.min(...steps.map((s) => s.loss));
  const hi = Math.max(...steps.map((s) => s.loss));
  const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05 || 0.05;
  const y = logScale(lo / 10 ** pad, hi * 10 ** pad, panel.top + panel.height, panel.top);
  const parts = [axes(panel, x, y, 'loss (log scale)', 'step')];
  const entries: Array<{ color: string; label: string; faint?: boolean }> = [];
  parts.push(`<g clip-path="url(#clip-loss)">`);
  for (const [phase, records] of groupByPhase(steps)) {
    const color = colors.get(phase)!;
    const raw = records.map((r): [number, number] => [x(r.step), y(r.loss)]);
    const window = Math.min(200, Math.max(1, Math.round(records.length / 50)));
    const smooth = smoothLog(records.map((r) => r.loss), window).map((v, i): [number, number] => [raw[i]![0], y(v)]);
    parts.push(`<path d="${pathOf(decimate(raw))}" fill="none" stroke="${color}" stroke-width="1" stroke-opacity="0.35"/>`);
    parts.push(`<path d="${pathOf(decimate(smooth))}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    const name = phase || 'loss';
    entries.push({ color, label: `${name} (raw)`, faint: true }, { color, label: `${name} (smoothed)` });
  }
  parts.push('</g>');
  parts.push(legend(panel, entries));
  return parts.join('\n');
}

function psnrPanel(log: TrainingLog, panel: Panel, x: Scale, colors: Map<string, string>): string {
  if (log.vals.length === 0) return message(panel, 'no validation records yet');
  const values = log.vals.flatMap((v) => (v.inputPsnr !== undefined ? [v.psnr, v.inputPsnr] : [v.psnr]));
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = Math.max(0.2, (hi - lo) * 0.08);
  const y = linearScale(lo - pad, hi + pad, panel.top + panel.height, panel.top, 6);
  const parts = [axes(panel, x, y, 'validation PSNR (dB, RGB)', 'step')];
  const entries: Array<{ color: string; label: string; dash?: boolean }> = [];
  parts.push(`<g clip-path="url(#clip-psnr)">`);
  for (const [phase, records] of groupByPhase(log.vals)) {
    const color = colors.get(phase)!;
    const pts = records.map((r): [number, number] => [x(r.step), y(r.psnr)]);
    parts.push(`<path d="${pathOf(pts)}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    if (pts.length <= 200) for (const [px, py] of pts) parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`);
    const name = phase || 'model';
    entries.push({ color, label: `${name}: restored` });
    const ref = records.filter((r) => r.inputPsnr !== undefined).map((r): [number, number] => [x(r.step), y(r.inputPsnr!)]);
    if (ref.length > 0) {
      parts.push(`<path d="${pathOf(ref)}" fill="none" stroke="${color}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      entries.push({ color, label: `${name}: input (no restoration)`, dash: true });
    }
  }
  parts.push('</g>');
  parts.push(legend(panel, entries));
  return parts.join('\n');
}

/** The whole figure as an SVG string (exposed for tests and for callers that want SVG). */
export function renderPlotSvg(log: TrainingLog, options: PlotOptions = {}): string {
  const width = options.width ?? 1000;
  const height = options.height ?? 720;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 300 && height >= 240)) {
    throw new UserError(`plot size must be integers of at least 300×240, got ${width}×${height}`);
  }
  const left = 90, right = 24, titleH = 36, gap = 56, bottomPad = 48;
  const plotW = width - left - right;
  const usable = height - titleH - gap - bottomPad;
  const lossP: Panel = { left, top: titleH, width: plotW, height: Math.round(usable * 0.55) };
  const psnrP: Panel = { left, top: lossP.top + lossP.height + gap, width: plotW, height: usable - lossP.height };

  const allSteps = [...log.steps.map((s) => s.step), ...log.vals.map((v) => v.step)];
  const x = linearScale(Math.min(0, ...allSteps), Math.max(1, ...allSteps), left, left + plotW, Math.max(3, Math.round(plotW / 110)));
  const phases = [...new Set([...log.steps.map((s) => s.phase), ...log.vals.map((v) => v.phase)])];
  const colors = new Map(phases.map((p, i) => [p, PALETTE[i % PALETTE.length]!]));

  const lastStep = log.steps[log.steps.length - 1];
  const lastVal = log.vals[log.vals.length - 1];
  const summary = [
    `${log.steps.length} steps logged`,
    lastStep ? `last loss ${formatTick(lastStep.loss)}` : '',
    lastVal ? `last val PSNR ${lastVal.psnr.toFixed(2)} dB` : '',
  ].filter(Boolean).join(' · ');
  const clip = (id: string, p: Panel) => `<clipPath id="${id}"><rect x="${p.left}" y="${p.top}" width="${p.width}" height="${p.height}"/></clipPath>`;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#222">`,
    `<defs>${clip('clip-loss', lossP)}${clip('clip-psnr', psnrP)}</defs>`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="${left}" y="24" font-size="15" font-weight="bold">abair training</text>`,
    `<text x="${width - right}" y="24" text-anchor="end" fill="#555">${escapeXml(summary)}</text>`,
    lossPanel(log, lossP, x, colors),
    psnrPanel(log, psnrP, x, colors),
    '</svg>',
  ].join('\n');
}
