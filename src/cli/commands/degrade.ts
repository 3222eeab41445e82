/**
 * `abair degrade`: apply synthetic degradations to an image (single, stacked, or Degradation
 * CutMix with a label map), or draw a contact sheet of every type at several severities.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../util/errors.js';
import { readImage, writeImage } from '../../io/image-io.js';
import { Rng } from '../../util/rng.js';
import { degradationCutMix, DEFAULT_CLASSES } from '../../degrade/cutmix.js';
import { legendLines, renderLabels } from '../../degrade/label-colors.js';
import { applyDegradations, DEGRADATION_NAMES, DEGRADATIONS, parseDegradationSpec } from '../../degrade/registry.js';
import { buildContactSheet, DEFAULT_SHEET_SEVERITIES } from '../../degrade/sheet.js';
import type { DegradationName } from '../../degrade/types.js';

interface DegradeOptions {
  output?: string;
  type?: string;
  severity?: string;
  seed: string;
  cutmix?: boolean;
  classes?: string;
  params?: boolean;
  sheet?: boolean;
  cellWidth: string;
  overwrite?: boolean;
}

function typeList(): string {
  return DEGRADATION_NAMES.map((n) => `  ${n.padEnd(9)} ${DEGRADATIONS[n].description}`).join('\n');
}

function parseSeverity(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`--severity must be a number in [0, 1], got '${text}'`);
  return v;
}

function parseSeed(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v > 0xffffffff) {
    throw new UsageError(`--seed must be an integer in 0..4294967295, got '${text}'`);
  }
  return v;
}

function parseClasses(text: string): DegradationName[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase());
  if (names.some((n) => n === '')) throw new UsageError(`--classes must be a comma-separated list, e.g. ${DEFAULT_CLASSES.join(',')}`);
  // reuse the spec parser for validation and the duplicate check
  return parseDegradationSpec(names.join('+'));
}

/** `out/x.png` → `out/x.labels.png` */
// @testSeam: degrade.test.ts finds the labels file with it
export function labelsPath(output: string): string {
  const ext = path.extname(output);
  return path.join(path.dirname(output), `${path.basename(output, ext)}.labels.png`);
}

function checkModes(input: string | undefined, o: DegradeOptions): 'type' | 'cutmix' | 'sheet' {
  const modes = [o.type !== undefined && 'type', o.cutmix && 'cutmix', o.sheet && 'sheet'].filter(Boolean) as ('type' | 'cutmix' | 'sheet')[];
  if (modes.length !== 1) {
    throw new UsageError(`choose exactly one of --type <spec>, --cutmix or --sheet${modes.length > 1 ? ` (got ${modes.map((m) => `--${m}`).join(' and ')})` : ''}; valid types: ${DEGRADATION_NAMES.join(', ')}`);
  }
  if (!input) throw new UsageError('missing the input image (abair degrade <input> -o <output> …)');
  if (!o.output) throw new UsageError('missing -o, --output <file>');
  if (o.classes !== undefined && !o.cutmix) throw new UsageError('--classes only applies with --cutmix');
  if (o.sheet && (o.severity !== undefined || o.params)) throw new UsageError('--severity and --params do not apply to --sheet (it uses severities 0.25, 0.6, 1.0)');
  return modes[0]!;
}

async function run(input: string | undefined, o: DegradeOptions): Promise<void> {
  const mode = checkModes(input, o);
  const output = o.output!;
  const severity = parseSeverity(o.severity);
  const seed = parseSeed(o.seed);
  const names = mode === 'type' ? parseDegradationSpec(o.type!) : [];
  const classes = o.classes !== undefined ? parseClasses(o.classes) : [...DEFAULT_CLASSES];
  const cellWidth = Number(o.cellWidth);
  if (!Number.isInteger(cellWidth) || cellWidth < 16 || cellWidth > 2048) throw new UsageError(`--cell-width must be an integer in 16..2048, got '${o.cellWidth}'`);

  const loaded = await readImage(input!);
  // with --params the JSON owns stdout; human messages go to stderr so it can be piped
  const say = (line: string) => (o.params ? console.error(line) : console.log(line));
  const rng = new Rng(seed);

  if (mode === 'sheet') {
    const { sheet, failures } = await buildContactSheet(loaded.image, { cellWidth, seed });
    await writeImage(output, sheet, { overwrite: o.overwrite });
    say(`wrote ${output}: ${sheet.width}×${sheet.height}, rows ${DEGRADATION_NAMES.join(', ')}; columns clean, ${DEFAULT_SHEET_SEVERITIES.join(', ')}`);
    for (const f of failures) console.error(`abair: warning: ${f}`);
    return;
  }

  if (mode === 'type') {
    const { image, params } = await applyDegradations(loaded.image, names, rng, severity);
    await writeImage(output, image, { overwrite: o.overwrite, alpha: loaded.alpha });
    say(`wrote ${output} (${params.map((p) => p.name).join('+')}, seed ${seed})`);
    if (o.params) console.log(JSON.stringify({ seed, severity: severity ?? null, layers: params }, null, 2));
    return;
  }

  const sample = await degradationCutMix(loaded.image, rng, { classes, severity });
  const labelsFile = labelsPath(output);
  await writeImage(output, sample.degraded, { overwrite: o.overwrite, alpha: loaded.alpha });
  await writeImage(labelsFile, renderLabels(sample.labels, sample.degraded.width, sample.degraded.height, sample.classes), { overwrite: o.overwrite });
  say(`wrote ${output} and ${labelsFile} (CutMix: ${sample.params.map((p) => p.name).join(', ')}; seed ${seed})`);
  say('label colours (where degradations stack, their colours alternate in diagonal stripes):');
  for (const line of legendLines(sample.classes)) say(line);
  if (o.params) console.log(JSON.stringify({ seed, severity: severity ?? null, classes: sample.classes, layers: sample.params }, null, 2));
}

export function register(program: Command): void {
  program
    .command('degrade')
    .summary('synthesise degraded images (single, stacked, CutMix) or a contact sheet')
    .description('Apply synthetic degradations to an image. Deterministic for a given --seed.')
    .argument('[input]', 'input image (PNG, JPEG, WebP, …)')
    .option('-o, --output <file>', 'output image (format from the extension)')
    .option('-t, --type <spec>', "degradation type; join with '+' to stack (applied in physical order), e.g. rain+noise")
    .option('-s, --severity <0..1>', 'severity for every degradation (default: drawn from the training distribution)')
    .option('--seed <n>', 'random seed', '1')
    .option('--cutmix', 'Degradation CutMix: regions with different (some stacked) degradations; also writes <out>.labels.png')
    .option('--classes <list>', `CutMix classes, comma-separated (default ${DEFAULT_CLASSES.join(',')})`)
    .option('--params', 'print the sampled parameters as JSON on stdout')
    .option('--sheet', `contact sheet: a row per type, columns clean + severities ${DEFAULT_SHEET_SEVERITIES.join(', ')}`)
    .addOption(new Option('--cell-width <px>', 'contact sheet cell width').default('256'))
    .option('--overwrite', 'replace existing output files')
    .addHelpText(
      'after',
      `\nTypes:\n${typeList()}\n\nExamples:\n  abair degrade photo.png -o rainy.png --type rain --severity 0.7 --seed 1\n  abair degrade photo.png -o out.png --type blur+noise --params\n  abair degrade photo.png -o mix.png --cutmix --classes rain,haze,noise,blur,lowlight\n  abair degrade --sheet photo.png -o sheet.png`,
    )
    .action(async (input: string | undefined, options: DegradeOptions) => run(input, options));
}
