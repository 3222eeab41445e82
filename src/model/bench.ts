/**
 * Timing of one training step (forward + backward, no optimiser update) and of a forward pass on
 * random data, for docs/model.md. Run: node -e "import('./dist/model/bench.js').then(m => m.printBench())"
 */
import { initEngine, tf, type BackendName } from '../tfjs/backend.js';
import { createBackbone, forwardBackbone } from './backbone.js';
import { presetConfig } from './config.js';
import { disposeParams } from './params.js';
import { Rng } from '../util/rng.js';

export interface BenchResult {
  preset: string;
  backend: BackendName;
  batch: number;
  size: number;
  forwardMs: number;
  trainStepMs: number | null;
  trainError?: string;
}

function randomBatch(n: number, size: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const data = new Float32Array(n * size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return tf.tensor4d(data, [n, size, size, 3]);
}

/** Median of `repeats` timed runs after one warm-up. */
function timeIt(repeats: number, fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function benchPreset(preset: string, backend: BackendName, batch = 4, size = 64, repeats = 3): Promise<BenchResult> {
  await initEngine({ backend });
  const config = presetConfig(preset);
  const params = createBackbone(config, 0);
  const x = randomBatch(batch, size, 1);
  const target = randomBatch(batch, size, 2);
  const forwardMs = timeIt(repeats, () => tf.tidy(() => forwardBackbone(params, config, x).restored.dataSync()));
  let trainStepMs: number | null = null;
  let trainError: string | undefined;
  try {
    trainStepMs = timeIt(repeats, () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(forwardBackbone(params, config, x).restored, target))) as tf.Scalar, Object.values(params));
      // Reading every gradient forces the whole backward pass to finish.
      for (const g of Object.values(grads)) g.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    });
  } catch (err) {
    trainError = (err as Error).message;
  }
  tf.dispose([x, target]);
  disposeParams(params);
  const result: BenchResult = { preset, backend, batch, size, forwardMs, trainStepMs };
  if (trainError) result.trainError = trainError;
  return result;
}

export async function printBench(presets = ['tiny', 'small', 'restormer'], backends: BackendName[] = ['wasm']): Promise<void> {
  for (const backend of backends) {
    for (const preset of presets) console.log(JSON.stringify(await benchPreset(preset, backend)));
  }
}
