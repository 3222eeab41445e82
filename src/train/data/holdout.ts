/**
 * Deterministic train / holdout split by a hash of each image's path relative to its folder, so
 * the split does not depend on where the data lives, on listing order, or on images added later
 * (a new file never moves an existing one across the split).
 */
import { hashString } from '../../util/rng.js';

/** FNV-1a of the path, then murmur3's finaliser, so similar names spread over [0, 1). */
function pathHashUnit(relativePath: string): number {
  let h = hashString(relativePath.split('\\').join('/'));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Share of the training images held out for validation when a caller gives none (every training phase). */
export const DEFAULT_HOLDOUT_FRACTION = 0.05;

interface Split {
  /** indices into the input list, ascending */
  train: number[];
  holdout: number[];
}

/**
 * Images whose hash falls below `fraction` are held out. With ≥ 2 images and fraction > 0 at least
 * one is held out (the lowest hash) and at least one is kept for training (the highest hash).
 */
export function splitByPathHash(relativePaths: readonly string[], fraction: number): Split {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`holdout fraction must be in [0, 1), got ${fraction}`);
  const u = relativePaths.map(pathHashUnit);
  const isHoldout = u.map((v) => v < fraction);
  if (fraction > 0 && relativePaths.length >= 2) {
    const order = u.map((_, i) => i).sort((a, b) => u[a]! - u[b]! || a - b);
    isHoldout[order[0]!] = true;
    isHoldout[order[order.length - 1]!] = false;
  }
  const train: number[] = [];
  const holdout: number[] = [];
  isHoldout.forEach((h, i) => (h ? holdout : train).push(i));
  return { train, holdout };
}
