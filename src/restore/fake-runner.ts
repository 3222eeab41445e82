/**
 * A tiny deterministic ModelRunner for tests and demos, so the pipeline can be exercised without
 * trained weights. It is NOT a restoration model: each "adapter" is a fixed blend of the tile with
 * its 3×3 box blur (receptive field radius 1, zero padding at the tile border like a real
 * network), the estimator returns fixed probabilities, and the map logits are a pointwise
 * function of the colour. Plain arrays, like the real runner.
 */
import type { RGBImage } from '../image/types.js';
import type { ModelRunner, TileResult } from './model-runner.js';
import type { Raster } from './tile-plan.js';

interface FakeRunnerOptions {
  classes?: readonly string[];
  /** what estimate() returns (default: decreasing 0.8, 0.4, 0.1, …) */
  probabilities?: readonly number[];
  /** blur strength of each class' adapter (default 1 for every class) */
  strengths?: readonly number[];
  /** offer map logits (default true) */
  segment?: boolean;
  /** each tile takes this long (a timer, honouring the abort signal at once), to stand in for a slow model in abort and kill tests */
  tileDelayMs?: number;
  /** what every restored value becomes, e.g. NaN to stand in for damaged weights */
  fill?: number;
}

interface FakeRunner extends ModelRunner {
  /** every prepare() call's weights */
  readonly prepared: Float32Array[];
  /** tiles restored so far */
  tilesRestored: number;
  disposed: boolean;
}

/** The fake runner's restoration of an h×w×3 image for a given blend strength, usable as a whole-image reference. */
export function fakeRestore(data: Float32Array, width: number, height: number, strength: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < height && xx >= 0 && xx < width) sum += data[(yy * width + xx) * 3 + c]!;
          }
        }
        const i = (y * width + x) * 3 + c;
        out[i] = data[i]! * (1 - strength) + (sum / 9) * strength;
      }
    }
  }
  return out;
}

/** The fake map logits of a tile: clean ← the pixel's mean, class k ← 4 · channel k % 3 (pointwise, so seam-free by construction). */
function fakeLogits(tile: Raster, classCount: number): Raster {
  const pixels = tile.width * tile.height;
  const channels = 1 + classCount;
  const data = new Float32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const [r, g, b] = [tile.data[p * 3]!, tile.data[p * 3 + 1]!, tile.data[p * 3 + 2]!];
    data[p * channels] = (r + g + b) / 3;
    for (let k = 0; k < classCount; k++) data[p * channels + 1 + k] = 4 * [r, g, b][k % 3]!;
  }
  return { width: tile.width, height: tile.height, channels, data };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createFakeRunner(options: FakeRunnerOptions = {}): FakeRunner {
  const classes = options.classes ?? ['rain', 'haze', 'noise'];
  const probabilities = options.probabilities ?? classes.map((_, k) => [0.8, 0.4, 0.1][k] ?? 0.05);
  const strengths = options.strengths ?? classes.map(() => 1);
  const segment = options.segment ?? true;
  let strength = 0;
  const runner: FakeRunner = {
    classes,
    canMap: segment,
    prepared: [],
    tilesRestored: 0,
    disposed: false,
    async estimate(_image: RGBImage) {
      return Float32Array.from(probabilities);
    },
    async prepare(weights: Float32Array) {
      runner.prepared.push(Float32Array.from(weights));
      strength = weights.reduce((sum, w, k) => sum + w * strengths[k]!, 0);
    },
    async runTile(tile: Raster, { map, signal }: { map: boolean; signal?: AbortSignal }): Promise<TileResult> {
      if (options.tileDelayMs !== undefined) await delay(options.tileDelayMs, signal);
      runner.tilesRestored++;
      const data = options.fill !== undefined ? new Float32Array(tile.data.length).fill(options.fill) : fakeRestore(tile.data, tile.width, tile.height, strength);
      return { restored: { ...tile, data }, logits: map && segment ? fakeLogits(tile, classes.length) : null };
    },
    dispose() {
      runner.disposed = true;
    },
  };
  return runner;
}
