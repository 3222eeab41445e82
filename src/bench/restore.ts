/**
 * Benchmark of whole-image restoration: seconds per megapixel (median of --runs) and peak RSS for
 * synthetic images of the given sizes, through the real pipeline (estimator, adapter merge, tiled
 * backbone, blending).
 *
 * Model: the shipped default if there is one, else --weights <dir>, else a freshly initialised
 * model of --preset (backbone + one random adapter per default class + estimator) — clearly
 * labelled "untrained weights: timing only"; random and trained weights of one architecture cost
 * the same.
 *
 * Each size runs in its own child process so its peak RSS (process.resourceUsage().maxRSS) is that
 * size's alone. Before the timed runs, one tile is restored so the wasm heap has grown to a tile's
 * working set (the first tile at a new size is ~2× slower for that reason).
 *
 * Wall time on a shared machine includes waiting for the CPU; the CPU seconds column (this
 * process' user + system time; tfjs-wasm runs single-threaded) is the less load-sensitive figure.
 *
 * Run: `npm run bench:restore -- [--sizes 1,12,50] [--tile 512] [--overlap 32] [--runs 3]
 *       [--weights <dir>] [--preset small] [--backend wasm]`
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { initEngine, tf, type BackendName } from '../engine/backend.js';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import {
  createAdapter,
  createBackbone,
  createEstimator,
  disposeParams,
  estimatorConfig,
  loraTargets,
  presetConfig,
  saveAdapter,
  saveBackbone,
  saveEstimator,
} from '../model/index.js';
import { randomize } from '../model/test-helpers.js';
import { defaultModelDir } from '../restore/default-model.js';
import { createModelEngine } from '../restore/model-engine.js';
import { createRestorer, type RawPixels } from '../restore/restorer.js';
import { countTiles } from '../restore/tiling.js';
import { Rng } from '../util/rng.js';

interface Args {
  sizes: number[];
  tile: number;
  overlap: number;
  runs: number;
  weights?: string;
  preset: string;
  backend: BackendName;
  child?: number;
  modelDir?: string;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const positive = (name: string, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, got '${text}'`);
    return n;
  };
  const sizes = (value('--sizes') ?? '1,12,50').split(',').map((s) => Number(s));
  if (sizes.some((s) => !(s > 0))) throw new Error(`--sizes needs positive megapixel counts, e.g. 1,12,50`);
  const args: Args = {
    sizes,
    tile: positive('--tile', 512),
    overlap: positive('--overlap', 32),
    runs: Math.max(1, Math.round(positive('--runs', 3))),
    preset: value('--preset') ?? 'small',
    backend: (value('--backend') ?? 'wasm') as BackendName,
  };
  const weights = value('--weights');
  if (weights) args.weights = weights;
  const child = value('--child');
  if (child) args.child = Number(child);
  const modelDir = value('--model-dir');
  if (modelDir) args.modelDir = modelDir;
  return args;
}

/** width × height with a 4:3 aspect ratio and about `megapixels` pixels. */
export function sizeFor(megapixels: number): { width: number; height: number } {
  const height = Math.max(1, Math.round(Math.sqrt((megapixels * 1e6 * 3) / 4)));
  return { width: Math.max(1, Math.round((megapixels * 1e6) / height)), height };
}

/** A smooth colour pattern plus Gaussian-ish noise, as RGB bytes (never written to disk). */
export function syntheticImage(width: number, height: number, seed = 1): RawPixels {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * 3);
  const cols = Array.from({ length: 3 }, (_, c) => Float32Array.from({ length: width }, (_, x) => 0.25 * Math.sin(x / (37 + 11 * c))));
  for (let y = 0; y < height; y++) {
    const rowTerm = [0, 1, 2].map((c) => 0.5 + 0.2 * Math.cos(y / (53 + 7 * c)));
    let i = y * width * 3;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = rowTerm[c]! + cols[c]![x]! + 0.06 * (rng.next() + rng.next() - 1);
        data[i++] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(255 * v);
      }
    }
  }
  return { data, width, height, channels: 3 };
}

/** Writes a random (untrained) model folder of a preset: backbone, one adapter per default class, estimator. */
async function writeUntrainedModel(preset: string, backend: BackendName): Promise<string> {
  await initEngine({ backend });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-bench-model-'));
  const config = presetConfig(preset);
  const base = createBackbone(config, 1);
  await saveBackbone(dir, config, base, { preset, provenance: { note: 'untrained weights: timing only' } });
  disposeParams(base);
  for (const name of DEFAULT_CLASSES) {
    const adapter = createAdapter(name, loraTargets(config));
    randomize(adapter.params, '.B', 0.01);
    await saveAdapter(dir, adapter, config);
    disposeParams(adapter.params);
  }
  const estConfig = estimatorConfig([...DEFAULT_CLASSES]);
  const est = createEstimator(estConfig);
  await saveEstimator(dir, estConfig, est);
  disposeParams(est);
  return dir;
}

interface SizeResult {
  megapixels: number;
  width: number;
  height: number;
  tiles: number;
  seconds: number[];
  medianSecondsPerMP: number;
  /** CPU seconds (user + system) of this process per run: less sensitive to other load than wall time */
  cpuSeconds: number[];
  peakRssMB: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One size, in this process (the child). */
async function benchSize(args: Args, megapixels: number, modelDir: string): Promise<SizeResult> {
  await initEngine({ backend: args.backend });
  const engine = await createModelEngine(modelDir, { backend: args.backend });
  const restorer = createRestorer({ engine });
  const { width, height } = sizeFor(megapixels);
  const image = syntheticImage(width, height);
  const tiling = { tileSize: args.tile, overlap: Math.min(args.overlap, Math.floor(args.tile / 2)) };
  // Warm-up: one tile, so the backend's heap has grown to a tile's working set before timing.
  await engine.prepare(new Float32Array(engine.classes.length));
  const side = Math.min(args.tile, width, height);
  tf.tidy(() => engine.restoreTile(tf.zeros([1, side, side, 3]) as tf.Tensor4D)).dispose();

  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let run = 0; run < args.runs; run++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await restorer.restore(image, { mode: 'sw', ...tiling });
    const cpu = process.cpuUsage(c0);
    seconds.push((performance.now() - t0) / 1000);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
  }
  restorer.dispose();
  engine.dispose();
  const mp = (width * height) / 1e6;
  return {
    megapixels: mp,
    width,
    height,
    tiles: countTiles(width, height, tiling),
    seconds,
    medianSecondsPerMP: median(seconds) / mp,
    cpuSeconds,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child !== undefined) {
    const result = await benchSize(args, args.child, args.modelDir!);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    return;
  }

  let modelDir: string;
  let label: string;
  let temporary = false;
  if (existsSync(path.join(defaultModelDir(), 'backbone.safetensors'))) {
    modelDir = defaultModelDir();
    label = `shipped default model (${modelDir})`;
  } else if (args.weights) {
    modelDir = args.weights;
    label = `model folder ${modelDir}`;
  } else {
    modelDir = await writeUntrainedModel(args.preset, args.backend);
    temporary = true;
    label = `freshly initialised '${args.preset}' model, 5 adapters + estimator — untrained weights: timing only`;
  }
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`abair restore benchmark: ${label}`);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, backend ${args.backend}; load average at start ${load}`);
  console.log(`tile ${args.tile}, overlap ${Math.min(args.overlap, Math.floor(args.tile / 2))}, mode sw, ${args.runs} timed run(s) per size after a one-tile warm-up; each size in its own process`);
  console.log('size (MP)  pixels        tiles  s/MP (median)  runs (s)                 CPU s/MP (median)  peak RSS');

  const self = fileURLToPath(import.meta.url);
  try {
    for (const size of args.sizes) {
      const childArgs = [self, '--child', String(size), '--model-dir', modelDir, '--tile', String(args.tile), '--overlap', String(args.overlap), '--runs', String(args.runs), '--backend', args.backend];
      const child = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 20 });
      const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (child.status !== 0 || !line) {
        console.log(`${String(size).padEnd(9)}  failed (exit ${child.status ?? child.signal}): ${(child.stderr || child.stdout).trim().split('\n').slice(-3).join(' | ')}`);
        continue;
      }
      const r = JSON.parse(line.slice('RESULT '.length)) as SizeResult;
      console.log(
        `${r.megapixels.toFixed(2).padEnd(9)}  ${`${r.width}×${r.height}`.padEnd(12)}  ${String(r.tiles).padEnd(5)}  ${r.medianSecondsPerMP.toFixed(1).padEnd(13)}  ${r.seconds.map((s) => s.toFixed(1)).join(', ').padEnd(23)}  ${(median(r.cpuSeconds) / r.megapixels).toFixed(1).padEnd(17)}  ${(r.peakRssMB / 1024).toFixed(2)} GiB`,
      );
    }
  } finally {
    if (temporary) await fs.rm(modelDir, { recursive: true, force: true });
  }
  console.log(`load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  console.error(`bench:restore: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
