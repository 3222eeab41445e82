/**
 * `abair restore` as a function: expand the inputs, restore each image, write the results.
 * The CLI command is a thin wrapper around `runRestore`, which tests call with a fake model runner.
 *
 * Rules: `-o` only with exactly one input; default output `<stem>.restored.<ext>` beside the
 * input or in --out-dir; an input is never overwritten, an existing file only with --overwrite,
 * and every target is checked before the model runs; writes are atomic. A bad file is reported
 * on one line and the batch goes on; the exit code is 1 if any image failed. An abort stops the
 * batch at once.
 *
 * Output fidelity: the input's EXIF, ICC profile and XMP are kept (the pixels stay in the
 * input's own profile; EXIF orientation is applied to the pixels and the tag reset to 1) unless
 * `strip`; 16-bit inputs give 16-bit PNG/TIFF. Whatever an output format cannot keep (alpha in
 * JPEG, 16 bits in JPEG/WebP/BMP, EXIF in TIFF, …) gets a one-line note on stderr.
 *
 * Reporting: one line per file on stdout, or with `json` one JSON object per line (input,
 * output, probabilities, weights, seconds, …; failures as {input, error}); `quiet` leaves only
 * errors on stderr.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError, UserError } from '../util/errors.js';
import { createProgress, progressModeFrom, type Progress, type ProgressMode, type ProgressStream } from '../util/progress.js';
import { formatFromPath, isLossy, writeImage, WRITABLE_EXTENSIONS, type ImageFormat } from '../io/image-io.js';
import { assertFolderWritable, assertWritableTarget, removeStaleTempFiles } from '../util/atomic-write.js';
import type { OrtRuntime } from '../ort/runtime.js';
import type { ModelRunner } from '../restore/model-runner.js';
import { buildExplainSheet } from '../restore/explain.js';
import { expandInputs } from './inputs.js';
import { cleanShareFor, formatProbabilities, parseMode } from '../restore/modes.js';
import { createRestorer } from '../restore/restorer.js';
import { resolveTiling } from '../restore/tile-plan.js';

/** Above this clean share (what keep-clean would keep), the CLI suggests --keep-clean on. */
const NOTHING_WRONG_HINT = 0.5;

export interface RestoreCommandOptions {
  output?: string;
  outDir?: string;
  mode?: string;
  /** sw: pull the result toward the input by the clean share (default: the model's keepClean) */
  keepClean?: boolean;
  explain?: boolean;
  tile?: number;
  overlap?: number;
  format?: string;
  overwrite?: boolean;
  weights?: string;
  /** ONNX Runtime package: 'node' or 'wasm' (default: onnxruntime-node, else wasm with a note) */
  runtime?: OrtRuntime;
  /** auto | lines | silent; false (--no-progress) = silent */
  progress?: boolean | ProgressMode;
  /** JPEG/WebP/AVIF quality 1-100 (default 95) */
  quality?: number;
  /** drop EXIF, XMP and the colour profile (colours converted to sRGB) */
  strip?: boolean;
  /** one JSON object per file on stdout instead of the text line */
  json?: boolean;
  /** nothing on stderr but errors (no progress, no notes); --json output still goes to stdout */
  quiet?: boolean;
  /** print stack traces of per-image failures */
  debug?: boolean;
}

interface RestoreRunDeps {
  /** use this model runner instead of loading a model (tests, embedding) */
  runner?: ModelRunner;
  stdout?: { write(text: string): unknown };
  stderr?: ProgressStream;
  progressMode?: ProgressMode;
  signal?: AbortSignal;
}

interface RestoreRunResult {
  exitCode: number;
  /** output files written (explain sheets included) */
  written: string[];
  /** inputs (or arguments) that failed */
  failed: string[];
}

const FORMAT_EXTENSIONS: Record<ImageFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', avif: '.avif', tiff: '.tif', bmp: '.bmp' };

/** Names --format accepts. */
export const FORMAT_NAMES = ['png', 'jpg', 'jpeg', 'webp', 'avif', 'tif', 'tiff', 'bmp'] as const;

function parseFormat(text: string): ImageFormat {
  const value = text.toLowerCase().replace(/^\./, '');
  if (value === 'png' || value === 'webp' || value === 'avif' || value === 'bmp') return value;
  if (value === 'jpg' || value === 'jpeg') return 'jpeg';
  if (value === 'tif' || value === 'tiff') return 'tiff';
  throw new UsageError(`unknown output format '${text}' (${FORMAT_NAMES.join(', ')})`);
}

function stemOf(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

/** Output extension when neither -o nor --format says: the input's own if writable, else .png. */
function defaultExtension(input: string): string {
  const ext = path.extname(input).toLowerCase();
  return WRITABLE_EXTENSIONS.includes(ext) ? ext : '.png';
}

interface OutputPaths {
  output: string;
  explain: string;
}

/** Where one input's results go. */
// @testSeam: tested directly (batch.test.ts)
export function outputPathsFor(input: string, options: Pick<RestoreCommandOptions, 'output' | 'outDir'> & { format?: ImageFormat }): OutputPaths {
  if (options.output) {
    const dir = path.dirname(options.output);
    const stem = stemOf(options.output).replace(/\.restored$/i, '');
    return { output: options.output, explain: path.join(dir, `${stem}.explain.png`) };
  }
  const dir = options.outDir ?? path.dirname(input);
  const stem = stemOf(input);
  const ext = options.format ? FORMAT_EXTENSIONS[options.format] : defaultExtension(input);
  return { output: path.join(dir, `${stem}.restored${ext}`), explain: path.join(dir, `${stem}.explain.png`) };
}

async function realOrResolved(file: string): Promise<string> {
  return fs.realpath(file).catch(() => path.resolve(file));
}

/**
 * Creates --out-dir (with its parents) and checks that files can be made in it, before any model
 * is loaded, with one line for each way it can fail: a file in the way, a read-only mount, no permission.
 */
async function prepareOutDir(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory()) throw new UserError(`--out-dir ${dir}: is a file, not a folder`);
  if (!stat) {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason: Record<string, string> = {
        EEXIST: 'part of the path is a file, not a folder',
        ENOTDIR: 'part of the path is a file, not a folder',
        EROFS: 'the file system is read-only',
        EACCES: 'permission denied',
        EPERM: 'not permitted',
        ENOENT: 'part of the path cannot be created',
        ENOSPC: 'no space left on the device',
      };
      throw new UserError(`--out-dir ${dir}: cannot create the folder (${(code && reason[code]) ?? (err as Error).message.split('\n')[0]}${code ? `, ${code}` : ''})`);
    }
  }
  try {
    await assertFolderWritable(dir);
  } catch (err) {
    throw new UserError(`--out-dir ${dir}: ${(err as Error).message.replace(/^cannot write .*?: /, 'cannot write there: ')}`);
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

export async function runRestore(inputs: readonly string[], options: RestoreCommandOptions = {}, deps: RestoreRunDeps = {}): Promise<RestoreRunResult> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const progressMode: ProgressMode = progressModeFrom(options.progress, deps.progressMode, options.quiet);
  const json = Boolean(options.json);
  /** notes and hints: not with --quiet */
  const note = (text: string) => {
    if (!options.quiet) stderr.write(`abair: note: ${text}\n`);
  };
  const fail = (input: string, message: string) => {
    stderr.write(`abair: ${message}\n`);
    if (json) stdout.write(`${JSON.stringify({ input, error: message })}\n`);
  };

  // Usage checks first: nothing is read, loaded or written when the command line is wrong.
  if (inputs.length === 0) throw new UsageError('no input images given');
  if (options.output && options.outDir) throw new UsageError('use either -o/--output or --out-dir, not both');
  let format = options.format ? parseFormat(options.format) : undefined;
  if (options.output) {
    const fromPath = formatFromPath(options.output);
    if (format && format !== fromPath) throw new UsageError(`--format ${options.format} contradicts the extension of ${options.output}`);
    format = fromPath;
  }
  if (options.quality !== undefined) {
    if (!Number.isInteger(options.quality) || options.quality < 1 || options.quality > 100) {
      throw new UsageError(`--quality must be an integer from 1 to 100, got ${options.quality}`);
    }
    if (format && !isLossy(format)) throw new UsageError(`--quality applies to jpg, webp and avif output, not ${format} (lossless)`);
  }
  const mode = parseMode(options.mode ?? 'sw');
  const tiling = resolveTiling({ tileSize: options.tile, overlap: options.overlap });

  const { files, problems } = await expandInputs(inputs);
  if (options.output && (inputs.length !== 1 || files.length + problems.length !== 1)) {
    throw new UsageError('-o/--output needs exactly one input image (use --out-dir for several)');
  }
  const failed: string[] = [];
  for (const problem of problems) {
    const input = problem.split(':')[0]!;
    fail(input, problem);
    failed.push(input);
  }
  if (files.length === 0) throw new UserError('no input images found');
  if (options.outDir) await prepareOutDir(options.outDir);

  const restorer = createRestorer({ runner: deps.runner, weights: options.weights, ...(options.runtime ? { runtime: options.runtime } : {}) });
  const written: string[] = [];
  try {
    const runner = await restorer.load(); // no model → one clear error before any file is touched
    if (runner.classes.length === 0) note('this model has no adapters: restoring with the base model, --mode is ignored');
    if (runner.hasEstimator === false && runner.classes.length > 0 && (mode.kind === 'sw' || mode.kind === 'oh')) {
      throw new UserError(`this model has no estimator, so --mode ${mode.kind} is not available: use --mode adapter:<name> or weights:<name>=<w>,… (adapters: ${runner.classes.join(', ')})`);
    }
    // Said where it matters: keep-clean asked for (or the model's default) on an estimator that
    // cannot tell clean itself, so the share comes from its classes (cleanShareFor).
    const keepCleanOn = options.keepClean ?? runner.keepClean ?? false;
    if (keepCleanOn && runner.hasEstimator !== false && runner.classes.length > 0 && runner.hasCleanOutput !== true && mode.kind === 'sw') {
      stderr.write("abair: note: this model's estimator has no clean output, so clean detection is unavailable: keep-clean uses the chance that none of its classes applies\n");
    }
    const inputPaths = new Set(await Promise.all(files.map(realOrResolved)));
    const writtenThisRun = new Set<string>();

    for (const [index, file] of files.entries()) {
      const label = files.length > 1 ? `[${index + 1}/${files.length}] ${path.basename(file)}` : path.basename(file);
      // the bar appears with the first finished tile, when the tile count is known
      const tiles: { bar: Progress | null } = { bar: null };
      const started = performance.now();
      try {
        const targets = outputPathsFor(file, { output: options.output, outDir: options.outDir, format });
        const planned = options.explain ? [targets.output, targets.explain] : [targets.output];
        for (const target of planned) {
          const real = await realOrResolved(target);
          if (inputPaths.has(real)) throw new UserError(`${file}: refusing to write ${target}: it is one of the inputs`);
          if (writtenThisRun.has(real)) throw new UserError(`${file}: refusing to write ${target}: another input of this run was just written there`);
          // temp files of an earlier run that was killed while writing this target
          await removeStaleTempFiles(path.dirname(target), [path.basename(target)]);
          await assertWritableTarget(target, { overwrite: options.overwrite });
        }

        const result = await restorer.restore(file, {
          mode,
          ...(options.keepClean !== undefined ? { keepClean: options.keepClean } : {}),
          tileSize: tiling.tileSize,
          overlap: tiling.overlap,
          map: options.explain,
          signal: deps.signal,
          keepMetadata: !options.strip,
          onProgress: (done, total) => {
            tiles.bar ??= createProgress({ label, total, unit: 'tile', stream: stderr, mode: progressMode });
            tiles.bar.update(done);
          },
        });
        // what the decoder had to say (only the first frame of an animation, …)
        for (const text of result.notes) note(text);
        const { notes } = await writeImage(targets.output, result.image, {
          alpha: result.alpha,
          overwrite: options.overwrite,
          bitDepth: result.bitDepth,
          metadata: result.metadata,
          strip: options.strip,
          ...(options.quality !== undefined ? { quality: options.quality } : {}),
        });
        if (options.quality !== undefined && !isLossy(formatFromPath(targets.output))) notes.push('--quality does not apply to this lossless format');
        written.push(targets.output);
        writtenThisRun.add(await realOrResolved(targets.output));
        if (options.explain) {
          const sheet = await buildExplainSheet({
            input: result.input,
            output: result.image,
            map: result.map,
            probabilities: Object.values(result.probabilities),
            classes: Object.keys(result.probabilities),
          });
          await writeImage(targets.explain, sheet, { overwrite: options.overwrite });
          written.push(targets.explain);
          writtenThisRun.add(await realOrResolved(targets.explain));
        }
        tiles.bar?.finish();
        const extra = options.explain ? `, ${targets.explain}` : '';
        // without an estimator the probabilities are NaN (not estimated): show the weights used instead
        const estimated = !Object.values(result.probabilities).some(Number.isNaN);
        const kept = result.cleanShare > 0 ? `; kept ${Math.round(100 * result.cleanShare)} % of the input (keep-clean)` : '';
        const summary = estimated ? `${formatProbabilities(result.probabilities)}${kept}` : `adapter weights: ${formatProbabilities(result.weights)}`;
        if (json) {
          const record = {
            input: file,
            output: targets.output,
            ...(options.explain ? { explain: targets.explain } : {}),
            // NaN (not estimated: no estimator) becomes null in JSON
            probabilities: result.probabilities,
            weights: result.weights,
            keptInput: result.cleanShare,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
            notes,
          };
          stdout.write(`${JSON.stringify(record)}\n`);
        } else if (!options.quiet) {
          stdout.write(`${file} -> ${targets.output}${extra}${summary ? `  (${summary})` : ''}\n`);
        }
        for (const text of notes) note(`${targets.output}: ${text}`);
        // SW changes photos that need nothing (docs/model.md, "Keep-clean"): say so when it likely happened
        const wouldKeep = estimated && result.cleanShare === 0 ? cleanShareFor(mode, runner.classes.map((c) => result.probabilities[c]!), true, runner.swExponent, runner.hasCleanOutput ? result.keepShare : Number.NaN) : 0;
        if (wouldKeep >= NOTHING_WRONG_HINT) {
          note(`the estimator sees little wrong with ${file}; --keep-clean on would keep ${Math.round(100 * wouldKeep)} % of the input`);
        }
      } catch (err) {
        tiles.bar?.finish();
        if (isAbort(err)) throw err;
        const message = err instanceof Error ? err.message : String(err);
        // Messages from the image reader already name the file; don't say it twice.
        fail(file, message.includes(file) ? message : `${file}: ${message}`);
        if (options.debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
        failed.push(file);
      }
    }
  } finally {
    restorer.dispose();
  }
  return { exitCode: failed.length > 0 ? 1 : 0, written, failed };
}
