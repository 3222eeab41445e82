/**
 * What a table says about the model: the weights folder and the provenance each of its configs
 * records (data, steps, compute, commit), read from the JSON sidecars beside the safetensors.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import type { ModelInfo } from './report.js';

export const IDENTITY_MODEL: ModelInfo = { kind: 'identity', label: 'identity (output = input: the degraded-input baseline)' };

/** Reads every abair weights config (*.json with format 'abair-weights') in `dir`. */
export async function describeWeightsDir(dir: string): Promise<ModelInfo> {
  let entries: string[];
  try {
    entries = (await fs.readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${dir}: ${code === 'ENOENT' ? 'weights folder not found' : code === 'ENOTDIR' ? 'not a folder (--weights takes the folder holding backbone.json, lora-*.json, estimator.json)' : (err as Error).message}`);
  }
  const provenance: Record<string, Record<string, unknown>> = {};
  for (const entry of entries.filter((e) => e.endsWith('.json'))) {
    try {
      const json = JSON.parse(await fs.readFile(path.join(dir, entry), 'utf8')) as { format?: string; provenance?: Record<string, unknown> };
      if (json.format === 'abair-weights') provenance[entry] = json.provenance ?? {};
    } catch {
      // not a weights config (or unreadable): the loader reports real problems
    }
  }
  return { kind: 'weights', label: `weights ${dir}`, weightsDir: dir, provenance };
}

/** "steps=3000, hours=2.5" from a provenance record (nested values as compact JSON). */
export function formatProvenance(record: Record<string, unknown>): string {
  const parts = Object.entries(record).map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  return parts.length ? parts.join(', ') : '(no provenance recorded)';
}
