/**
 * A model folder stored in half precision: every float32 tensor of every .safetensors file
 * re-encoded as F16 (the loaders decode F16 to float32, so nothing else changes), the other files
 * (the .json sidecars with their provenance, a custom type's generator) copied as they are. Half
 * the download for the same architecture; whether outputs stay close enough is measured, not
 * assumed (docs/decisions.md).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadSafetensors, saveSafetensors, type TensorToStore } from '../io/safetensors.js';
import { UserError } from '../util/errors.js';

interface HalfPrecisionResult {
  files: { name: string; bytesBefore: number; bytesAfter: number; tensors: number }[];
  copied: string[];
}

/**
 * Writes `from` (a model folder) to `to` in half precision. `to` must not exist: the folder is
 * written under a temporary name beside it and renamed at the end, so an interrupted run leaves
 * no half-converted model.
 */
export async function writeHalfPrecision(from: string, to: string): Promise<HalfPrecisionResult> {
  const stat = await fs.stat(from).catch(() => null);
  if (!stat?.isDirectory()) throw new UserError(`${from}: not a model folder`);
  if (await fs.stat(to).catch(() => null)) throw new UserError(`${to}: already exists (give a new folder)`);
  const names = (await fs.readdir(from, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  if (!names.some((n) => n.endsWith('.safetensors'))) throw new UserError(`${from}: no .safetensors files to convert`);
  const temp = `${to}.partial-${process.pid}`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp, { recursive: true });
  const result: HalfPrecisionResult = { files: [], copied: [] };
  try {
    for (const name of names) {
      const source = path.join(from, name);
      if (!name.endsWith('.safetensors')) {
        await fs.copyFile(source, path.join(temp, name));
        result.copied.push(name);
        continue;
      }
      const { tensors, metadata } = await loadSafetensors(source);
      const stored: Record<string, TensorToStore> = {};
      for (const [key, t] of Object.entries(tensors)) {
        stored[key] = { shape: t.shape, data: t.data, ...(t.dtype === 'F32' || t.dtype === 'F16' ? { dtype: 'F16' as const } : {}) };
        const values = t.data;
        if (values instanceof Float32Array && values.some((v) => Math.abs(v) > 65504)) {
          throw new UserError(`${source}: tensor '${key}' holds values beyond half precision's range (±65504)`);
        }
      }
      await saveSafetensors(path.join(temp, name), stored, metadata);
      const [before, after] = await Promise.all([fs.stat(source), fs.stat(path.join(temp, name))]);
      result.files.push({ name, bytesBefore: before.size, bytesAfter: after.size, tensors: Object.keys(tensors).length });
    }
    await fs.rename(temp, to);
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true });
    throw err;
  }
  return result;
}
