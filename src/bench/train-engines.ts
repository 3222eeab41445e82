/**
 * Phase I step time of the two training engines, interleaved (A, B, A, B, …) so that load from
 * other processes hits both alike: tfjs-wasm (DataParallelTrainer, `workers` worker threads) and
 * ONNX Runtime (OrtPretrainTrainer, `threads` intra-op threads). Both train the same
 * initialisation on the same CutMix batches; batches are built before each pair of steps, outside
 * the timing, so the numbers are the engines' own. Called by train-throughput.ts for --engine.
 */
import os from 'node:os';
import { DEFAULT_CLASSES } from '../degrade/cutmix.js';
import { DataParallelTrainer } from '../tfjs/parallel/trainer.js';
import type { HostBatch } from '../train-ort/host-batch.js';
import { presetConfig } from '../model/config.js';
import { OrtPretrainTrainer } from '../train-ort/ort-trainer.js';
import { pretrainBatch } from '../train/data/batches.js';
import type { ImageSource } from '../train/data/image-source.js';
import { Rng } from '../util/rng.js';

export type EngineName = 'ort' | 'tfjs';

interface EngineBenchOptions {
  cases: { preset: string; batch: number }[];
  engines: EngineName[];
  patch: number;
  steps: number;
  warmup: number;
  workers: number;
  threads: number;
  train: ImageSource;
}

interface Engine {
  step(batch: HostBatch): Promise<unknown>;
  dispose(): Promise<void>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function createEngine(name: EngineName, preset: string, batch: number, o: EngineBenchOptions): Promise<Engine> {
  const optimizer = { lr: 2e-4, weightDecay: 1e-4, clipNorm: 1 };
  if (name === 'tfjs') {
    return DataParallelTrainer.create({
      module: new URL('../model/trainable.js', import.meta.url),
      config: { phase: 'backbone', preset, seed: 1, segWeight: 0.1 },
      workers: o.workers,
      backend: 'wasm',
      optimizer,
    });
  }
  return OrtPretrainTrainer.create({ config: presetConfig(preset), batch, patch: o.patch, seed: 1, segWeight: 0.1, optimizer, threads: o.threads });
}

export async function benchEngines(o: EngineBenchOptions): Promise<void> {
  const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
  const results: { preset: string; batch: number; engine: EngineName; sPerStep: number }[] = [];
  for (const { preset, batch } of o.cases) {
    const engines = new Map<EngineName, Engine>();
    try {
      for (const name of o.engines) engines.set(name, await createEngine(name, preset, batch, o));
      const times = new Map<EngineName, number[]>(o.engines.map((n) => [n, []]));
      for (let step = 0; step < o.warmup + o.steps; step++) {
        const b = await pretrainBatch(o.train, new Rng(`bench:engines:${step}`), { batch, patch: o.patch, classes: DEFAULT_CLASSES });
        // alternate which engine goes first, so neither always runs right after batch building
        const order = step % 2 === 0 ? o.engines : [...o.engines].reverse();
        for (const name of order) {
          const t0 = performance.now();
          await engines.get(name)!.step(b);
          if (step >= o.warmup) times.get(name)!.push((performance.now() - t0) / 1000);
        }
      }
      for (const name of o.engines) {
        const s = median(times.get(name)!);
        results.push({ preset, batch, engine: name, sPerStep: s });
        console.log(`${preset} b${batch} ${o.patch}², ${name}: median ${s.toFixed(3)} s/step over ${o.steps} steps; load average ${load()}`);
      }
    } finally {
      for (const e of engines.values()) await e.dispose();
    }
  }
  const describe = (e: EngineName) => (e === 'tfjs' ? `tfjs-wasm, ${o.workers} worker(s)` : `onnxruntime-node, ${o.threads} thread(s)`);
  console.log(`\nPhase I train step, ${o.patch}² patches, interleaved; ${o.engines.map(describe).join(' vs ')}; ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)\n`);
  const ref = o.engines[o.engines.length - 1]!;
  console.log(`| preset | batch | engine | median s/step | patches/s | speed vs ${ref} |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const base = results.find((x) => x.preset === r.preset && x.batch === r.batch && x.engine === ref)!;
    console.log(`| ${r.preset} | ${r.batch} | ${r.engine} | ${r.sPerStep.toFixed(3)} | ${(r.batch / r.sPerStep).toFixed(2)} | ${(base.sPerStep / r.sPerStep).toFixed(2)}× |`);
  }
  console.log(`\nload average at end ${load()} (other processes share these cores)`);
}
