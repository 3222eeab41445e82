/**
 * `abair metrics <restored> <reference>`: PSNR and SSIM in RGB and BT.601 Y, as scikit-image
 * computes them (see src/metrics). Prints a small table, or one JSON object with --json.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RGBImage } from '../../image/types.js';
import { readImage } from '../../io/image-io.js';
import { psnr, ssim, type MetricOptions, type SsimWindow } from '../../metrics/index.js';
import { UserError } from '../../util/errors.js';

interface MetricsFlags {
  crop?: number;
  border?: number;
  window: SsimWindow;
  json?: boolean;
}

interface MetricsReport {
  restored: string;
  reference: string;
  /** size measured, after --crop and --border */
  width: number;
  height: number;
  window: SsimWindow;
  crop: number | null;
  border: number;
  /** dB; Infinity for identical images (null in JSON) */
  psnr_rgb: number;
  psnr_y: number;
  ssim_rgb: number;
  ssim_y: number;
}

function integerAtLeast(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
    return n;
  };
}

/** readImage reports unreadable files as one-line UserErrors naming the file; alpha is ignored. */
async function load(file: string): Promise<RGBImage> {
  return (await readImage(file)).image;
}

function measuredSize(img: RGBImage, options: MetricOptions): { width: number; height: number } {
  const m = options.cropMultiple ?? 1;
  const b = options.border ?? 0;
  return { width: img.width - (img.width % m) - 2 * b, height: img.height - (img.height % m) - 2 * b };
}

async function computeMetrics(restoredPath: string, referencePath: string, flags: MetricsFlags): Promise<MetricsReport> {
  const [restored, reference] = await Promise.all([load(restoredPath), load(referencePath)]);
  if (restored.width !== reference.width || restored.height !== reference.height) {
    throw new UserError(
      `images differ in size: ${restoredPath} is ${restored.width}x${restored.height}, ${referencePath} is ${reference.width}x${reference.height}`,
    );
  }
  const base: MetricOptions = { cropMultiple: flags.crop, border: flags.border, ssimWindow: flags.window };
  const rgb: MetricOptions = { ...base, space: 'rgb' };
  const y: MetricOptions = { ...base, space: 'y' };
  try {
    return {
      restored: restoredPath,
      reference: referencePath,
      ...measuredSize(restored, base),
      window: flags.window,
      crop: flags.crop ?? null,
      border: flags.border ?? 0,
      psnr_rgb: psnr(restored, reference, rgb),
      psnr_y: psnr(restored, reference, y),
      ssim_rgb: ssim(restored, reference, rgb),
      ssim_y: ssim(restored, reference, y),
    };
  } catch (err) {
    // Crop/border/window-size problems are about the user's inputs, not bugs.
    throw new UserError(err instanceof Error ? err.message : String(err));
  }
}

function formatDb(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(4)} dB` : 'inf (identical)';
}

/** The human-readable table `abair metrics` prints without --json. */
// @testSeam: tested directly (metrics.test.ts)
export function formatText(r: MetricsReport): string {
  const crop = r.crop === null ? '' : `, centre-cropped to a multiple of ${r.crop}`;
  const border = r.border > 0 ? `, ${r.border} px border shaved` : '';
  return [
    `measured  ${r.width}x${r.height}${crop}${border}`,
    `PSNR RGB  ${formatDb(r.psnr_rgb)}`,
    `PSNR Y    ${formatDb(r.psnr_y)}`,
    `SSIM RGB  ${r.ssim_rgb.toFixed(5)}  (${r.window} window)`,
    `SSIM Y    ${r.ssim_y.toFixed(5)}  (${r.window} window)`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description('PSNR and SSIM of a restored image against its reference, in RGB and BT.601 Y')
    .argument('<restored>', 'restored (or degraded) image file')
    .argument('<reference>', 'ground-truth image file of the same size')
    .option('--crop <multiple>', 'centre-crop both images to a multiple of this first (PromptIR uses 16)', integerAtLeast('--crop', 1))
    .option('--border <pixels>', 'shave this many pixels from every edge (after --crop)', integerAtLeast('--border', 0))
    .addOption(
      new Option('--window <window>', 'SSIM window: gaussian (11x11, sigma 1.5, Wang et al./Restormer) or uniform7 (skimage default, PromptIR)')
        .choices(['gaussian', 'uniform7'])
        .default('gaussian'),
    )
    .option('--json', 'print one JSON object (identical images give psnr null)')
    .addHelpText(
      'after',
      `
Conventions: values on the 0-255 scale (data range 255) exactly as scikit-image 0.19
computes them; grey images are replicated to RGB, alpha is ignored, values are used
unrounded and unclipped (16-bit files keep their precision). PSNR pools
the squared error over all channels; SSIM RGB averages the per-channel SSIMs. Y is
16 + 65.481 R + 128.553 G + 24.966 B (R,G,B in [0,1]), not rounded.

Example:
  abair metrics restored.png target.png --crop 16 --json`,
    )
    .action(async (restoredPath: string, referencePath: string, flags: MetricsFlags) => {
      const report = await computeMetrics(restoredPath, referencePath, flags);
      console.log(flags.json ? JSON.stringify(report) : formatText(report));
    });
}
