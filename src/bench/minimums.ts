/**
 * Checks a candidate model's recorded evaluations against the minimums a new default model must
 * meet (the retrain and do-no-harm issues), so the decision to ship reads off one table, never
 * off hand-copied numbers. Reads `abair eval --json` files; runs nothing itself.
 * The script is ./check-minimums.ts.
 */
import type { DatasetResult, EvalReport } from '../eval/report.js';
import { isFailed, type ChildResult, type RestoreBenchRecord } from '../eval/restore-report.js';
import { UserError } from '../util/errors.js';
import { CLEAN_WORST_DB } from '../eval/table.js';

/** One minimum: what was measured against what it must reach; null measured = not in the files. */
interface MinimumCheck {
  name: string;
  measured: number | null;
  target: number;
  /** the paper's ABAIR SW figure where it reports the task (PSNR dB) */
  paper?: number;
  unit: 'dB' | '%' | 's/MP' | '×';
  /** true: measured must be ≥ target; false: ≤ */
  atLeast: boolean;
  pass: boolean | null;
}

const key = (suite: string, id: string) => `${suite}/${id}`;

/** The measured datasets by "suite/id", each labelled with its suite (a set can sit in two suites). */
function datasets(report: EvalReport): Map<string, DatasetResult> {
  const out = new Map<string, DatasetResult>();
  for (const s of report.suites) for (const d of s.datasets) if (d.mean) out.set(key(s.name, d.id), { ...d, label: `${s.name}: ${d.label}` });
  return out;
}

function check(name: string, measured: number | null | undefined, target: number, unit: MinimumCheck['unit'], atLeast = true, paper?: number): MinimumCheck {
  const m = measured ?? null;
  return { name, measured: m, target, unit, atLeast, pass: m === null ? null : atLeast ? m >= target : m <= target, ...(paper === undefined ? {} : { paper }) };
}

/** Fixed PSNR floors (dB, RGB, blind SW), with the paper's ABAIR SW figure for the gap. */
const FLOORS: { key: string; label: string; floor: number; paper?: number }[] = [
  { key: 'denoise/CBSD68-sigma15', label: 'CBSD68 σ15', floor: 32.3, paper: 33.95 },
  { key: 'denoise/CBSD68-sigma25', label: 'CBSD68 σ25', floor: 30.0, paper: 31.38 },
  { key: 'denoise/CBSD68-sigma50', label: 'CBSD68 σ50', floor: 26.6, paper: 28.01 },
  { key: 'unseen/LIVE1-jpeg-q20', label: 'LIVE1 JPEG Q20', floor: 29.2, paper: 30.71 },
  { key: 'derain/Rain100H', label: 'Rain100H', floor: 15.0, paper: 19.37 },
];
/** Sets whose floor is over their own input (dB). */
const OVER_INPUT: { key: string; label: string; gain: number }[] = [{ key: 'synthetic/Kodak24-blur', label: 'Kodak24 blur over its input', gain: 1.5 }];
const CLEAN_MEAN_DB = 40;
const OTHER_GAIN_DB = 0.5;
const OTHER_OVER_INPUT_DB = 3;
const MAX_LOSS_DB = 0.3;
const SW_OVER_OH_DB = 0.1;
const SINGLES_TOP1 = 95;
const PROBE_TOP1 = 85;
const SPEED_RATIO = 2.5;
const SPEED_SECONDS_PER_MP = 5;

const out = (d: DatasetResult | undefined) => d?.mean?.output.psnr ?? null;
const worst = (d: DatasetResult) => Math.min(...d.perImage.map((i) => i.output.psnr));
const percent = (a: { correct: number; total: number }) => (a.total > 0 ? (100 * a.correct) / a.total : null);
const meanOf = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The minimums for a candidate (and, where given, the shipped baseline, OH on mixed, and speed). */
export function checkMinimums(candidate: EvalReport, baseline: EvalReport | null, oh: EvalReport | null, speed: RestoreBenchRecord | null): MinimumCheck[] {
  const c = datasets(candidate);
  const checks: MinimumCheck[] = [];
  const named = new Set<string>();
  for (const f of FLOORS) {
    named.add(f.key);
    checks.push(check(f.label, out(c.get(f.key)), f.floor, 'dB', true, f.paper));
  }
  for (const f of OVER_INPUT) {
    named.add(f.key);
    const d = c.get(f.key);
    checks.push(check(f.label, d ? d.mean!.output.psnr - d.mean!.input.psnr : null, f.gain, 'dB'));
  }
  for (const [k, d] of c) {
    if (!k.startsWith('clean/')) continue;
    checks.push(check(`${d.label}: mean against its input`, d.mean!.output.psnr, CLEAN_MEAN_DB, 'dB'));
    checks.push(check(`${d.label}: worst image`, worst(d), CLEAN_WORST_DB, 'dB'));
  }
  const base = baseline ? datasets(baseline) : new Map<string, DatasetResult>();
  for (const [k, d] of c) {
    if (k.startsWith('clean/') || k.startsWith('probe/')) continue;
    const b = base.get(k);
    if (!b) continue;
    const gain = d.mean!.output.psnr - b.mean!.output.psnr;
    checks.push(check(`${d.label}: loss against the shipped model`, -gain, MAX_LOSS_DB, 'dB', false));
    if (named.has(k)) continue;
    // ≥ shipped + 0.5 dB, or ≥ +3 dB over its input: the better of the two margins decides
    const margin = Math.max(gain - OTHER_GAIN_DB, d.mean!.output.psnr - d.mean!.input.psnr - OTHER_OVER_INPUT_DB);
    checks.push(check(`${d.label}: shipped + ${OTHER_GAIN_DB} or input + ${OTHER_OVER_INPUT_DB} dB (margin)`, margin, 0, 'dB'));
  }
  const mixed = [...c].filter(([k]) => k.startsWith('mixed/'));
  if (oh && mixed.length > 0) {
    const o = datasets(oh);
    const pairs = mixed.filter(([k]) => o.has(k));
    const sw = meanOf(pairs.map(([, d]) => d.mean!.output.psnr));
    const ohMean = meanOf(pairs.map(([k]) => o.get(k)!.mean!.output.psnr));
    checks.push(check('mixed suite: SW over OH', sw !== null && ohMean !== null ? sw - ohMean : null, SW_OVER_OH_DB, 'dB'));
  }
  let correct = 0;
  let total = 0;
  for (const [k, d] of c) {
    if (k.startsWith('probe/') || k.startsWith('mixed/') || k.startsWith('clean/') || d.truth.length !== 1 || !d.accuracy) continue;
    correct += d.accuracy.correct;
    total += d.accuracy.total;
  }
  checks.push(check('estimator top-1 on the single-degradation sets', total > 0 ? (100 * correct) / total : null, SINGLES_TOP1, '%'));
  const probeByClass = new Map<string, { correct: number; total: number }>();
  for (const [k, d] of c) {
    if (!k.startsWith('probe/') || !d.accuracy || d.truth.length !== 1) continue;
    const acc = probeByClass.get(d.truth[0]!) ?? { correct: 0, total: 0 };
    acc.correct += d.accuracy.correct;
    acc.total += d.accuracy.total;
    probeByClass.set(d.truth[0]!, acc);
  }
  for (const [cls, acc] of [...probeByClass].sort()) checks.push(check(`probe ${cls}: estimator top-1`, percent(acc), PROBE_TOP1, '%'));
  if (speed) checks.push(...speedChecks(speed));
  return checks;
}

/** s/MP of the reference (first model) and the candidate (second) at the largest size both measured. */
function speedChecks(record: RestoreBenchRecord): MinimumCheck[] {
  const models = record.context.models;
  if (!models || models.length < 2) throw new UserError('--speed: the record compares no two models (run bench:restore --weights preset:tiny,<candidate>)');
  const ok = record.rows.filter((r): r is ChildResult => !isFailed(r));
  const size = Math.max(...ok.map((r) => r.megapixels));
  const perMP = (model: string) => {
    const r = ok.find((x) => x.model === model && x.megapixels === size);
    if (!r) return null;
    const s = [...r.seconds].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]! / r.megapixels;
  };
  const [ref, cand] = [perMP(models[0]!), perMP(models[1]!)];
  return [
    check(`restore at ${size.toFixed(1)} MP: ${models[1]} against ${models[0]}`, ref && cand ? cand / ref : null, SPEED_RATIO, '×', false),
    check(`restore at ${size.toFixed(1)} MP: ${models[1]}`, cand, SPEED_SECONDS_PER_MP, 's/MP', false),
  ];
}

export function formatChecks(checks: readonly MinimumCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const value = (v: number | null, unit: string) => (v === null ? '—' : `${v.toFixed(2)} ${unit}`);
  const lines = checks.map((c) => {
    const verdict = c.pass === null ? 'not measured' : c.pass ? 'ok' : 'MISSED';
    const paper = c.paper === undefined || c.measured === null ? '' : `  (paper ${c.paper.toFixed(2)}, gap ${(c.measured - c.paper).toFixed(2)})`;
    return `${c.name.padEnd(width)}  ${value(c.measured, c.unit).padStart(11)}  ${c.atLeast ? '≥' : '≤'} ${value(c.target, c.unit).padEnd(10)} ${verdict}${paper}`;
  });
  const missed = checks.filter((c) => c.pass === false).length;
  const unmeasured = checks.filter((c) => c.pass === null).length;
  return `${lines.join('\n')}\n\n${checks.length - missed - unmeasured} of ${checks.length} minimums met, ${missed} missed, ${unmeasured} not measured\n`;
}

