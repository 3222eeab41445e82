/** Markdown tables of an evaluation report: one per suite, plus estimator accuracy/confusion. */
import type { Confusion, DatasetResult, EvalReport, SuiteResult } from './report.js';
import type { Scores } from './protocol.js';

export const MODE_NAMES: Record<EvalReport['mode'], string> = {
  oh: 'OH (one-hot: the most likely adapter)',
  sw: 'SW (soft weights: adapters blended by the estimated probabilities)',
  oracle: 'oracle (the true adapter; mixed: equal weights on the true ones)',
  identity: 'identity (no restoration)',
};

const pair = (s: Scores) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}`;
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
const delta = (a: Scores, b: Scores) => `${signed(b.psnr - a.psnr, 2)} / ${signed(b.ssim - a.ssim, 4)}`;

function dataKind(d: DatasetResult): string {
  const kind = d.source === 'real' ? 'real pairs' : d.source === 'standard' ? 'standard synthesis' : d.source === 'none' ? 'clean (undegraded)' : 'synthetic (ours)';
  return d.sample ? `${kind}, sample` : kind;
}

function datasetRow(d: DatasetResult): string {
  const images = d.images === d.available ? `${d.images}` : `${d.images} of ${d.available}`;
  if (!d.mean) return `| ${d.label} | ${dataKind(d)} | ${images} | — | — | ${d.skipped ?? 'not measured'} |`;
  return `| ${d.label} | ${dataKind(d)} | ${images} | ${pair(d.mean.input)} | ${pair(d.mean.output)} | ${delta(d.mean.input, d.mean.output)} |`;
}

/** The model in one line: its label and each weight file's training steps (the full provenance is in the JSON and the results document). */
function modelLine(report: EvalReport): string {
  const m = report.model;
  const entries = Object.entries(m.provenance ?? {});
  if (entries.length === 0) return m.label;
  const steps = entries.map(([file, p]) => `${file.replace(/\.json$/, '')} ${typeof p['steps'] === 'number' ? p['steps'] : '?'}`).join(', ');
  return `${m.label}; training steps: ${steps}`;
}

/** A clean photo kept at least this close to itself counts as left alone (the do-no-harm minimum for the worst image). */
export const CLEAN_WORST_DB = 36;
/** A degraded image whose keep share is at least this is reported as mostly kept. */
const KEPT_MOSTLY = 0.5;

// @testSeam: tested directly (runner.test.ts)
export function renderSuiteTable(suite: SuiteResult, report: EvalReport): string {
  const space = report.protocol.space === 'y' ? 'Y' : 'RGB';
  const subset = report.quick ? ' — quick subset' : report.limit !== null ? ` — at most ${report.limit} images per dataset` : '';
  const lines = [
    `### Suite \`${suite.name}\`${subset}`,
    '',
    `Mode: ${MODE_NAMES[report.mode]}. Model: ${modelLine(report)}.`,
    `Protocol: ${report.protocol.description}. "sample" = only a few pairs of the real test set exist here (indicative only); "synthetic (ours)" = our generators at severity ${report.protocol.severity}, not a published benchmark.`,
    '',
    `| dataset | data | images | input ${space} PSNR / SSIM | ${report.mode === 'identity' ? 'identity' : 'ours'} PSNR / SSIM | Δ PSNR / SSIM |`,
    '|---|---|---|---|---|---|',
    ...suite.datasets.map(datasetRow),
  ];
  if (suite.mean) {
    const n = suite.datasets.reduce((s, d) => s + d.images, 0);
    lines.push(`| **mean** (of dataset means) | | ${n} | ${pair(suite.mean.input)} | ${pair(suite.mean.output)} | ${delta(suite.mean.input, suite.mean.output)} |`);
  }
  const clean = suite.datasets.filter((d) => d.source === 'none');
  if (clean.length > 0) {
    lines.push('', `"clean (undegraded)": the input is the clean image itself (PSNR capped at ${report.protocol.psnrCapDb} dB), so the output's PSNR against it says how far restoring moved a photo that needed nothing: higher is better, and the identity scores the cap.`);
    const picks = clean.filter((d) => d.confusion?.['clean']).map((d) => `${d.label}: ${countsByDescending(d.confusion!['clean']!)}`);
    if (picks.length > 0) lines.push('', `What the estimator took them for (its top class, images): ${picks.join('; ')}.`);
    // the mean hides the photos that were changed: the worst one, and how many fell under 36 dB
    const worst = clean.filter((d) => d.perImage.length > 0).map((d) => {
      const byPsnr = [...d.perImage].sort((a, b) => a.output.psnr - b.output.psnr);
      const under = byPsnr.filter((im) => im.output.psnr < CLEAN_WORST_DB).length;
      return `${d.label}: ${byPsnr[0]!.output.psnr.toFixed(2)} dB (${byPsnr[0]!.name}), ${under} of ${d.perImage.length} under ${CLEAN_WORST_DB} dB`;
    });
    if (worst.length > 0) lines.push('', `The least kept image: ${worst.join('; ')}.`);
  }
  // a keep rule that keeps most of a degraded photo leaves it nearly as it came: say how often
  const keptMostly = suite.datasets
    .filter((d) => d.source !== 'none')
    .map((d) => [d, d.perImage.filter((im) => (im.cleanShare ?? 0) >= KEPT_MOSTLY).length] as const)
    .filter(([, n]) => n > 0)
    .map(([d, n]) => `${d.label} ${n} of ${d.perImage.length}`);
  if (keptMostly.length > 0) lines.push('', `Degraded images of which keep-clean kept at least half the input: ${keptMostly.join('; ')}.`);
  if (suite.accuracy) {
    lines.push('', `Estimator top-1 accuracy (argmax is a true class): ${(100 * suite.accuracy.top1).toFixed(1)} % (${suite.accuracy.correct}/${suite.accuracy.total}).`);
  }
  return lines.join('\n');
}

/** "haze 15, snow 6, rain 1": a confusion row, largest first (ties by name). */
function countsByDescending(row: Record<string, number>): string {
  return Object.entries(row).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([name, n]) => `${name} ${n}`).join(', ');
}

function renderConfusion(confusion: Confusion): string {
  const predicted = [...new Set(Object.values(confusion).flatMap((row) => Object.keys(row)))].sort();
  const lines = [`| true ↓ / predicted → | ${predicted.join(' | ')} |`, `|---|${predicted.map(() => '---|').join('')}`];
  for (const [truth, row] of Object.entries(confusion)) lines.push(`| ${truth} | ${predicted.map((p) => row[p] ?? 0).join(' | ')} |`);
  return lines.join('\n');
}

/** Every suite's table, then the overall estimator accuracy and confusion matrix when known. */
export function renderReport(report: EvalReport): string {
  const parts = report.suites.map((s) => renderSuiteTable(s, report));
  if (report.accuracy && report.confusion) {
    parts.push(
      [
        '### Degradation estimator',
        '',
        `Top-1 accuracy over all suites: ${(100 * report.accuracy.top1).toFixed(1)} % (${report.accuracy.correct}/${report.accuracy.total}).`,
        '',
        renderConfusion(report.confusion),
      ].join('\n'),
    );
  }
  return parts.join('\n\n') + '\n';
}
