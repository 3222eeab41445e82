/**
 * One Phase I step on the ONNX Runtime engine at a given preset, batch and patch (synthetic
 * batch): exits 0 when it ran, 1 when it did not fit. Run by max-batch.ts under a memory limit.
 *
 *   node dist/bench/max-batch-child.js PRESET BATCH PATCH
 */
import { presetConfig } from '../model/config.js';
import { OrtPretrainTrainer } from '../train-ort/ort-trainer.js';
import type { HostBatch } from '../train-ort/host-batch.js';

const [preset = 'small', b = '8', p = '64'] = process.argv.slice(2);
const batch = Number(b), patch = Number(p);
const config = presetConfig(preset);
try {
  const trainer = await OrtPretrainTrainer.create({ config, batch, patch, optimizer: { lr: 1e-4, weightDecay: 1e-4, clipNorm: 1 } });
  const size = batch * patch * patch * 3;
  const image = Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 255) / 255);
  const seg = new Int32Array(batch * patch * patch);
  const input: HostBatch = { input: { data: image, shape: [batch, patch, patch, 3] }, target: { data: image.slice().reverse(), shape: [batch, patch, patch, 3] }, seg: { data: seg, shape: [batch, patch, patch] } };
  const t0 = performance.now();
  const r = await trainer.step(input);
  const rss = process.memoryUsage().rss;
  console.log(JSON.stringify({ ok: Number.isFinite(r.loss), seconds: (performance.now() - t0) / 1000, rssGiB: rss / 2 ** 30 }));
  await trainer.dispose();
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err instanceof Error ? err.message : err).split('\n')[0]!.slice(0, 200) }));
  process.exit(1);
}
