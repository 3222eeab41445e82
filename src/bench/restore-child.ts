/**
 * One timed run of the restoration benchmark: one model, one size, in a child process of its own,
 * so that the peak RSS (process.resourceUsage().maxRSS, a high-water mark) belongs to that run.
 *
 * The path timed is the library's: createRestorer({ runner }).restore(rawPixels) — decode of the
 * raw bytes to float, estimator, adapter merge (prepare), tiles, feathered blending. Before timing,
 * the model is loaded and an image of one tile's size restored, because the first call at a new
 * shape is much slower (ONNX Runtime plans its allocations per shape); every tile of the timed
 * image has that shape (the tiler shifts the last tile inward).
 *
 * CPU seconds are process.cpuUsage() (user + system of every thread: the main thread and ONNX
 * Runtime's workers), which is less sensitive to other load on a shared machine than wall time.
 */
import { performance } from 'node:perf_hooks';
import { createNodeRunner } from '../restore/node-runner.js';
import { createRestorer, type RawPixels } from '../restore/restorer.js';
import { countTiles } from '../restore/tile-plan.js';
import type { OrtRuntime } from '../ort/runtime.js';
import { Rng } from '../util/rng.js';
import { sizeFor } from './restore-options.js';
import type { ChildResult } from '../eval/restore-report.js';

/** What the parent tells one child to measure. */
export interface ChildSpec {
  /** the model's label in the report */
  model: string;
  modelDir: string;
  megapixels: number;
  tile: number;
  overlap: number;
  mode: string;
  runtime?: OrtRuntime;
  threads?: number;
}

export type { ChildResult } from '../eval/restore-report.js';

/** A smooth colour pattern plus noise, as RGB bytes (made in memory, never written to disk). */
// @testSeam: tested directly
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

const mib = (bytes: number) => bytes / 2 ** 20;

/** Runs one timed restore (after load and warm-up) in this process. */
export async function measure(spec: ChildSpec): Promise<ChildResult & { ortPackage: string }> {
  const t0 = performance.now();
  const runner = await createNodeRunner(spec.modelDir, { ...(spec.runtime ? { runtime: spec.runtime } : {}), ...(spec.threads ? { threads: spec.threads } : {}) });
  const loadSeconds = (performance.now() - t0) / 1000;
  const restorer = createRestorer({ runner });
  try {
    const { width, height } = sizeFor(spec.megapixels);
    const tiling = { tileSize: spec.tile, overlap: spec.overlap };
    // Warm-up: a whole restore (estimator, merge, one tile) of an image one tile in size, the
    // size every tile of the timed image will have.
    await restorer.restore(syntheticImage(Math.min(spec.tile, width), Math.min(spec.tile, height), 2), { mode: spec.mode, ...tiling });
    const rssLoadedMiB = mib(process.memoryUsage.rss());
    const image = syntheticImage(width, height);
    let rssDuringTiles = 0;
    const sample = () => (rssDuringTiles = Math.max(rssDuringTiles, process.memoryUsage.rss()));
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    await restorer.restore(image, { mode: spec.mode, ...tiling, onProgress: sample });
    const cpu = process.cpuUsage(cpu0);
    return {
      model: spec.model,
      megapixels: (width * height) / 1e6,
      width,
      height,
      tiles: countTiles(width, height, tiling),
      seconds: [(performance.now() - start) / 1000],
      cpuSeconds: [(cpu.user + cpu.system) / 1e6],
      loadSeconds,
      rssLoadedMiB,
      rssDuringTilesMiB: mib(rssDuringTiles),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      ortPackage: runner.ortPackage,
    };
  } finally {
    restorer.dispose();
    await runner.dispose();
  }
}
