/**
 * The model card (`abair model card <folder>`, docs/model-card.md for the shipped model): what a
 * model is, what it was trained on and how, what that cost, how it scored and where it falls
 * short, all read from recorded files: the weight sidecars (architecture, provenance), a recipe,
 * `abair eval --json` results and a `bench:restore --json` record. Nothing in it is typed by hand,
 * so it is regenerated, never edited, and its "known limits" follow fixed rules over the results.
 */
import path from 'node:path';
import { type BackboneConfig } from '../model/config.js';
import { readCleanGate } from '../model/clean-gate-file.js';
import { type EstimatorConfig } from '../model/estimator.js';
import { summarizeWeights } from '../model/summary.js';
import { listWeights, readSidecar, type Provenance } from '../model/weights.js';
import { DEFAULT_HOLDOUT_FRACTION } from '../train/data/holdout.js';
import { isGroup, readRecipe, type Recipe, type RecipeStage } from '../train/recipe.js';
import { UserError } from '../util/errors.js';
import type { DatasetResult, EvalReport } from './report.js';
import { readEvalReport, readResultsInput } from './results-md.js';
import { isFailed, median, type RestoreBenchRecord } from './restore-report.js';
import { MODE_NAMES } from './table.js';

type ModelSummary = Awaited<ReturnType<typeof summarizeWeights>>;

/** One weight file of the model, by its sidecar (the clean gate: by its own file). */
interface Part {
  /** "backbone", "lora-rain", "estimator", "clean-gate" */
  name: string;
  kind: 'backbone' | 'lora' | 'estimator' | 'clean-gate';
  provenance: Provenance;
}

interface ModelCardInputs {
  dir: string;
  summary: ModelSummary;
  parts: Part[];
  backbone: BackboneConfig | null;
  estimator: EstimatorConfig | null;
  recipe: { file: string; recipe: Recipe } | null;
  evals: { file: string; report: EvalReport }[];
  speed: { file: string; record: RestoreBenchRecord } | null;
}

interface CardFiles {
  evals?: readonly string[];
  recipe?: string;
  speed?: string;
}

/** Refuses an eval result whose structure the card reads is not there (a hand-edited or truncated file). */
function checkEvalShape(file: string, report: EvalReport): void {
  const ok = Array.isArray(report.suites) && report.suites.every((s) => typeof s === 'object' && s !== null && Array.isArray(s.datasets)) && typeof report.model === 'object' && report.model !== null;
  if (!ok) throw new UserError(`${file}: an abair eval result without its suites and model (write one with abair eval --json)`);
}

/** Reads everything the card shows; every problem is a one-line UserError naming its file. */
export async function readModelCardInputs(dir: string, files: CardFiles = {}): Promise<ModelCardInputs> {
  let summary: ModelSummary;
  try {
    summary = await summarizeWeights(dir);
  } catch (err) {
    throw err instanceof UserError ? err : new UserError((err as Error).message);
  }
  const listed = await listWeights(dir).catch(() => {
    throw new UserError(`${dir}: not a model folder (give the folder holding backbone.safetensors, lora-*.safetensors, estimator.safetensors)`);
  });
  const parts: Part[] = [];
  let backbone: BackboneConfig | null = null;
  let estimator: EstimatorConfig | null = null;
  for (const file of [listed.backbone, ...listed.adapters, listed.estimator]) {
    if (!file) continue;
    const sidecar = await readSidecar(file);
    parts.push({ name: path.basename(file, '.safetensors'), kind: sidecar.kind, provenance: sidecar.provenance ?? {} });
    if (sidecar.kind === 'backbone') backbone = sidecar.config;
    else if (sidecar.kind === 'estimator') estimator = sidecar.config;
    else backbone ??= sidecar.backbone;
  }
  if (listed.estimator && estimator) {
    const gate = await readCleanGate(dir, listed.estimator, estimator.classes);
    if (gate) parts.push({ name: path.basename(gate.file, '.json'), kind: 'clean-gate', provenance: gate.provenance });
  }
  const evals: ModelCardInputs['evals'] = [];
  for (const file of files.evals ?? []) {
    const report = await readEvalReport(file);
    checkEvalShape(file, report);
    evals.push({ file, report });
  }
  let speed: ModelCardInputs['speed'] = null;
  if (files.speed) {
    const input = await readResultsInput(files.speed);
    if (input.kind !== 'speed') throw new UserError(`${files.speed}: not a bench:restore record (write one with npm run bench:restore -- --json <file>)`);
    speed = { file: files.speed, record: input.record };
  }
  const recipe = files.recipe ? { file: files.recipe, recipe: await readRecipe(files.recipe) } : null;
  return { dir, summary, parts, backbone, estimator, recipe, evals, speed };
}

// ---------------------------------------------------------------- formatting

const DASH = '—';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (v: unknown) => (isNum(v) ? v.toLocaleString('en-US') : DASH);
const fixed = (v: unknown, digits: number) => (isNum(v) ? v.toFixed(digits) : DASH);
const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
const pct = (share: number) => `${(100 * share).toFixed(1)} %`;
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
/** A table cell: no pipes or line breaks from recorded strings. */
const cell = (s: string) => s.replace(/\|/g, '/').replace(/\s*\n\s*/g, ' ');
const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const date = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : DASH);

// ---------------------------------------------------------------- sections

function modelSection(x: ModelCardInputs): string[] {
  const s = x.summary;
  const lines = ['## Model', '', `- folder: ${code(x.dir)}`];
  const c = x.backbone;
  if (c) {
    lines.push(
      `- architecture: Restormer-style backbone${s.preset ? `, preset ${code(s.preset)}` : ' (no preset recorded)'}: dim ${c.dim}, blocks [${c.blocks.join(', ')}], refinement ${c.refinementBlocks}, ` +
        `heads [${c.heads.join(', ')}], FFN ×${c.ffnExpansion}, ${c.inChannels} → ${c.outChannels} channels, segmentation head of ${c.segClasses} classes (Phase I only)`,
    );
  }
  if (isNum(s.gflopsPerMegapixel.backbone)) lines.push(`- compute: ${s.gflopsPerMegapixel.backbone.toFixed(2)} GFLOPs per megapixel for the backbone (analytic, multiply-add = 2 FLOPs)`);
  const e = x.estimator;
  if (e && s.estimator) {
    lines.push(
      `- estimator: ${e.classes.length} classes (${e.classes.join(', ')}), input ${e.inputSize}², widths [${e.widths.join(', ')}]${e.highPass ? ', high-pass input' : ''}` +
        `${s.estimator.cleanOutput ? ', with a p(clean) output' : ', no p(clean) output'}`,
    );
    lines.push(
      `- blend (estimator.json): SW weights ∝ odds^${s.estimator.swExponent} (swExponent ${s.estimator.swExponent}); keep-clean ${s.estimator.keepClean ? 'on (SW keeps the input\'s share by the estimated chance that nothing is wrong)' : 'off (keepClean false or not set)'}`,
    );
  } else {
    lines.push('- estimator: none in this folder');
  }
  lines.push('', 'Parameters per part (the numbers `abair model info` prints):', '', '| part | rank | alpha | layers | parameters |', '|---|---|---|---|---|');
  if (s.params.backbone !== null) lines.push(`| backbone | | | | ${int(s.params.backbone)} |`);
  if (s.params.segHead !== null) lines.push(`| segmentation head | | | | ${int(s.params.segHead)} |`);
  for (const a of s.adapters) lines.push(`| adapter ${a.name} | ${a.rank} | ${a.alpha} | ${a.layers} | ${int(s.params.adapters[a.name])} |`);
  if (s.params.estimator !== null) lines.push(`| estimator | | | | ${int(s.params.estimator)} |`);
  lines.push(`| **total** | | | | ${int(s.params.total)} |`);
  return lines;
}

function dataSection(x: ModelCardInputs): string[] {
  const lines = ['## Data', ''];
  const byFolder = new Map<string, string[]>();
  for (const p of x.parts) for (const folder of strings(p.provenance['images'])) byFolder.set(folder, [...(byFolder.get(folder) ?? []), p.name]);
  const without = x.parts.filter((p) => strings(p.provenance['images']).length === 0).map((p) => p.name);
  if (byFolder.size === 0) lines.push(`- training images: ${DASH} (no part records its image folders)`);
  for (const [folder, users] of byFolder) {
    lines.push(`- training images ${code(folder)} (relative to the data folder the runs were given): ${users.length === x.parts.length ? `all ${users.length} parts` : users.join(', ')}`);
  }
  if (byFolder.size > 0 && without.length > 0) lines.push(`- no image folders recorded for: ${without.join(', ')}`);
  const backbone = x.parts.find((p) => p.kind === 'backbone');
  const seg = backbone ? strings(backbone.provenance['segClasses']) : [];
  if (seg.length > 0) lines.push(`- Phase I (backbone): Degradation CutMix of the synthetic degradations ${seg.join(', ')} on those images (restoration, plus a segmentation head labelling each pixel's degradation)`);
  const adapters = x.parts.filter((p) => p.kind === 'lora');
  if (adapters.length > 0) {
    lines.push('- adapters, each trained on the frozen backbone with:');
    for (const a of adapters) {
      const synthetic = strings(a.provenance['synthetic']);
      const pairs = strings(a.provenance['pairs']);
      const held = a.provenance['pairsHeldOut'];
      const sources = [
        ...(synthetic.length > 0 ? [`synthetic ${synthetic.join(' + ')}`] : []),
        ...(pairs.length > 0 ? [`real pairs ${pairs.map(code).join(' → ')}${isNum(held) ? ` (${held} held out)` : ''}`] : []),
      ];
      lines.push(`  - ${a.name}: ${sources.length > 0 ? sources.join('; ') : DASH}`);
    }
  }
  const est = x.parts.find((p) => p.kind === 'estimator');
  if (est) {
    const mixed = est.provenance['mixedFraction'];
    const labels = est.provenance['mixedLabels'];
    lines.push(`- estimator: its classes' synthetic degradations, one per patch; two stacked for ${isNum(mixed) ? `${pct(mixed)} of the patches` : `${DASH} of the patches`}, labelled ${typeof labels === 'string' ? code(labels) : DASH}`);
  }
  lines.push(
    `- held-out split: every training phase splits its image folders by a hash of each image's path relative to its folder (src/train/data/holdout.ts): ` +
      `a share of ${pct(DEFAULT_HOLDOUT_FRACTION)} is held out (with two or more images, at least one), the same images whatever the listing order or images added later. ` +
      'Validation (the "held-out validation" column under Compute) is measured on those images only.',
  );
  const roots = [...new Set(x.evals.map((e) => e.report.dataRoot).filter((r) => typeof r === 'string'))];
  if (roots.length > 0) lines.push(`- evaluation: the results below read their test images from the data folder ${roots.map(code).join(', ')} (as each result records it), not from the training folders above.`);
  return lines;
}

function stepsOf(stage: RecipeStage): string {
  return stage.steps && stage.steps.length > 0 ? stage.steps.join(' → ') : DASH;
}

function stageOutput(stage: RecipeStage): string {
  if (stage.run === 'copy') {
    const files = stage.files ?? [];
    return `${files.length <= 2 ? files.join(', ') : `${files.length} files`}: ${stage.from ?? DASH} → ${stage.to ?? DASH}`;
  }
  if (stage.produces) return code(stage.produces);
  const flags = Object.entries(stage.flags ?? {}).map(([k, v]) => `--${k} ${String(v)}`);
  return [...(stage.args ?? []), ...flags].join(' ') || DASH;
}

function recipeSection(x: ModelCardInputs): string[] {
  const lines = ['## Recipe', ''];
  if (x.recipe) {
    const r = x.recipe.recipe;
    lines.push(`${code(x.recipe.file)} (\`abair train recipe\`), recipe **${r.name}**: ${r.description}`, '', '| # | stage | run | steps | output |', '|---|---|---|---|---|');
    r.stages.forEach((s, i) => {
      if (isGroup(s)) {
        lines.push(`| ${i + 1} | ${s.name} (${s.parallel} at once) | group | | |`);
        s.stages.forEach((inner, j) => lines.push(`| ${i + 1}.${j + 1} | ${inner.name} | ${inner.run} | ${stepsOf(inner)} | ${cell(stageOutput(inner))} |`));
      } else {
        lines.push(`| ${i + 1} | ${s.name} | ${s.run} | ${stepsOf(s)} | ${cell(stageOutput(s))} |`);
      }
    });
    lines.push('');
  } else {
    lines.push('No recipe given (`--recipe`).', '');
  }
  lines.push('The command each weight file records in its provenance (as run; the recipe runner writes the same flags):', '');
  for (const p of x.parts) {
    const command = p.provenance['command'];
    lines.push(`- ${p.name}: ${typeof command === 'string' ? code(command) : DASH}`);
  }
  return lines;
}

function validationText(v: unknown): string {
  const r = record(v);
  if (isNum(r['psnr']) && isNum(r['inputPsnr'])) return `PSNR ${r['inputPsnr'].toFixed(2)} → ${r['psnr'].toFixed(2)} dB`;
  if (isNum(r['psnr'])) return `PSNR ${r['psnr'].toFixed(2)} dB`;
  const parts = [...(isNum(r['accuracy']) ? [`top-1 ${pct(r['accuracy'])}`] : []), ...(isNum(r['bce']) ? [`BCE ${r['bce'].toFixed(3)}`] : [])];
  return parts.length > 0 ? parts.join(', ') : DASH;
}

function machineText(v: unknown): string {
  const m = record(v);
  const cpu = typeof m['cpu'] === 'string' ? m['cpu'] : null;
  const cores = isNum(m['cores']) ? `${m['cores']} cores` : null;
  return cpu || cores ? [cpu ?? DASH, cores ?? DASH].join(', ') : DASH;
}

function computeSection(x: ModelCardInputs): string[] {
  const lines = [
    '## Compute',
    '',
    'As each weight file records its last training run: wall hours over all sessions of a resumed run, CPU-hours = wall hours × the run\'s threads (workers in older runs), as the trainer counts them.',
    '',
    '| part | phase | steps | batch | patches seen | CPU-hours | wall hours | machine | created | held-out validation |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  let cpu = 0;
  let wall = 0;
  const missing: string[] = [];
  for (const p of x.parts) {
    const v = p.provenance;
    if (isNum(v['cpuHours'])) cpu += v['cpuHours'];
    else missing.push(p.name);
    if (isNum(v['wallSec'])) wall += v['wallSec'];
    const phase = typeof v['phase'] === 'string' ? v['phase'] : DASH;
    lines.push(
      `| ${p.name} | ${phase} | ${int(v['steps'])} | ${int(v['batch'])} | ${int(v['patchesSeen'])} | ${fixed(v['cpuHours'], 3)} | ${isNum(v['wallSec']) ? (v['wallSec'] / 3600).toFixed(2) : DASH} | ${cell(machineText(v['machine']))} | ${date(v['createdAt'])} | ${validationText(v['validation'])} |`,
    );
  }
  lines.push(`| **total** | | | | | ${cpu.toFixed(3)} | ${(wall / 3600).toFixed(2)} | | | |`);
  if (missing.length > 0) lines.push('', `No CPU-hours recorded for ${missing.join(', ')}: counted as 0 in the total.`);
  for (const p of x.parts) {
    const command = p.provenance['command'];
    if (typeof command === 'string' && / --from /.test(command)) lines.push('', `${p.name} started from earlier weights (${code('--from')} in its command): their training is not in its row.`);
  }
  return lines;
}

/** Whether the weights an eval file measured are this folder's: each file's recorded creation time and steps. */
function provenanceMatch(x: ModelCardInputs, report: EvalReport): string {
  const evaluated = Object.entries(report.model.provenance ?? {});
  if (evaluated.length === 0) return report.model.kind === 'identity' ? '' : 'the result records no weight provenance, so it cannot be matched to this folder';
  // eval reports record the weight sidecars; the clean gate's fit is not among them
  const ours = new Map(x.parts.filter((p) => p.kind !== 'clean-gate').map((p) => [`${p.name}.json`, p.provenance]));
  const differ: string[] = [];
  for (const [file, p] of evaluated) {
    const mine = ours.get(file);
    if (!mine) differ.push(`${file} is not in this folder`);
    else if (mine['createdAt'] !== p['createdAt'] || mine['steps'] !== p['steps']) differ.push(`${file} differs (evaluated ${date(p['createdAt'])}, ${int(p['steps'])} steps; here ${date(mine['createdAt'])}, ${int(mine['steps'])} steps)`);
  }
  const notEvaluated = [...ours.keys()].filter((f) => !evaluated.some(([file]) => file === f));
  if (notEvaluated.length > 0) differ.push(`not in the evaluated model: ${notEvaluated.join(', ')}`);
  return differ.length === 0 ? `the evaluated weights are this folder's (all ${evaluated.length} files: same creation time and steps)` : `**the evaluated weights are not exactly this folder's**: ${differ.join('; ')}`;
}

const isClean = (d: DatasetResult) => d.source === 'none';
/** Whether the label already says the dataset is a sample ("Rain100L (sample)"). */
const labelled = (d: DatasetResult) => /\bsample\b/i.test(d.label);
const sampleNote = (d: DatasetResult) => (d.sample && !labelled(d) ? ', a sample of the test set' : '');

function protocolOf(report: EvalReport): string {
  return report.protocol?.description ?? `${report.protocol?.space ?? DASH} space, crop to a multiple of ${report.protocol?.cropMultiple ?? DASH}`;
}

function evalSection(x: ModelCardInputs, file: string, report: EvalReport, sharedProtocol: boolean): string[] {
  const keep = typeof report.keepClean === 'boolean' ? (report.keepClean ? 'on' : 'off') : 'not recorded';
  const subset = report.quick ? ', --quick subset' : report.limit !== null && report.limit !== undefined ? `, at most ${report.limit} images per dataset` : '';
  const match = provenanceMatch(x, report);
  const lines = [
    `### ${code(path.basename(file))}: mode ${report.mode.toUpperCase()}`,
    '',
    `Mode ${MODE_NAMES[report.mode] ?? report.mode}; keep-clean ${keep}; model: ${report.model.label}. ${match ? `${match[0]!.toUpperCase()}${match.slice(1)}. ` : ''}` +
      `Run ${date(report.createdAt)} with abair ${report.abairVersion}${subset}.${sharedProtocol ? '' : ` Protocol: ${protocolOf(report)}.`}`,
    '',
    '| suite | dataset | images | input PSNR / SSIM | output PSNR / SSIM | Δ PSNR (dB) |',
    '|---|---|---|---|---|---|',
  ];
  for (const suite of report.suites) {
    for (const d of suite.datasets) {
      const images = d.images === d.available ? `${d.images}` : `${d.images} of ${d.available}`;
      if (!d.mean) {
        lines.push(`| ${suite.name} | ${d.label} | ${images} | ${DASH} | ${DASH} | ${cell(d.skipped ?? 'not measured')} |`);
        continue;
      }
      const { input, output } = d.mean;
      const delta = isClean(d) ? `(clean input, capped at ${report.protocol.psnrCapDb})` : signed(output.psnr - input.psnr, 2);
      lines.push(`| ${suite.name} | ${d.label}${d.sample && !labelled(d) ? ' (sample)' : ''} | ${images} | ${input.psnr.toFixed(2)} / ${input.ssim.toFixed(4)} | ${output.psnr.toFixed(2)} / ${output.ssim.toFixed(4)} | ${delta} |`);
    }
  }
  return lines;
}

function speedSection(speed: NonNullable<ModelCardInputs['speed']>): string[] {
  const { record: r, file } = speed;
  const c = r.context;
  const lines = [
    `### Speed (${code(path.basename(file))})`,
    '',
    `${c.modelLabel}${c.timingOnly ? ' (untrained weights: timing only)' : ''}; ${c.cpuModel}, ${c.cores} cores, ${c.threads} threads; mode ${c.mode}, tile ${c.tile}, overlap ${c.overlap}; ` +
      `median of up to ${c.runs} run(s), ${r.version === 1 ? 'rows per engine (a version-1 record)' : 'the models\' runs interleaved'}; recorded ${date(r.createdAt)} by ${code(r.command)}.`,
    '',
    `| ${c.models ? 'model' : 'engine'} | size (MP) | s/MP | CPU-s/MP | peak RSS (MiB) |`,
    '|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    const name = cell(row.model ?? row.engine ?? DASH);
    if (isFailed(row)) lines.push(`| ${name} | ${row.megapixels} | failed: ${cell(row.error)} | | |`);
    else lines.push(`| ${name} | ${row.megapixels.toFixed(2)} | ${(median(row.seconds) / row.megapixels).toFixed(2)} | ${(median(row.cpuSeconds) / row.megapixels).toFixed(2)} | ${row.peakRssMiB.toFixed(0)} |`);
  }
  return lines;
}

/** Δ PSNR below this (dB) counts as "barely changes". */
const BARELY_DB = 0.5;
/** Estimator top-1 accuracy below this share is listed. */
const ACCURACY_FLOOR = 0.9;

/** The known-limit lines of one eval result, by the rules the card states. */
function limitsOf(report: EvalReport): string[] {
  const out: string[] = [];
  for (const suite of report.suites) {
    for (const d of suite.datasets) {
      const where = `${d.label} (suite ${suite.name}, ${d.images} images${sampleNote(d)})`;
      if (!d.mean) {
        out.push(`- not measured: ${where}: ${d.skipped ?? 'no result'}`);
        continue;
      }
      if (isClean(d)) {
        const worst = (Array.isArray(d.perImage) ? d.perImage : []).reduce<{ name: string; psnr: number } | null>((w, im) => (!w || im.output.psnr < w.psnr ? { name: im.name, psnr: im.output.psnr } : w), null);
        out.push(`- clean photos changed: ${where}: output ${d.mean.output.psnr.toFixed(2)} dB PSNR against the untouched input on average${worst ? `, worst image ${code(worst.name)} at ${worst.psnr.toFixed(2)} dB` : ''}`);
        continue;
      }
      const delta = d.mean.output.psnr - d.mean.input.psnr;
      const change = `Δ ${signed(delta, 2)} dB (${d.mean.input.psnr.toFixed(2)} → ${d.mean.output.psnr.toFixed(2)} dB)`;
      if (delta < 0) out.push(`- makes it worse: ${where}: ${change}`);
      else if (delta < BARELY_DB) out.push(`- barely changes: ${where}: ${change}`);
    }
  }
  if (report.mode === 'sw' || report.mode === 'oh') {
    const suites = report.suites.filter((s) => s.accuracy).map((s) => `${s.name} ${pct(s.accuracy!.top1)} (${s.accuracy!.correct}/${s.accuracy!.total})`);
    if (suites.length > 0) out.push(`- estimator top-1 accuracy per suite: ${suites.join(', ')}${report.accuracy ? `; overall ${pct(report.accuracy.top1)} (${report.accuracy.correct}/${report.accuracy.total})` : ''}`);
    for (const suite of report.suites) {
      for (const d of suite.datasets) {
        if (d.accuracy && d.accuracy.top1 < ACCURACY_FLOOR) out.push(`- estimator often wrong: ${d.label} (suite ${suite.name}${sampleNote(d)}): top-1 ${pct(d.accuracy.top1)} (${d.accuracy.correct}/${d.accuracy.total})`);
      }
    }
  }
  return out;
}

function limitsSection(x: ModelCardInputs): string[] {
  const classes = x.estimator?.classes ?? [];
  const adapters = x.summary.adapters.map((a) => a.name);
  const lines = [
    '## Known limits',
    '',
    `- scope: it restores the degradation types it has adapters for (${adapters.length > 0 ? adapters.join(', ') : DASH}); the estimator recognises ${classes.length > 0 ? classes.join(', ') : DASH}. Anything else is outside what it was trained on.`,
    '',
  ];
  const measured = x.evals.filter((e) => e.report.mode !== 'identity');
  if (measured.length === 0) {
    lines.push('No evaluation results given (`--eval`), so no limits are derived from results.');
    return lines;
  }
  lines.push(
    'Derived from the results above by fixed rules, for each result file: a dataset **makes it worse** when its mean Δ PSNR is below 0 dB and **barely changes** when it is from 0 to ' +
      `below +${BARELY_DB.toFixed(1)} dB; each clean (undegraded) dataset lists the output's mean PSNR against the untouched input and its worst image; ` +
      `in SW and OH results (where the estimator picks the adapters) the estimator's top-1 accuracy per suite is listed, and each dataset where it is below ${pct(ACCURACY_FLOOR)}; datasets not measured are listed with the reason.`,
  );
  for (const { file, report } of measured) {
    const found = limitsOf(report);
    lines.push('', `${code(path.basename(file))} (${report.mode.toUpperCase()}):`, '', ...(found.length > 0 ? found : ['- none by these rules']));
  }
  return lines;
}

/** The whole card; `command` is the line that regenerates it. */
export function renderModelCard(x: ModelCardInputs, command: string): string {
  const shared = x.evals.length > 0 && x.evals.every((e) => protocolOf(e.report) === protocolOf(x.evals[0]!.report));
  const sources = [
    'the weight sidecars',
    ...(x.recipe ? [code(x.recipe.file)] : []),
    ...x.evals.map((e) => code(e.file)),
    ...(x.speed ? [code(x.speed.file)] : []),
  ];
  const parts: string[][] = [
    [
      `# Model card: ${x.dir}`,
      '',
      `<!-- Generated by \`${command}\`. Do not edit by hand: rerun the command. -->`,
      '',
      `Generated by ${code(command)} from ${sources.join(', ')}. Do not edit by hand: every number is read from those files.`,
    ],
    modelSection(x),
    dataSection(x),
    recipeSection(x),
    computeSection(x),
    [
      '## Results',
      '',
      x.evals.length === 0 ? 'No evaluation results given (`--eval`).' : `Mean over each dataset's images (per-image values are in the JSON files).${shared ? ` Protocol of every result: ${protocolOf(x.evals[0]!.report)}.` : ''}`,
      ...x.evals.flatMap((e) => ['', ...evalSection(x, e.file, e.report, shared)]),
      ...(x.speed ? ['', ...speedSection(x.speed)] : []),
    ],
    limitsSection(x),
  ];
  return parts.map((p) => p.join('\n')).join('\n\n') + '\n';
}
