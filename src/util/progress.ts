/**
 * A small progress bar on stderr: `label [█████░░░░░] 12/40 3.1 tile/s ETA 0:09`.
 *
 * On a TTY the line is redrawn in place (at most ~10 times a second) and cleared on finish, so
 * stdout stays clean for results. Elsewhere (logs, CI, pipes) it writes a plain line at most
 * every `intervalMs` plus a final one, or nothing at all in 'silent' mode.
 */

export type ProgressMode = 'auto' | 'tty' | 'lines' | 'silent';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

interface ProgressOptions {
  label: string;
  total: number;
  /** unit shown in the rate, e.g. 'tile' → "3.1 tile/s" */
  unit?: string;
  /** default process.stderr */
  stream?: ProgressStream;
  /** 'auto' (default): redrawn bar on a TTY, periodic lines otherwise */
  mode?: ProgressMode;
  /** minimum time between two lines in 'lines' mode (default 5000 ms) */
  intervalMs?: number;
  /** clock in ms, for tests (default performance.now) */
  now?: () => number;
  /** units already done before this process started (a resumed run): excluded from the rate */
  initial?: number;
}

export interface Progress {
  /** set the absolute count of finished steps */
  update(done: number): void;
  /** add `n` finished steps (default 1) */
  tick(n?: number): void;
  setLabel(label: string): void;
  /** final state: on a TTY the line is cleared; in lines mode a last line is written */
  finish(): void;
}

/** "0:07", "12:03", "1:02:03"; "?" when unknown. */
// @testSeam: tested directly (progress.test.ts)
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A bar of `width` cells, filled in proportion to done/total. */
// @testSeam: tested directly (progress.test.ts)
export function renderBar(done: number, total: number, width: number): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(fraction * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function formatRate(rate: number, unit: string): string {
  if (!Number.isFinite(rate) || rate <= 0) return `- ${unit}/s`;
  if (rate >= 1) return `${rate.toFixed(rate >= 100 ? 0 : 1)} ${unit}/s`;
  return `${(1 / rate).toFixed(1)} s/${unit}`;
}

/** The status text after the bar: "12/40 3.1 tile/s ETA 0:09" (or the elapsed time once done). */
// @testSeam: tested directly (progress.test.ts)
export function formatStatus(done: number, total: number, elapsedS: number, unit: string, initial = 0): string {
  // The rate counts only what this process did (a resumed run starts at `initial`, not 0).
  const rate = elapsedS > 0 ? (done - initial) / elapsedS : 0;
  const tail = done >= total ? `in ${formatDuration(elapsedS)}` : `ETA ${rate > 0 ? formatDuration((total - done) / rate) : '?'}`;
  return `${done}/${total} ${formatRate(rate, unit)} ${tail}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const unit = options.unit ?? 'step';
  const intervalMs = options.intervalMs ?? 5000;
  const mode = options.mode === undefined || options.mode === 'auto' ? (stream.isTTY ? 'tty' : 'lines') : options.mode;
  const total = Math.max(0, options.total);
  const initial = Math.min(total, Math.max(0, options.initial ?? 0));
  const start = now();
  let label = options.label;
  let done = initial;
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  const status = (): string => formatStatus(done, total, (now() - start) / 1000, unit, initial);

  function drawTty(force: boolean): void {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    const columns = stream.columns ?? 80;
    const text = status();
    const barWidth = Math.max(5, Math.min(30, columns - label.length - text.length - 6));
    let line = `${label} ${renderBar(done, total, barWidth)} ${text}`;
    if (line.length > columns - 1) line = line.slice(0, columns - 1);
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  }

  function drawLine(force: boolean): void {
    const t = now();
    if (!force && t - lastDraw < intervalMs) return;
    lastDraw = t;
    stream.write(`${label} ${status()}\n`);
  }

  function draw(force = false): void {
    if (finished) return;
    if (mode === 'tty') drawTty(force);
    else if (mode === 'lines') drawLine(force);
  }

  if (mode === 'tty') draw(true);
  else if (mode === 'lines') lastDraw = now(); // the first line only after intervalMs: short jobs stay quiet until the end

  return {
    update(value: number) {
      done = Math.min(total, Math.max(0, value));
      draw(done >= total && mode === 'tty');
    },
    tick(n = 1) {
      this.update(done + n);
    },
    setLabel(value: string) {
      label = value;
      draw(mode === 'tty');
    },
    finish() {
      if (finished) return;
      if (mode === 'tty' && drawn) stream.write('\r\x1b[K');
      else if (mode === 'lines') drawLine(true);
      finished = true;
    },
  };
}

/** What a `--progress <mode>` / `--no-progress` flag (false) or `--quiet` asks for; `fallback` for auto/unset. */
export function progressModeFrom(flag: boolean | ProgressMode | undefined, fallback: ProgressMode = 'auto', quiet = false): ProgressMode {
  if (quiet || flag === false || flag === 'silent') return 'silent';
  if (flag === undefined || flag === true || flag === 'auto') return fallback;
  return flag;
}
