/**
 * clean-gate.json in a model folder (src/model/clean-gate.ts): the gate, the estimator file it was
 * fitted to (name and sha256, checked on load) and the provenance of the fit.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { fileDigest } from '../util/file-digest.js';
import { readJsonFile } from '../util/read-json.js';
import { CLEAN_GATE_FILE, CLEAN_GATE_FORMAT, CLEAN_GATE_VERSION, checkCleanGate, type CleanGate } from './clean-gate.js';
import type { Provenance } from './weights.js';

export interface LoadedCleanGate {
  file: string;
  gate: CleanGate;
  provenance: Provenance;
}

/** Writes `dir`/clean-gate.json (atomically) for the estimator file `estimatorFile`; returns its path. */
export async function saveCleanGate(dir: string, gate: CleanGate, estimatorFile: string, provenance: Provenance): Promise<string> {
  const file = path.join(dir, CLEAN_GATE_FILE);
  const record = { format: CLEAN_GATE_FORMAT, version: CLEAN_GATE_VERSION, estimator: { file: path.basename(estimatorFile), sha256_16: await fileDigest(estimatorFile) }, gate, provenance };
  await writeFileAtomic(file, JSON.stringify(record) + '\n');
  return file;
}

/**
 * The clean gate of a model folder, or null when it has none. Refuses (one-line UserError) a file
 * that is damaged, of another format, or fitted to another estimator than `estimatorFile`.
 */
export async function readCleanGate(dir: string, estimatorFile: string, classes: readonly string[]): Promise<LoadedCleanGate | null> {
  const file = path.join(dir, CLEAN_GATE_FILE);
  if (!(await stat(file).then(() => true, () => false))) return null;
  const json = await readJsonFile(file);
  const record = json as Record<string, unknown>;
  if (typeof json !== 'object' || record['format'] !== CLEAN_GATE_FORMAT) throw new UserError(`${file}: not a clean gate (format '${CLEAN_GATE_FORMAT}' expected)`);
  if (record['version'] !== CLEAN_GATE_VERSION) throw new UserError(`${file}: version ${String(record['version'])}, this abair reads version ${CLEAN_GATE_VERSION}`);
  const fitted = record['estimator'] as { sha256_16?: unknown } | undefined;
  const digest = await fileDigest(estimatorFile);
  if (fitted?.sha256_16 !== digest) {
    throw new UserError(`${file}: fitted to another estimator (sha256 ${String(fitted?.sha256_16)}, ${path.basename(estimatorFile)} is ${digest}); refit it with 'abair train clean-gate --model ${dir}' or remove it`);
  }
  let gate: CleanGate;
  try {
    gate = checkCleanGate(record['gate'], classes);
  } catch (err) {
    throw new UserError(`${file}: ${(err as Error).message}`);
  }
  const provenance = (typeof record['provenance'] === 'object' && record['provenance'] !== null ? record['provenance'] : {}) as Provenance;
  return { file, gate, provenance };
}
