/**
 * One (engine, size) measurement of the restoration benchmark, run inside a child process of its
 * own so that the peak RSS (process.resourceUsage().maxRSS, a high-water mark) belongs to that
 * engine and size alone.
 *
 * The path timed is the library's: createRestorer({ engine }).restore(rawPixels) — decode of the
 * raw bytes to float, estimator, adapter merge (prepare), tiles, feathered blending. Before timing,
 * the engine is loaded and an image of one tile's size restored, because the first call at a new
 * shape is much slower (wasm heap growth for tfjs, allocation planning for ONNX Runtime); every
 * tile of the timed image has that shape (the tiler shifts the last tile inward).
 *
 * CPU seconds are process.cpuUsage() (user + system of every thread: the main thread, tfjs-wasm's
 * and ONNX Runtime's workers), which is less sensitive to other load on a shared machine than wall
 * time. Between runs the previous result is dropped and, when the child runs with --expose-gc,
 * collected, so a run's 600 MB (at 50 MP) output buffers do not pile up into the next run's peak.
 */
import { performance } from 'node:perf_hooks';
import { initEngine } from '../tfjs/backend.js';
import type { RestorationEngine } from '../restore/engine.js';
import { createModelEngine } from '../restore/model-engine.js';
import { createRestorer, type RawPixels } from '../restore/restorer.js';
import { countTiles } from '../restore/tiling.js';
import { Rng } from '../util/rng.js';
import { sizeFor, type BenchEngine } from './restore-options.js';
import type { ChildResult } from '../eval/restore-report.js';

/** What the parent tells one child to measure. */
export interface ChildSpec {
  engine: BenchEngine;
  megapixels: number;
  modelDir: string;
  tile: number;
  overlap: number;
  runs: number;
  /** absent: no limit (JSON cannot carry Infinity) */
  runBudgetSeconds?: number;
  mode: string;
  adaptersAs: 'inputs' | 'branches';
  threads?: number;
}

export type { ChildResult } from '../eval/restore-report.js';

/** A smooth colour pattern plus noise, as RGB bytes (made in memory, never written to disk). */
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

async function loadEngine(spec: ChildSpec): Promise<RestorationEngine> {
  if (spec.engine === 'tfjs') return createModelEngine(spec.modelDir, { backend: 'wasm' });
  // Directly, not through createEngineForDir: that one falls back to tfjs when ONNX Runtime cannot
  // load, which would put tfjs numbers in the ONNX row.
  const { createOnnxEngine } = await import('../restore/onnx-engine.js');
  return createOnnxEngine(spec.modelDir, { adaptersAs: spec.adaptersAs, ...(spec.threads ? { threads: spec.threads } : {}) });
}

const mib = (bytes: number) => bytes / 2 ** 20;
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Runs one (engine, size) measurement in this process; `log` gets one line per run. */
export async function measure(spec: ChildSpec, log: (line: string) => void = () => undefined): Promise<ChildResult> {
  await initEngine({ backend: 'wasm' });
  const t0 = performance.now();
  const engine = await loadEngine(spec);
  const loadSeconds = (performance.now() - t0) / 1000;
  const restorer = createRestorer({ engine });
  try {
    const { width, height } = sizeFor(spec.megapixels);
    const tiling = { tileSize: spec.tile, overlap: spec.overlap };
    // Warm-up: a whole restore (estimator, merge, one tile) of an image one tile in size, the
    // size every tile of the timed image will have.
    await restorer.restore(syntheticImage(Math.min(spec.tile, width), Math.min(spec.tile, height), 2), { mode: spec.mode, ...tiling });
    collect();
    const rssLoadedMiB = mib(process.memoryUsage.rss());

    let image: RawPixels | null = syntheticImage(width, height);
    let rssDuringTiles = 0;
    const sample = () => (rssDuringTiles = Math.max(rssDuringTiles, process.memoryUsage.rss()));
    const seconds: number[] = [];
    const cpuSeconds: number[] = [];
    for (let run = 0; run < spec.runs; run++) {
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      let result: unknown = await restorer.restore(image, { mode: spec.mode, ...tiling, onProgress: sample });
      const cpu = process.cpuUsage(cpu0);
      seconds.push((performance.now() - start) / 1000);
      cpuSeconds.push((cpu.user + cpu.system) / 1e6);
      log(`${spec.engine} ${spec.megapixels} MP run ${run + 1}/${spec.runs}: ${seconds.at(-1)!.toFixed(1)} s wall, ${cpuSeconds.at(-1)!.toFixed(1)} s CPU`);
      result = null; // drop the output (and the decoded input it references) before the next run
      void result;
      collect();
      const spent = seconds.reduce((a, b) => a + b, 0);
      if (run + 1 < spec.runs && spec.runBudgetSeconds !== undefined && spent + seconds.at(-1)! > spec.runBudgetSeconds) {
        log(`${spec.engine} ${spec.megapixels} MP: stopping after ${run + 1} run(s), the next would pass --run-budget ${spec.runBudgetSeconds} s`);
        break;
      }
    }
    image = null;
    return {
      engine: spec.engine,
      megapixels: (width * height) / 1e6,
      width,
      height,
      tiles: countTiles(width, height, tiling),
      seconds,
      cpuSeconds,
      loadSeconds,
      rssLoadedMiB,
      rssDuringTilesMiB: mib(rssDuringTiles),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    restorer.dispose();
    engine.dispose();
  }
}
