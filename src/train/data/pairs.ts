/**
 * User-supplied paired data: an input folder and a target folder whose files match by relative
 * path (the extension may differ, e.g. rain/001.png ↔ clean/001.jpg).
 */
import { UserError } from '../../util/errors.js';
import type { RGBImage } from '../../image/types.js';
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
  constructor(readonly names: readonly string[], private readonly inputs: ImageSource, private readonly targets: ImageSource) {}

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
  return new PairedSources(names, imageSourceFromFiles(files(inputMap)), imageSourceFromFiles(files(targetMap)));
}

/** An in-memory pair source (tests). */
export function pairSourceFromImages(pairs: ReadonlyArray<{ input: Uint8Image; target: Uint8Image }>): PairSource {
  return new PairedSources(
    pairs.map((_, i) => `pair ${i}`),
    imageSourceFromImages(pairs.map((p) => p.input)),
    imageSourceFromImages(pairs.map((p) => p.target)),
  );
}
