/**
 * Folders of clean training photos as an indexable, lazily decoded, cached image list, split into
 * train and holdout by path hash (see holdout.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import type { RGBImage } from '../../image/types.js';
import { DEFAULT_HOLDOUT_FRACTION, splitByPathHash } from './holdout.js';
import { decodeUint8, toFloatImage, type Uint8Image } from './raw-image.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

export interface ImageSource {
  readonly size: number;
  /** a name per image, for messages and logs (the file path for folder sources) */
  readonly names: readonly string[];
  /** The image as float RGB in [0,1] (a fresh copy). */
  get(i: number): Promise<RGBImage>;
  /** The cached 8-bit image: what batch builders crop from. Do not modify. */
  getRaw(i: number): Promise<Uint8Image>;
}

export interface ListedImage {
  /** absolute path */
  file: string;
  /** path relative to the folder it was found in, with '/' separators */
  relative: string;
}

/** JPEG/PNG/WebP/TIFF files under `dir`, recursively, sorted by relative path (stable order). */
export async function listImages(dir: string): Promise<ListedImage[]> {
  let entries: string[];
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new UserError(`${dir}: not a folder`);
    entries = await fs.readdir(dir, { recursive: true });
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${dir}: ${code === 'ENOENT' ? 'folder not found' : (err as Error).message}`);
  }
  const files = entries
    .map((e) => e.split(path.sep).join('/'))
    .filter((e) => IMAGE_EXTENSIONS.has(path.extname(e).toLowerCase()))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return files.map((relative) => ({ file: path.resolve(dir, relative), relative }));
}

interface CacheOptions {
  /** decoded bytes kept in memory before the least recently used image is dropped (default 4 GiB) */
  maxCacheBytes?: number;
}

/**
 * Decodes on first use and keeps the 8-bit image (least recently used dropped past the cap).
 * Concurrent requests for one image share a single decode.
 */
class CachedFileSource implements ImageSource {
  private readonly cache = new Map<number, Promise<Uint8Image>>();
  private cachedBytes = 0;
  private readonly bytesOf = new Map<number, number>();

  constructor(private readonly files: readonly string[], private readonly maxCacheBytes: number) {}

  get size(): number {
    return this.files.length;
  }

  get names(): readonly string[] {
    return this.files;
  }

  async get(i: number): Promise<RGBImage> {
    return toFloatImage(await this.getRaw(i));
  }

  getRaw(i: number): Promise<Uint8Image> {
    if (!Number.isInteger(i) || i < 0 || i >= this.files.length) throw new RangeError(`image index ${i} out of range [0, ${this.files.length})`);
    const hit = this.cache.get(i);
    if (hit) {
      this.cache.delete(i); // re-insert: Map order is the recency order
      this.cache.set(i, hit);
      return hit;
    }
    const pending = decodeUint8(this.files[i]!);
    this.cache.set(i, pending);
    pending.then(
      (img) => this.account(i, img.data.byteLength),
      () => this.cache.delete(i), // a failed decode is retried (and fails loudly) next time
    );
    return pending;
  }

  private account(i: number, bytes: number): void {
    if (!this.cache.has(i)) return;
    this.bytesOf.set(i, bytes);
    this.cachedBytes += bytes;
    for (const key of this.cache.keys()) {
      if (this.cachedBytes <= this.maxCacheBytes || key === i) break;
      this.cache.delete(key);
      this.cachedBytes -= this.bytesOf.get(key) ?? 0;
      this.bytesOf.delete(key);
    }
  }
}

interface ImageFolderOptions extends CacheOptions {
  /** fraction of images held out for validation (default DEFAULT_HOLDOUT_FRACTION; 0 = none) */
  holdout?: number;
}

/**
 * All images under `dirs`, split into train and holdout by a hash of each relative path.
 * The train source never contains a holdout image.
 */
export async function openImageFolders(
  dirs: string[],
  options: ImageFolderOptions = {},
): Promise<{ train: ImageSource; holdout: ImageSource }> {
  if (dirs.length === 0) throw new UserError('no image folder given');
  const listed: ListedImage[] = [];
  for (const dir of dirs) {
    const images = await listImages(dir);
    if (images.length === 0) throw new UserError(`${dir}: no images found (looked for ${[...IMAGE_EXTENSIONS].join(' ')}, recursively)`);
    listed.push(...images);
  }
  const split = splitByPathHash(listed.map((l) => l.relative), options.holdout ?? DEFAULT_HOLDOUT_FRACTION);
  const cap = options.maxCacheBytes ?? 4 * 1024 ** 3;
  return {
    train: new CachedFileSource(split.train.map((i) => listed[i]!.file), cap),
    holdout: new CachedFileSource(split.holdout.map((i) => listed[i]!.file), cap),
  };
}

/** A lazily decoded, cached source over an explicit file list (no listing, no split). */
export function imageSourceFromFiles(files: readonly string[], options: CacheOptions = {}): ImageSource {
  return new CachedFileSource(files, options.maxCacheBytes ?? 4 * 1024 ** 3);
}

/** An in-memory source (tests, or images already decoded elsewhere). */
export function imageSourceFromImages(images: readonly Uint8Image[], names?: readonly string[]): ImageSource {
  return {
    size: images.length,
    names: names ?? images.map((_, i) => `image ${i}`),
    get: async (i) => toFloatImage(images[i]!),
    getRaw: async (i) => {
      const img = images[i];
      if (!img) throw new RangeError(`image index ${i} out of range [0, ${images.length})`);
      return img;
    },
  };
}
