/**
 * The clean gate of a model folder for a bench script, read as a restore reads it
 * (readCleanGate: format, version, and the estimator it was fitted to), with the estimator's
 * classes from its sidecar.
 */
import path from 'node:path';
import { readCleanGate, type LoadedCleanGate } from '../model/clean-gate-file.js';
import { ESTIMATOR_FILE, readSidecar } from '../model/weights.js';

export async function modelGate(dir: string): Promise<LoadedCleanGate> {
  const estimatorFile = path.join(dir, ESTIMATOR_FILE);
  const sidecar = await readSidecar(estimatorFile);
  if (sidecar.kind !== 'estimator') throw new Error(`${estimatorFile}: not an estimator`);
  const gate = await readCleanGate(dir, estimatorFile, sidecar.config.classes);
  if (!gate) throw new Error(`${dir}: no clean gate (clean-gate.json)`);
  return gate;
}
