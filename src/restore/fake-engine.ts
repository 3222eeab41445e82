/**
 * A tiny deterministic RestorationEngine for tests and demos, so the pipeline can be exercised
 * without trained weights. It is NOT a restoration model: each "adapter" is a fixed blend of the
 * tile with its 3×3 box blur (receptive field radius 1, zero padding at the tile border like a
 * real network), the estimator returns fixed probabilities, and the segmentation logits are a
 * pointwise function of the colour.
 */
import { tf } from '../tfjs/backend.js';
import { depthwiseConv2d } from '../tfjs/ops.js';
import type { RGBImage } from '../image/types.js';
import type { RestorationEngine } from './engine.js';
import type { Raster } from './tile-plan.js';
import { tensorTileFn } from './tensor-tiles.js';

export interface FakeEngineOptions {
  classes?: readonly string[];
  /** what estimate() returns (default: decreasing 0.8, 0.4, 0.1, …) */
  probabilities?: readonly number[];
  /** blur strength of each class' adapter (default 1 for every class) */
  strengths?: readonly number[];
  /** provide segmentTile (default true) */
  segment?: boolean;
  /**
   * also provide restoreTileAsync, each tile taking this long (a timer, honouring the abort signal
   * at once), to stand in for a slow model in abort and kill tests
   */
  tileDelayMs?: number;
  /** what every restored value becomes, e.g. NaN to stand in for damaged weights */
  fill?: number;
}

export interface FakeEngine extends RestorationEngine {
  /** every prepare() call's weights */
  readonly prepared: Float32Array[];
  /** tiles restored so far */
  tilesRestored: number;
  disposed: boolean;
}

/** The fake engine's tile function for a given blend strength, usable as a whole-image reference. */
export function fakeRestore(tile: tf.Tensor4D, strength: number): tf.Tensor4D {
  return tf.tidy(() => {
    const box = tf.fill([3, 3, 3, 1], 1 / 9) as tf.Tensor4D;
    const blurred = depthwiseConv2d(tile, box, 1, 'same');
    return tf.add(tf.mul(tile, 1 - strength), tf.mul(blurred, strength)) as tf.Tensor4D;
  });
}

export function createFakeEngine(options: FakeEngineOptions = {}): FakeEngine {
  const classes = options.classes ?? ['rain', 'haze', 'noise'];
  const probabilities = options.probabilities ?? classes.map((_, k) => [0.8, 0.4, 0.1][k] ?? 0.05);
  const strengths = options.strengths ?? classes.map(() => 1);
  let strength = 0;
  const engine: FakeEngine = {
    classes,
    tileMultiple: 8,
    prepared: [],
    tilesRestored: 0,
    disposed: false,
    async estimate(_image: RGBImage) {
      return Float32Array.from(probabilities);
    },
    async prepare(weights: Float32Array) {
      engine.prepared.push(Float32Array.from(weights));
      strength = weights.reduce((sum, w, k) => sum + w * strengths[k]!, 0);
    },
    restoreTile: tensorTileFn((tile) => {
      engine.tilesRestored++;
      if (options.fill !== undefined) return tf.fill(tile.shape, options.fill) as tf.Tensor4D;
      return fakeRestore(tile, strength);
    }),
    dispose() {
      engine.disposed = true;
    },
  };
  if (options.tileDelayMs !== undefined) {
    const delay = options.tileDelayMs;
    engine.restoreTileAsync = (tile: Raster, signal?: AbortSignal) =>
      new Promise<Raster>((resolve, reject) => {
        signal?.throwIfAborted();
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve(engine.restoreTile(tile));
        }, delay);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
  }
  if (options.segment ?? true) {
    // logits: clean ← brightness, class k ← channel k % 3 (pointwise, so seam-free by construction)
    engine.segmentTile = tensorTileFn((tile) => {
      const channels = tf.split(tile, 3, 3);
      const logits = [tf.mean(tile, 3, true), ...classes.map((_, k) => tf.mul(channels[k % 3]!, 4))];
      return tf.concat(logits, 3) as tf.Tensor4D;
    });
  }
  return engine;
}
