/**
 * `abair info <image...>`: what each image file holds (format, size, channels, bit depth, alpha,
 * EXIF orientation), read from the header only. A file that cannot be read gets a one-line
 * error; the others are still reported and the command exits 1 at the end.
 */
import type { Command } from 'commander';
import { ImageReadError, readImageInfo, type ImageInfo } from '../../io/image-io.js';

interface InfoOptions {
  json?: boolean;
}

type InfoResult = { path: string; info: ImageInfo } | { path: string; error: string };

const ORIENTATION_NAMES: Record<number, string> = {
  1: 'normal',
  2: 'mirrored',
  3: 'rotated 180°',
  4: 'mirrored vertically',
  5: 'mirrored + rotated 90° CCW',
  6: 'rotated 90° CW',
  7: 'mirrored + rotated 90° CW',
  8: 'rotated 90° CCW',
};

function describe(file: string, info: ImageInfo): string {
  const orientation =
    info.orientation === undefined ? 'none' : `${info.orientation} (${ORIENTATION_NAMES[info.orientation] ?? 'unknown'}${info.orientation > 1 ? ', applied on read' : ''})`;
  return [
    `${file}`,
    `  format:      ${info.format}`,
    `  size:        ${info.width}×${info.height}`,
    `  channels:    ${info.channels}`,
    `  bit depth:   ${info.bitDepth}`,
    `  alpha:       ${info.hasAlpha ? 'yes' : 'no'}`,
    `  orientation: ${orientation}`,
  ].join('\n');
}

function toJson(result: InfoResult): Record<string, unknown> {
  if ('error' in result) return { path: result.path, error: result.error };
  const { info } = result;
  return {
    path: result.path,
    format: info.format,
    width: info.width,
    height: info.height,
    channels: info.channels,
    bitDepth: info.bitDepth,
    hasAlpha: info.hasAlpha,
    orientation: info.orientation ?? null,
  };
}

async function runInfo(files: string[], options: InfoOptions): Promise<void> {
  const results: InfoResult[] = [];
  for (const file of files) {
    try {
      const info = await readImageInfo(file);
      results.push({ path: file, info });
      if (!options.json) console.log(describe(file, info));
    } catch (err) {
      // Unexpected (non-user) errors still abort with the normal error path and --debug trace.
      if (!(err instanceof ImageReadError)) throw err;
      results.push({ path: file, error: err.message });
      console.error(`abair: ${err.message}`);
    }
  }
  if (options.json) console.log(JSON.stringify(results.map(toJson), null, 2));
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}

/** Registers `abair info`. */
export function register(program: Command): void {
  program
    .command('info')
    .description('show format, size, channels, bit depth, alpha and EXIF orientation of image files')
    .argument('<image...>', 'image files (PNG, JPEG, WebP, TIFF, BMP, GIF, ...)')
    .option('--json', 'print a JSON array (one object per file; unreadable files get an "error" field)')
    .addHelpText(
      'after',
      '\nSize is after EXIF orientation (as abair decodes the image). Unreadable files are reported\n' +
        'on stderr, the others are still shown, and the exit code is 1.\n\nExamples:\n  abair info photo.jpg\n  abair info --json *.png',
    )
    .action(async (files: string[], options: InfoOptions) => runInfo(files, options));
}
