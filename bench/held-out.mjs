/**
 * Shared by the held-out benches (bench/sw-blend.mjs, bench/estimator-crop-grid.mjs,
 * bench/jpeg-phase.mjs): their
 * command-line options and the held-out split of the training photos, exactly the one every
 * training phase holds out (openImageFolders' path-hash split, fraction 0.05), from dist/.
 */
import path from 'node:path';
import { openImageFolders } from '../dist/train/data/image-source.js';
import { sharedDataDir } from '../dist/util/paths.js';

/** `--name value` from argv, or `fallback` when absent; a flag without its value is an error. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  if (i + 1 >= args.length) throw new Error(`${name} needs a value`);
  return args[i + 1];
}

/**
 * The training folder and its held-out image paths, sorted (the first `limit` when given), with
 * the split's sizes: `heldOut` held-out images of `heldOut + trained` in all.
 */
export async function heldOutImages(limit) {
  const trainDir = path.join(sharedDataDir(), 'train', 'clean');
  const { train, holdout } = await openImageFolders([trainDir]);
  const files = [...holdout.names].sort();
  return { trainDir, files: limit === undefined ? files : files.slice(0, limit), heldOut: files.length, trained: train.size };
}
