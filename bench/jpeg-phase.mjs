#!/usr/bin/env node
/**
 * Diagnostic (session 14): does the restoring network care where JPEG's block grid falls in its
 * input? JPEG codes 8×8 blocks (16×16 macroblocks under 4:2:0) counted from the image's top-left
 * pixel, and the jpeg adapter was trained on patches coded from their own origin. A tile that
 * starts k pixels into the image sees the grid shifted by k.
 *
 * Per held-out training image (the first N of the split every training phase holds out, sorted):
 * code the whole 8-bit image as JPEG at quality Q (libjpeg via sharp, 4:2:0, as the LIVE1 suite
 * does), then drop its first k rows and columns and keep a (W − 16)×(H − 16) window, for k in
 * 0, 1, 2, 4, 8, 16; restore that window whole (one tile) with the jpeg adapter forced
 * (`adapter:jpeg`, the oracle) on the ONNX engine; RGB PSNR against the same window of the clean
 * image. The gain (restored − input) at k = 1, 2, 4 against k = 0, 8, 16 is what a tile off the
 * grid costs; TILE_ALIGN (src/restore/tile-plan.ts) keeps the default layout's tiles on it.
 *
 *   npm run build && node bench/jpeg-phase.mjs [--images 8] [--quality 20] [--model dir]
 */
import { cpus } from 'node:os';
import { readImage } from '../dist/io/image-io.js';
import { quantise8 } from '../dist/eval/protocol.js';
import { jpegRoundTrip } from '../dist/degrade/types/jpeg.js';
import { toUint8 } from '../dist/degrade/quantize.js';
import { psnr } from '../dist/metrics/index.js';
import { createRestorer } from '../dist/restore/restorer.js';
import { heldOutImages, option } from './held-out.mjs';

const count = Number(option('--images', '8'));
const quality = Number(option('--quality', '20'));
const modelDir = option('--model');
if (!(Number.isInteger(count) && count > 0)) throw new Error('--images takes a positive integer');
if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new Error('--quality takes an integer in 1..100');

const { trainDir, files } = await heldOutImages(count);
const restorer = createRestorer({ runtime: 'onnx', ...(modelDir ? { weights: modelDir } : {}) });
await restorer.load();

/** The w×h window of `img` whose top-left pixel is (k, k). */
function window(img, k, w, h) {
  const out = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((y + k) * img.width + k) * 3, ((y + k) * img.width + k + w) * 3), y * w * 3);
  return { width: w, height: h, data: out };
}

const SHIFTS = [0, 1, 2, 4, 8, 16];
const sums = new Map(SHIFTS.map((k) => [k, { input: 0, restored: 0 }]));
for (const file of files) {
  const clean = quantise8((await readImage(file)).image);
  const coded = quantise8(await jpegRoundTrip(clean, quality));
  const w = clean.width - 16;
  const h = clean.height - 16;
  // one tile per window, whatever its size
  const tileSize = Math.max(w, h);
  for (const k of SHIFTS) {
    const target = window(clean, k, w, h);
    const input = window(coded, k, w, h);
    const r = await restorer.restore({ data: toUint8(input), width: w, height: h, channels: 3 }, { mode: 'adapter:jpeg', tileSize });
    const s = sums.get(k);
    s.input += psnr(input, target);
    s.restored += psnr(quantise8(r.image), target);
  }
  process.stderr.write('.');
}
process.stderr.write('\n');
console.log(`machine: ${cpus()[0].model}; model: ${modelDir ?? 'weights/default'}; ${files.length} held-out images of ${trainDir}; JPEG Q${quality} 4:2:0 coded whole; oracle jpeg adapter, ONNX, one tile; RGB PSNR (dB), means`);
console.log('shift k   input   restored   gain');
for (const k of SHIFTS) {
  const s = sums.get(k);
  const n = files.length;
  console.log(`${String(k).padStart(7)} ${(s.input / n).toFixed(3).padStart(7)} ${(s.restored / n).toFixed(3).padStart(10)} ${((s.restored - s.input) / n).toFixed(3).padStart(6)}`);
}
restorer.dispose();
