/** Test helper: a folder of small synthetic photos (smooth gradients + a few shapes) as PNGs. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../util/rng.js';

/** `prefix` seeds the images: another prefix gives other images (e.g. held-out test samples). */
export async function writeTestImages(dir: string, count = 8, size = 64, prefix = 'test-image'): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const rng = new Rng(`${prefix}:${i}`);
    const px = Buffer.alloc(size * size * 3);
    const c0 = [rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)];
    const c1 = [rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)];
    const box = [rng.int(size / 2), rng.int(size / 2), rng.intRange(8, size / 2)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const t = (x + y) / (2 * size);
        const inBox = x >= box[0]! && x < box[0]! + box[2]! && y >= box[1]! && y < box[1]! + box[2]!;
        for (let c = 0; c < 3; c++) {
          const v = inBox ? 1 - c0[c]! : c0[c]! * (1 - t) + c1[c]! * t;
          px[(y * size + x) * 3 + c] = Math.round(255 * v);
        }
      }
    }
    await sharp(px, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path.join(dir, `img${i}.png`));
  }
  return dir;
}
