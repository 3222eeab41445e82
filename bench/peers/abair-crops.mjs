#!/usr/bin/env node
/**
 * abair's side of a peer comparison: restores the same centre crops that a peer script measures
 * (Rain100H input i.png, centre crop² after 8-bit quantisation) with abair's default model, and
 * prints one JSON object on stdout. A separate process from the peer on purpose: the peer loads
 * its own TensorFlow.js copy, and two tfjs copies in one process share tfjs's global engine.
 *
 *   node bench/peers/abair-crops.mjs --images 2 --crop 256 [--mode sw] [--runtime node|wasm] [--data <bench dir>]
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => path.join(repo, 'dist', p);
const { createRestorer } = await import(dist('index.js'));
const { psnr, ssim, centerCrop } = await import(dist('metrics/index.js'));
const { readImage } = await import(dist('io/image-io.js'));
const { quantise8 } = await import(dist('eval/protocol.js'));
const { defaultModelDir } = await import(dist('restore/default-model.js'));

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '2' },
    crop: { type: 'string', default: '256' },
    mode: { type: 'string', default: 'sw' },
    runtime: { type: 'string' },
    data: { type: 'string' },
  },
});
const crop = Number(args.crop);
const count = Number(args.images);
if (!Number.isInteger(crop) || crop < 8 || !Number.isInteger(count) || count < 1) {
  console.error('abair-crops: --crop must be an integer ≥ 8 and --images a positive integer');
  process.exit(2);
}
const bench = args.data ?? path.join(process.env.ABAIR_DATA ?? path.resolve(repo, '..', 'shared', 'data'), 'bench');

const restorer = createRestorer(args.runtime ? { runtime: args.runtime } : {});
await restorer.load();
// warm-up on one crop so the first measured image does not pay for session set-up
const first = quantise8(centerCrop((await readImage(path.join(bench, 'Rain100H', 'input', '1.png'))).image, crop, crop));
await restorer.restore(toRaw(first), { mode: args.mode });

function toRaw(img) {
  return { data: Uint8Array.from(img.data, (v) => Math.round(v * 255)), width: img.width, height: img.height, channels: 3 };
}

const rows = [];
for (let i = 1; i <= count; i++) {
  const input = quantise8(centerCrop((await readImage(path.join(bench, 'Rain100H', 'input', `${i}.png`))).image, crop, crop));
  const target = quantise8(centerCrop((await readImage(path.join(bench, 'Rain100H', 'target', `${i}.png`))).image, crop, crop));
  const started = performance.now();
  const result = await restorer.restore(toRaw(input), { mode: args.mode });
  const seconds = (performance.now() - started) / 1000;
  const restored = quantise8(result.image);
  rows.push({ image: `Rain100H/${i}.png (centre ${crop}²)`, psnr: psnr(restored, target), ssim: ssim(restored, target), seconds, adapterWeights: result.weights });
}
restorer.dispose();
// which weights produced the numbers: a digest over the model folder's .safetensors files
const modelDir = defaultModelDir();
const hash = createHash('sha256');
for (const f of readdirSync(modelDir).filter((f) => f.endsWith('.safetensors')).sort()) hash.update(f).update(readFileSync(path.join(modelDir, f)));
console.log(JSON.stringify({ model: path.relative(repo, modelDir) || modelDir, modelDigest: hash.digest('hex').slice(0, 16), engine: `onnx${args.runtime ? ` (${args.runtime})` : ''}`, mode: args.mode, rows }));
