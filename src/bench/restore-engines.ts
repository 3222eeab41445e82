/**
 * tfjs-wasm vs ONNX Runtime on the same model and image, in one process.
 *
 *   node dist/bench/restore-engines.js [--preset small] [--size 512] [--runs 3] [--adapters 5] [--skip-tfjs]
 *   node dist/bench/restore-engines.js --preset small --whole 4000x3000   (ONNX only: full restorer, tiles 512/32, peak RSS)
 *
 * The model is random (labelled as such): speed does not depend on the values. Reports seconds
 * per megapixel (median of --runs timed tiles after one warm-up), the speed-up, the per-image
 * `prepare` cost, both ONNX adapter modes (merged weights as inputs vs adapter branches), and the
 * machine's load average so numbers from a busy machine are recognisable.
 */
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { initEngine, tf } from '../engine/backend.js';
import { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../model/index.js';
import { randomImages, randomize } from '../model/test-helpers.js';
import type { RestorationEngine } from '../restore/engine.js';
import { createModelEngine } from '../restore/model-engine.js';
import { createOnnxEngine } from '../restore/onnx-engine.js';
import { createRestorer } from '../restore/restorer.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const preset = flag('preset', 'small');
const size = Number(flag('size', '512'));
const runs = Number(flag('runs', '3'));
const adapterCount = Number(flag('adapters', '5'));
const whole = flag('whole', '');

async function writeRandomModel(): Promise<string> {
  const config = presetConfig(preset);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-bench-engines-'));
  const base = createBackbone(config, 1);
  await saveBackbone(dir, config, base, { preset, provenance: { note: 'random weights (benchmark)' } });
  const names = Array.from({ length: adapterCount }, (_, i) => `d${i}`);
  for (const [i, name] of names.entries()) {
    const adapter = createAdapter(name, loraTargets(config), { seed: i });
    randomize(adapter.params, '.B', 0.05, i);
    await saveAdapter(dir, adapter, config);
    disposeParams(adapter.params);
  }
  const est = createEstimator(estimatorConfig(names), 2);
  await saveEstimator(dir, estimatorConfig(names), est);
  disposeParams(est);
  disposeParams(base);
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeEngine(label: string, engine: RestorationEngine): Promise<{ label: string; sPerMP: number; prepareMs: number }> {
  const weights = Float32Array.from({ length: engine.classes.length }, (_, k) => (k + 1) / ((engine.classes.length * (engine.classes.length + 1)) / 2));
  let t = performance.now();
  await engine.prepare(weights);
  const prepareMs = performance.now() - t;
  const tile = randomImages(1, size, size, 3, 5);
  tf.dispose(engine.restoreTile(tile)); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    t = performance.now();
    const out = engine.restoreTile(tile);
    await out.data();
    times.push(performance.now() - t);
    out.dispose();
  }
  tile.dispose();
  const sPerMP = median(times) / 1000 / ((size * size) / 1e6);
  console.log(JSON.stringify({ engine: label, preset, weights: 'random', tile: `${size}x${size}`, runsMs: times.map((x) => Math.round(x)), sPerMP: Number(sPerMP.toFixed(3)), prepareMs: Math.round(prepareMs) }));
  return { label, sPerMP, prepareMs };
}

async function main(): Promise<void> {
  await initEngine({ backend: 'wasm' });
  console.log(JSON.stringify({ machine: `${os.cpus()[0]?.model} ×${os.cpus().length}`, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), node: process.version }));
  const dir = await writeRandomModel();
  try {
    if (whole) {
      const [width, height] = whole.split('x').map(Number) as [number, number];
      const engine = await createOnnxEngine(dir);
      const restorer = createRestorer({ engine });
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
      const t = performance.now();
      await restorer.restore({ data, width, height, channels: 3 }, { mode: 'sw', tileSize: 512, overlap: 32 });
      const seconds = (performance.now() - t) / 1000;
      const peakRssMB = process.resourceUsage().maxRSS / 1024;
      console.log(JSON.stringify({ engine: 'onnx', preset, weights: 'random', image: whole, tiles: '512/32', seconds: Number(seconds.toFixed(1)), sPerMP: Number((seconds / ((width * height) / 1e6)).toFixed(3)), peakRssMB: Math.round(peakRssMB) }));
      engine.dispose();
      return;
    }
    const results = [];
    if (!args.includes('--skip-tfjs')) {
      const tfjs = await createModelEngine(dir, { backend: 'wasm' });
      results.push(await timeEngine('tfjs-wasm', tfjs));
      tfjs.dispose();
    }
    for (const adaptersAs of ['inputs', 'branches'] as const) {
      const onnx = await createOnnxEngine(dir, { adaptersAs });
      results.push(await timeEngine(`onnx (adapters as ${adaptersAs})`, onnx));
      onnx.dispose();
    }
    if (results.length === 3) {
      console.log(JSON.stringify({ speedup: Number((results[0]!.sPerMP / results[1]!.sPerMP).toFixed(2)), inputsVsBranches: Number((results[2]!.sPerMP / results[1]!.sPerMP).toFixed(2)), loadavgAfter: os.loadavg().map((x) => Number(x.toFixed(2))) }));
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
