/**
 * Speed of the browser restorer's runtimes, in Node: the same web model folder and the same
 * restorer code (src/browser/restorer.ts) on onnxruntime-web (wasm, the browser's backend) and on
 * onnxruntime-node, one intra-op thread each, so the difference is the runtime alone.
 *
 *   node dist/bench/export-web.js [--weights <model dir>] [--size 512] [--tile 512] [--runs 3] [--mode sw]
 *
 * Without --weights it uses the test fixture (tiny preset, random weights: timing only). Prints
 * the median seconds per image over --runs after one warm-up restore, and the load average.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ortNode from 'onnxruntime-node';
import { createBrowserRestorer, loadWebModel, type OrtLike } from '../browser/restorer.js';
import { Rng } from '../util/rng.js';
import { exportWebModel } from '../onnx/export-web.js';
import { writeFixtureModel } from '../onnx/export-web-fixture.js';

const { values: args } = parseArgs({
  options: {
    weights: { type: 'string' },
    size: { type: 'string', default: '512' },
    tile: { type: 'string', default: '512' },
    runs: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'sw' },
  },
});
const size = Number(args.size);
const tileSize = Number(args.tile);
const runs = Number(args.runs);

const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const fixture = args.weights ? null : await writeFixtureModel();
const modelDir = args.weights ?? fixture!;
const webDir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-web-bench-'));
try {
  await exportWebModel(modelDir, webDir);
  const model = await loadWebModel((name) => fs.readFile(path.join(webDir, name)));
  const ortWeb = await import('onnxruntime-web');
  ortWeb.env.wasm.numThreads = 1;
  const runtimes: Array<[string, OrtLike, object]> = [
    ['onnxruntime-web (wasm, 1 thread)', ortWeb, {}],
    ['onnxruntime-node (1 intra-op thread)', ortNode, { intraOpNumThreads: 1 }],
  ];
  const rng = new Rng(1);
  const image = { width: size, height: size, data: Float32Array.from({ length: size * size * 3 }, () => rng.next()) };
  console.log(`model: ${args.weights ?? 'test fixture (tiny preset, random weights: timing only)'}; image ${size}×${size}, tile ${tileSize}, mode ${args.mode}, ${runs} run(s) after a warm-up`);
  console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; Node ${process.version}; load average at start ${load()}`);
  console.log('| runtime | median s/image | runs (s) |');
  console.log('|---|---|---|');
  for (const [label, ort, sessionOptions] of runtimes) {
    const restorer = await createBrowserRestorer(ort, model, { sessionOptions });
    try {
      await restorer.restore(image, { mode: args.mode, tileSize });
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        await restorer.restore(image, { mode: args.mode, tileSize });
        times.push((performance.now() - start) / 1000);
      }
      console.log(`| ${label} | ${median(times).toFixed(2)} | ${times.map((t) => t.toFixed(2)).join(', ')} |`);
    } finally {
      await restorer.dispose();
    }
  }
  console.log(`load average at end ${load()}`);
} finally {
  await fs.rm(webDir, { recursive: true, force: true });
  if (fixture) await fs.rm(fixture, { recursive: true, force: true });
}
