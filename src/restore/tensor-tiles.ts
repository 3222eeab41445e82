/**
 * The tfjs side of the tile contract: engines and tests that compute on tensors wrap their
 * [1,h,w,C] → [1,h,w,C'] function into the plain-array tile function the tiler calls.
 */
import { tf } from '../tfjs/backend.js';
import type { Raster } from './tile-plan.js';

export function tileToTensor(tile: Raster): tf.Tensor4D {
  return tf.tensor4d(tile.data, [1, tile.height, tile.width, tile.channels]);
}

/** Runs `fn` inside tf.tidy on the tile as a tensor and returns its result as a Raster. */
export function tensorTileFn(fn: (tile: tf.Tensor4D) => tf.Tensor4D): (tile: Raster) => Raster {
  return (tile) =>
    tf.tidy(() => {
      const out = fn(tileToTensor(tile));
      const [n, height, width, channels] = out.shape;
      if (n !== 1) throw new Error(`tile function returned a batch of ${n}, expected 1`);
      return { width, height, channels, data: Float32Array.from(out.dataSync() as Float32Array) };
    });
}
