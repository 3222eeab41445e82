/**
 * Profiles one Phase I training step (forward + backward via tf.variableGrads on the model's
 * createTrainable loss, phase 'backbone') in this thread, without workers, on tfjs-wasm.
 *
 *   node dist/bench/profile-step.js [--preset tiny] [--batch 4] [--patch 64] [--steps 5] [--warmup 1] [--top 25] [--json]
 *
 * Timing: the median wall time of `steps` unprofiled steps after `warmup` steps. Then one step runs
 * under tf.profile: wasm kernels are synchronous, so each kernel record's time is its wall time;
 * kernels are aggregated by name (total ms, count, MB allocated). Memory: the wasm heap size (it only
 * grows, so its size after the steps is the peak), tf.memory() tensors before/after a step (a
 * difference is a leak) and the profiler's peak of live tensor bytes.
 * --shapes N also lists the N costliest (kernel, input shapes) groups.
 * --json prints one machine-readable line instead of the tables (for A/B runs across builds).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initEngine, tf } from '../tfjs/backend.js';
import { createTrainable } from '../model/trainable.js';
import { Rng } from '../util/rng.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    batch: { type: 'string', default: '4' },
    patch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    top: { type: 'string', default: '25' },
    shapes: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: node dist/bench/profile-step.js [--preset tiny] [--batch 4] [--patch 64] [--steps 5] [--warmup 1] [--top 25] [--shapes 0] [--json]\n' +
    'One worker-free Phase I training step on tfjs-wasm: median step time, per-kernel time/count/bytes, wasm heap.');
  process.exit(0);
}
const preset = values.preset, batch = Number(values.batch), patch = Number(values.patch);
const steps = Number(values.steps), warmup = Number(values.warmup), top = Number(values.top);

await initEngine({ backend: 'wasm' });
const wasmHeapBytes = (): number => {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm?.HEAPU8.buffer.byteLength ?? 0;
};

const model = await createTrainable({ phase: 'backbone', preset, seed: 1, segWeight: 0.1 });
const classes = model.config.segClasses + 1;
const rng = new Rng(`profile-step:${preset}:${batch}:${patch}`);
const pixels = batch * patch * patch;
const input = new Float32Array(pixels * 3).map(() => rng.next());
const target = new Float32Array(pixels * 3).map(() => rng.next());
const seg = new Int32Array(pixels).map(() => rng.int(classes));
const batchTensors: Record<string, tf.Tensor> = {
  input: tf.tensor4d(input, [batch, patch, patch, 3]),
  target: tf.tensor4d(target, [batch, patch, patch, 3]),
  seg: tf.tensor3d(seg, [batch, patch, patch], 'int32'),
};
const varList = Object.values(model.params);

/** One training step: loss and gradients, then read them back (as the trainer does). */
function step(): number {
  const { value, grads } = tf.variableGrads(() => model.loss(batchTensors), varList);
  const loss = value.dataSync()[0]!;
  for (const g of Object.values(grads)) g.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

for (let i = 0; i < warmup; i++) step();
const tensorsBefore = tf.memory().numTensors;
const times: number[] = [];
let loss = 0;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  loss = step();
  times.push(performance.now() - t0);
}
const tensorsAfter = tf.memory().numTensors;

const profile = await tf.profile(() => { step(); });
interface Agg { name: string; ms: number; count: number; bytes: number }
const byName = new Map<string, Agg>();
let kernelMs = 0;
for (const k of profile.kernels) {
  const a = byName.get(k.name) ?? { name: k.name, ms: 0, count: 0, bytes: 0 };
  a.ms += k.kernelTimeMs as number;
  a.count += 1;
  a.bytes += Math.max(0, k.bytesAdded);
  kernelMs += k.kernelTimeMs as number;
  byName.set(k.name, a);
}
const aggs = [...byName.values()];
const result = {
  preset, batch, patch, params: varList.reduce((s, v) => s + v.size, 0),
  medianStepMs: median(times), minStepMs: Math.min(...times), loss,
  profiledKernelMs: kernelMs, kernelLaunches: profile.kernels.length,
  peakLiveMB: profile.peakBytes / 2 ** 20, wasmHeapMB: wasmHeapBytes() / 2 ** 20,
  tensorsLeakedPerStep: (tensorsAfter - tensorsBefore) / steps,
  load: os.loadavg()[0],
  kernels: Object.fromEntries(aggs.sort((a, b) => b.ms - a.ms).map((a) => [a.name, { ms: +a.ms.toFixed(1), count: a.count, mb: +(a.bytes / 2 ** 20).toFixed(1) }])),
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const row = (a: Agg) => `| ${a.name} | ${a.ms.toFixed(1)} | ${(100 * a.ms / kernelMs).toFixed(1)} | ${a.count} | ${(a.bytes / 2 ** 20).toFixed(1)} |`;
  console.log(`${preset} (${result.params} params), batch ${batch}×${patch}², wasm, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`step: median ${result.medianStepMs.toFixed(0)} ms, min ${result.minStepMs.toFixed(0)} ms over ${steps} steps (after ${warmup} warm-up); loss ${loss.toFixed(5)}`);
  console.log(`profiled step: ${kernelMs.toFixed(0)} ms in ${profile.kernels.length} kernel launches; peak live tensors ${result.peakLiveMB.toFixed(0)} MB; wasm heap ${result.wasmHeapMB.toFixed(0)} MB; tensors leaked per step ${result.tensorsLeakedPerStep}`);
  console.log('\nby total time\n| kernel | ms | % | count | MB allocated |\n|---|---|---|---|---|');
  for (const a of aggs.sort((x, y) => y.ms - x.ms).slice(0, top)) console.log(row(a));
  console.log('\nby count\n| kernel | ms | % | count | MB allocated |\n|---|---|---|---|---|');
  for (const a of aggs.sort((x, y) => y.count - x.count).slice(0, Math.min(top, 12))) console.log(row(a));
  const nShapes = Number(values.shapes);
  if (nShapes > 0) {
    // The same kernel on the same input shapes, aggregated: which calls cost the most.
    const byShape = new Map<string, Agg>();
    for (const k of profile.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}→${JSON.stringify(k.outputShapes)}`;
      const a = byShape.get(key) ?? { name: key, ms: 0, count: 0, bytes: 0 };
      a.ms += k.kernelTimeMs as number;
      a.count += 1;
      a.bytes += Math.max(0, k.bytesAdded);
      byShape.set(key, a);
    }
    console.log('\nby kernel and shapes\n| kernel inputs→outputs | ms | % | count | MB allocated |\n|---|---|---|---|---|');
    for (const a of [...byShape.values()].sort((x, y) => y.ms - x.ms).slice(0, nShapes)) console.log(row(a));
  }
}
