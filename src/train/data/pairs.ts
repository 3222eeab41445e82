/**
 * User-supplied paired data: an input folder and a target folder whose files match by relative
 * path (the extension may differ, e.g. rain/001.png ↔ clean/001.jpg).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import type { RGBImage } from '../../image/types.js';
import { splitByPathHash } from './holdout.js';
import { imageSourceFromFiles, imageSourceFromImages, listImages, type ImageSource, type ListedImage } from './image-source.js';
import { toFloatImage, type Uint8Image } from './raw-image.js';

export interface PairSource {
  readonly size: number;
  /** relative path without extension, per pair */
  readonly names: readonly string[];
  get(i: number): Promise<{ input: RGBImage; target: RGBImage }>;
  /** the cached 8-bit pair (same size guaranteed); do not modify */
  getRaw(i: number): Promise<{ input: Uint8Image; target: Uint8Image }>;
}

const stem = (relative: string) => relative.replace(/\.[^./]+$/, '');

function byStem(images: ListedImage[], dir: string): Map<string, ListedImage> {
  const map = new Map<string, ListedImage>();
  for (const img of images) {
    const key = stem(img.relative);
    const other = map.get(key);
    if (other) throw new UserError(`${dir}: '${other.relative}' and '${img.relative}' have the same name; pairs are matched by name`);
    map.set(key, img);
  }
  return map;
}

function listSome(names: string[]): string {
  const shown = names.slice(0, 8).join(', ');
  return names.length > 8 ? `${shown}, … (${names.length} in all)` : shown;
}

class PairedSources implements PairSource {
  constructor(
    readonly names: readonly string[],
    private readonly inputs: ImageSource,
    private readonly targets: ImageSource,
    /** the input and target files, per pair (empty for in-memory pairs) */
    readonly files: ReadonlyArray<{ input: string; target: string }> = [],
  ) {}

  get size(): number {
    return this.names.length;
  }

  async getRaw(i: number): Promise<{ input: Uint8Image; target: Uint8Image }> {
    const [input, target] = await Promise.all([this.inputs.getRaw(i), this.targets.getRaw(i)]);
    if (input.width !== target.width || input.height !== target.height) {
      throw new UserError(
        `pair '${this.names[i]}': input ${this.inputs.names[i]} is ${input.width}×${input.height} but target ${this.targets.names[i]} is ${target.width}×${target.height}`,
      );
    }
    return { input, target };
  }

  async get(i: number): Promise<{ input: RGBImage; target: RGBImage }> {
    const raw = await this.getRaw(i);
    return { input: toFloatImage(raw.input), target: toFloatImage(raw.target) };
  }
}

/** Opens matched pairs; refuses unmatched files on either side, listing them. */
export async function openPairFolders(inputDir: string, targetDir: string): Promise<PairSource> {
  const [inputs, targets] = await Promise.all([listImages(inputDir), listImages(targetDir)]);
  if (inputs.length === 0) throw new UserError(`${inputDir}: no images found`);
  if (targets.length === 0) throw new UserError(`${targetDir}: no images found`);
  const inputMap = byStem(inputs, inputDir);
  const targetMap = byStem(targets, targetDir);
  const onlyInput = [...inputMap.keys()].filter((k) => !targetMap.has(k));
  const onlyTarget = [...targetMap.keys()].filter((k) => !inputMap.has(k));
  if (onlyInput.length > 0 || onlyTarget.length > 0) {
    const parts: string[] = [];
    if (onlyInput.length > 0) parts.push(`in ${inputDir} only: ${listSome(onlyInput)}`);
    if (onlyTarget.length > 0) parts.push(`in ${targetDir} only: ${listSome(onlyTarget)}`);
    throw new UserError(`input and target files do not match by name (${parts.join('; ')})`);
  }
  const names = [...inputMap.keys()]; // already sorted: listImages sorts by relative path
  const files = (map: Map<string, ListedImage>) => names.map((n) => map.get(n)!.file);
  const inputFiles = files(inputMap);
  const targetFiles = files(targetMap);
  return new PairedSources(names, imageSourceFromFiles(inputFiles), imageSourceFromFiles(targetFiles), names.map((_, i) => ({ input: inputFiles[i]!, target: targetFiles[i]! })));
}

/**
 * `dir` holding `input/` and `target/` (the layout of the bench folders), or two folders given
 * separately. Checks the folders exist, with one clear line each.
 */
export async function resolvePairFolders(spec: string | readonly [string, string]): Promise<[string, string]> {
  const [input, target] = typeof spec === 'string' ? [path.join(spec, 'input'), path.join(spec, 'target')] : spec;
  for (const dir of [input, target]) {
    const s = await stat(dir).catch(() => null);
    if (!s?.isDirectory()) {
      throw new UserError(typeof spec === 'string' ? `${spec}: a pairs folder needs input/ (degraded) and target/ (clean) subfolders; ${dir} ${s ? 'is not a folder' : 'is missing'}` : `${dir}: pairs folder not found`);
    }
  }
  return [path.resolve(input), path.resolve(target)];
}

/**
 * Opens the pairs, then decodes up to `samples` of them (spread over the list) so that unreadable
 * files, size mismatches and pairs whose input equals its target fail before any training.
 */
export async function openCheckedPairs(inputDir: string, targetDir: string, samples = 8): Promise<PairSource> {
  const pairs = await openPairFolders(inputDir, targetDir);
  const n = Math.min(samples, pairs.size);
  let identical = 0;
  for (let k = 0; k < n; k++) {
    const i = Math.floor((k * pairs.size) / n);
    let raw;
    try {
      raw = await pairs.getRaw(i);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`pair '${pairs.names[i]}': cannot decode (${(err as Error).message})`);
    }
    if (Buffer.from(raw.input.data.buffer, raw.input.data.byteOffset, raw.input.data.byteLength).equals(Buffer.from(raw.target.data.buffer, raw.target.data.byteOffset, raw.target.data.byteLength))) identical++;
  }
  if (identical === n) throw new UserError(`${inputDir}: the input of every pair checked equals its target (${n} of ${pairs.size}); nothing to learn`);
  return pairs;
}

/** Pairs i of `indices` of `source`, in that order (a train or held-out split). */
function subsetPairs(source: PairSource, indices: readonly number[]): PairSource {
  return {
    size: indices.length,
    names: indices.map((i) => source.names[i]!),
    get: (k) => source.get(indices[k]!),
    getRaw: (k) => source.getRaw(indices[k]!),
  };
}

/**
 * Splits pairs by a hash of their names, as the photo folders are split: `fraction` held out
 * (with ≥ 2 pairs at least one is, and one is kept).
 */
export function splitPairs(source: PairSource, fraction: number): { train: PairSource; holdout: PairSource } {
  const split = splitByPathHash(source.names, fraction);
  return { train: subsetPairs(source, split.train), holdout: subsetPairs(source, split.holdout) };
}

/**
 * A digest of a pair folder's content: each pair's name and the bytes of both files, so a resumed
 * run or a later estimator run can tell the pairs did not change.
 */
export async function pairsDigest(source: PairSource): Promise<string> {
  const files = (source as Partial<PairedSources>).files;
  if (!files || files.length !== source.size) throw new Error('pairsDigest needs pairs opened from folders');
  const hash = createHash('sha256');
  for (const [i, f] of files.entries()) {
    hash.update(`${source.names[i]}\0`);
    for (const file of [f.input, f.target]) {
      const bytes = await readFile(file);
      hash.update(`${bytes.length}\0`).update(bytes);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** An in-memory pair source (tests). */
// @testSeam: tested directly
// @testSeam: tested directly
export function pairSourceFromImages(pairs: ReadonlyArray<{ input: Uint8Image; target: Uint8Image }>): PairSource {
  return new PairedSources(
    pairs.map((_, i) => `pair ${i}`),
    imageSourceFromImages(pairs.map((p) => p.input)),
    imageSourceFromImages(pairs.map((p) => p.target)),
  );
}
