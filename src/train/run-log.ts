/**
 * The training log: JSONL, one object per line, appended as training runs so a crash loses at
 * most the line being written. First line `{"type":"meta",...}` (the command's configuration),
 * then `{"type":"step",...}` per step and `{"type":"val",...}` per validation (see docs/training.md).
 *
 * Resuming truncates the file to the byte length recorded in the checkpoint, dropping the lines
 * of steps after it that the resumed run will redo, so the log never holds a step twice.
 */
import { closeSync, fsyncSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';

// @testSeam: tested directly
export interface StepRecord {
  type: 'step';
  phase: string;
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  patchesPerSec: number;
  elapsedSec: number;
}

// @testSeam: tested directly
export interface ValRecord {
  type: 'val';
  phase: string;
  step: number;
  /** Restoration phases: mean PSNR (dB, RGB) of the output and of the input vs the target. */
  psnr?: number;
  inputPsnr?: number;
  /** Estimator phase: mean binary cross-entropy and per-label accuracy at p = 0.5. */
  bce?: number;
  accuracy?: number;
}

/** A resumed run's total steps changed (--reschedule) at `step`. */
interface RescheduleRecord {
  type: 'reschedule';
  phase: string;
  step: number;
  fromSteps: unknown;
  toSteps: number;
}

type LogRecord = StepRecord | ValRecord | RescheduleRecord | ({ type: 'meta' } & Record<string, unknown>);

export class RunLog {
  private fd: number;
  private size: number;

  private constructor(readonly file: string, fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }

  /** A fresh log (replacing any old one) starting with the meta line. */
  static create(file: string, meta: Record<string, unknown>): RunLog {
    const log = new RunLog(file, openSync(file, 'w'), 0);
    log.append({ type: 'meta', ...meta });
    return log;
  }

  /**
   * Continues an existing log, cut back to `bytes` (the checkpoint's position). A log shorter than
   * that (deleted or replaced) cannot be repaired: it is continued as it is and `short` is true.
   */
  static resume(file: string, bytes: number): { log: RunLog; short: boolean } {
    let current = 0;
    try {
      current = statSync(file).size;
    } catch {
      current = 0;
    }
    if (current > bytes) truncateSync(file, bytes);
    const fd = openSync(file, 'a');
    return { log: new RunLog(file, fd, Math.min(current, bytes)), short: current < bytes };
  }

  /** Bytes written so far (what a checkpoint records). */
  get bytes(): number {
    return this.size;
  }

  append(record: LogRecord): void {
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    writeSync(this.fd, line);
    this.size += line.length;
  }

  /** Flushes to disk (before a checkpoint refers to this length). */
  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Parses a log's text (for tests and tools); skips blank lines. */
// @testSeam: tested directly
// @testSeam: tested directly
export function parseLog(text: string): LogRecord[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogRecord);
}
