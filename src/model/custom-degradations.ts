/**
 * The record of degradation types added to a model folder (`abair add-degradation`):
 * `<model>/degradations.json`. It says where each type's training data came from (a generator
 * module, copied into the folder as degradation-<name>.mjs, and/or a folder of real pairs, by
 * digest), so a later estimator run can synthesise the class again, and what its training cost.
 * A model without added types has no such file. Restoring never reads it: the adapters and the
 * estimator's classes are found by name.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

export const CUSTOM_DEGRADATIONS_FILE = 'degradations.json';
const CUSTOM_DEGRADATIONS_FORMAT = 'abair-degradations';
const CUSTOM_DEGRADATIONS_VERSION = 1;

/** The copy of a type's generator module inside the model folder. */
export const generatorFile = (name: string) => `degradation-${name}.mjs`;

export interface PhaseCost {
  steps: number;
  wallSec: number;
  cpuHours: number;
}

export interface AddedDegradation {
  /** one line */
  description: string;
  /** a built-in type trained with --synthetic: the estimator synthesises it itself */
  builtin?: boolean;
  generator?: { file: string; sha256_16: string };
  /** the pair folders as given (absolute), their content digest, and the split */
  pairs?: { input: string; target: string; digest: string; count: number; heldOut: number };
  adapter: PhaseCost & { rank: number; validation?: Record<string, number | undefined> };
  estimator: PhaseCost & { classes: string[]; validation?: Record<string, number | undefined> };
  /** both phases together; cpuHours is wall × workers, as every weight file's provenance counts it */
  cpuHours: number;
  wallSec: number;
  /**
   * measured CPU seconds of the add-degradation process (user + system, all threads, over the
   * sessions of a resumed run that ended by finishing or by Ctrl-C); less than cpuHours on a shared machine
   */
  cpuSec?: number;
  command: string | null;
  addedAt: string;
  /** the add-degradation run that produced it (so `--resume` after publishing knows it is done) */
  runId: string;
}

interface CustomDegradations {
  format: typeof CUSTOM_DEGRADATIONS_FORMAT;
  version: number;
  types: Record<string, AddedDegradation>;
}

function emptyCustomDegradations(): CustomDegradations {
  return { format: CUSTOM_DEGRADATIONS_FORMAT, version: CUSTOM_DEGRADATIONS_VERSION, types: {} };
}

/** The folder's record, or an empty one when it has none. */
export async function readCustomDegradations(modelDir: string): Promise<CustomDegradations> {
  const file = path.join(modelDir, CUSTOM_DEGRADATIONS_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyCustomDegradations();
    throw new UserError(`${file}: ${(err as Error).message}`);
  }
  let parsed: CustomDegradations;
  try {
    parsed = JSON.parse(text) as CustomDegradations;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (parsed?.format !== CUSTOM_DEGRADATIONS_FORMAT || typeof parsed.types !== 'object' || parsed.types === null) {
    throw new UserError(`${file}: not an abair degradations record (format '${CUSTOM_DEGRADATIONS_FORMAT}' expected)`);
  }
  if (parsed.version > CUSTOM_DEGRADATIONS_VERSION) throw new UserError(`${file}: version ${parsed.version} is newer than this abair reads (${CUSTOM_DEGRADATIONS_VERSION})`);
  return parsed;
}

/** One line per added type, for `abair model info`. */
export function describeCustomDegradations(record: CustomDegradations): string[] {
  return Object.entries(record.types).map(([name, t]) => {
    const from = [
      t.builtin ? 'built-in generator' : null,
      t.generator ? `generator ${t.generator.file} (sha256 ${t.generator.sha256_16})` : null,
      t.pairs ? `${t.pairs.count} pairs from ${path.dirname(t.pairs.input)} (digest ${t.pairs.digest}, ${t.pairs.heldOut} held out)` : null,
    ].filter(Boolean).join(' + ');
    const val = t.adapter.validation;
    const gain = val && typeof val.psnr === 'number' && typeof val.inputPsnr === 'number' ? `, validation ${val.inputPsnr.toFixed(2)} → ${val.psnr.toFixed(2)} dB` : '';
    const cpu = t.cpuSec !== undefined ? `, ${(t.cpuSec / 60).toFixed(1)} CPU-min measured` : '';
    return `  ${name}: ${from}; adapter rank ${t.adapter.rank}, ${t.adapter.steps} steps${gain}; estimator ${t.estimator.steps} steps; ${(t.wallSec / 60).toFixed(1)} min wall (${t.cpuHours} CPU-h as wall × workers${cpu}), added ${t.addedAt.slice(0, 10)}`;
  });
}
