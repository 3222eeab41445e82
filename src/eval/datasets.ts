/**
 * Finding the images of a benchmark folder: `<root>/<folder>/target/` holds the clean images and,
 * for real pairs, `<root>/<folder>/input/` the degraded ones, matched by base name (SOTS pairs a
 * .jpg input with a .png target). Order is natural ("2.png" before "10.png"), so "the first N
 * images" means the same files everywhere.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

interface BenchImage {
  /** base name without extension: the image's identity in seeds and reports */
  name: string;
  target: string;
  /** the real degraded input, for paired datasets */
  input?: string;
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

async function imageFiles(dir: string): Promise<Map<string, string>> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${dir}: ${code === 'ENOENT' ? 'benchmark folder not found (set --data or ABAIR_DATA to the folder holding the bench datasets)' : (err as Error).message}`);
  }
  const files = new Map<string, string>();
  for (const entry of entries.sort(naturalOrder)) {
    const ext = path.extname(entry).toLowerCase();
    if (!IMAGE_EXTENSIONS.has(ext)) continue;
    files.set(path.basename(entry, path.extname(entry)), path.join(dir, entry));
  }
  return files;
}

/** Every image of `<root>/<folder>`, paired with its input when `paired`. */
export async function listBenchImages(root: string, folder: string, paired: boolean): Promise<BenchImage[]> {
  const targets = await imageFiles(path.join(root, folder, 'target'));
  if (!paired) return [...targets].map(([name, target]) => ({ name, target }));
  const inputs = await imageFiles(path.join(root, folder, 'input'));
  const images: BenchImage[] = [];
  for (const [name, input] of inputs) {
    const target = targets.get(name);
    if (!target) throw new UserError(`${input}: no matching target in ${path.join(root, folder, 'target')}`);
    images.push({ name, input, target });
  }
  return images;
}
