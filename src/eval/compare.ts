/**
 * Two or more `abair eval --json` reports side by side (`abair eval compare`): the mean RGB PSNR
 * of every dataset as a markdown table, and whether two runs restored every image byte for byte
 * the same (`--outputs`, by the per-image output hashes). Datasets are keyed by suite and id,
 * since one dataset (Kodak24-haze) appears in two suites with other seeds.
 */
import type { EvalReport, DatasetResult } from './report.js';

export interface LabelledReport {
  label: string;
  report: EvalReport;
}

interface CompareMeansOptions {
  /** decimals of the dataset means (default 2); suite means get one more */
  decimals?: number;
  /** after the table, the estimator's argmax counts per dataset and report */
  confusion?: boolean;
}

function datasetsByKey(report: EvalReport): Map<string, DatasetResult> {
  const byKey = new Map<string, DatasetResult>();
  for (const suite of report.suites) for (const d of suite.datasets) byKey.set(`${suite.name}/${d.id}`, d);
  return byKey;
}

/** The markdown table of dataset means (with the estimator's top-1 hits) and each suite's mean. */
export function compareMeans(reports: readonly LabelledReport[], options: CompareMeansOptions = {}): string {
  const decimals = options.decimals ?? 2;
  type Row = { key: string; input: number; cells: string[] };
  const rows: Row[] = [];
  const seen = new Set<string>();
  const indexed = reports.map((r) => ({ datasets: datasetsByKey(r.report), suites: new Map(r.report.suites.map((s) => [s.name as string, s])) }));
  // Suites and datasets in the order they first appear, each suite's mean after its datasets.
  for (const { report } of reports) {
    for (const suite of report.suites) {
      for (const d of suite.datasets) {
        const key = `${suite.name}/${d.id}`;
        if (seen.has(key) || !d.mean) continue;
        seen.add(key);
        rows.push({
          key,
          input: d.mean.input.psnr,
          cells: indexed.map(({ datasets }) => {
            const other = datasets.get(key);
            if (!other?.mean) return '—';
            const hits = other.accuracy ? ` (${other.accuracy.correct}/${other.accuracy.total})` : '';
            return `${other.mean.output.psnr.toFixed(decimals)}${hits}`;
          }),
        });
      }
      const suiteKey = `${suite.name}/`;
      if (seen.has(suiteKey) || !suite.mean) continue;
      seen.add(suiteKey);
      rows.push({
        key: suiteKey,
        input: suite.mean.input.psnr,
        cells: indexed.map(({ suites }) => {
          const other = suites.get(suite.name);
          return other?.mean ? `**${other.mean.output.psnr.toFixed(decimals + 1)}**` : '—';
        }),
      });
    }
  }
  const lines = [
    `| dataset | input | ${reports.map((r) => `${r.label} (top-1)`).join(' | ')} |`,
    `|---|---|${reports.map(() => '---|').join('')}`,
    ...rows.map((row) => `| ${row.key.endsWith('/') ? `**${row.key.slice(0, -1)} mean**` : row.key} | ${row.input.toFixed(2)} | ${row.cells.join(' | ')} |`),
  ];
  if (options.confusion) {
    lines.push('', 'Estimator argmax per dataset (images):');
    for (const row of rows.filter((r) => !r.key.endsWith('/'))) {
      const parts = indexed.map(({ datasets }, i) => {
        const confusion = datasets.get(row.key)?.confusion;
        // { <truth>: { <argmax>: count } }: one truth row per single-degradation dataset
        const counts = new Map<string, number>();
        for (const byPick of Object.values(confusion ?? {})) for (const [pick, n] of Object.entries(byPick)) counts.set(pick, (counts.get(pick) ?? 0) + n);
        const text = counts.size ? [...counts].sort((a, b) => b[1] - a[1]).map(([pick, n]) => `${pick} ${n}`).join(', ') : '—';
        return `${reports[i]!.label}: ${text}`;
      });
      lines.push(`- ${row.key}: ${parts.join('; ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

interface OutputComparison {
  /** one line per dataset, then the total */
  lines: string[];
  compared: number;
  identical: number;
  /** every compared image identical, every dataset present in both, and at least one image compared */
  same: boolean;
}

/**
 * Were two runs' restorations byte-identical? Compares `outputSha256` image by image over the
 * datasets both reports hold (or `datasets`, keys "suite/id"). A dataset with no images in the
 * first report (skipped: e.g. oracle mode without its adapter) is listed, not compared.
 */
export function compareOutputs(a: LabelledReport, b: LabelledReport, datasets?: readonly string[]): OutputComparison {
  const [da, db] = [datasetsByKey(a.report), datasetsByKey(b.report)];
  const wanted = datasets ?? [...da.keys()].filter((key) => db.has(key));
  const lines: string[] = [];
  let compared = 0;
  let identical = 0;
  let failures = 0;
  for (const key of wanted) {
    const [x, y] = [da.get(key), db.get(key)];
    if (!x || !y) {
      lines.push(`${key}: missing from ${x ? b.label : a.label}`);
      failures++;
      continue;
    }
    if (x.perImage.length === 0) {
      lines.push(`${key}: not compared (no images in ${a.label}${x.skipped ? `: ${x.skipped}` : ''})`);
      continue;
    }
    const hashes = new Map(y.perImage.map((r) => [r.name, r.outputSha256]));
    const differing = x.perImage.filter((r) => !r.outputSha256 || r.outputSha256 !== hashes.get(r.name)).map((r) => r.name);
    const same = x.perImage.length - differing.length;
    compared += x.perImage.length;
    identical += same;
    const shown = differing.slice(0, 5).join(', ') + (differing.length > 5 ? ', …' : '');
    lines.push(`${key}: ${same}/${x.perImage.length} images byte-identical${differing.length ? ` (differ or missing: ${shown})` : ''}`);
    if (differing.length > 0 || x.perImage.length !== y.perImage.length) failures++;
  }
  lines.push(`in all: ${identical}/${compared} images byte-identical`);
  return { lines, compared, identical, same: failures === 0 && compared > 0 };
}
