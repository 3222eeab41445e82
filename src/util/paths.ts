/** Where things live relative to the package: the repo root and the shared data folder. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root (folder holding package.json), from dist/util or src/util. */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared data folder (train/clean, bench, fixtures). Development default: ../shared/data
 * beside the repo; override with ABAIR_DATA. Never hard-code this anywhere else.
 */
export function sharedDataDir(): string {
  return process.env.ABAIR_DATA ?? path.resolve(packageRoot, '..', 'shared', 'data');
}

/**
 * A folder as a weight file's provenance records it: relative to the shared data folder when it
 * lies inside it ('train/clean'), so shipped sidecars name the data, not one machine's layout;
 * any other folder as given.
 */
export function recordedDataPath(dir: string): string {
  const relative = path.relative(path.resolve(sharedDataDir()), path.resolve(dir));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : dir;
}
