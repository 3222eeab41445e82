/**
 * Matrix products whose forward and backward passes stay on the wasm backend's fast path.
 *
 * tfjs-wasm's BatchMatMul is fast only for non-transposed operands; with transposeA/transposeB it
 * falls back to a slow loop (measured ~2x slower for MDTA shapes even counting an explicit
 * transpose, docs/engine.md). So every transpose here is an explicit tf.transpose followed by a
 * plain product. Splitting a batch into 2-D products was measured slower (unstack/stack copies)
 * and is not used.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes. */
function swapLastTwo<T extends tf.Tensor>(x: T): T {
  const perm = x.shape.map((_, i) => i);
  const r = x.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm) as T;
}

/** a·b (optionally transposing either) with explicit transposes and a plain product. */
export function plainMatMul<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T, transposeA = false, transposeB = false): T {
  return tf.tidy(() => tf.matMul(transposeA ? swapLastTwo(a) : a, transposeB ? swapLastTwo(b) : b) as T);
}
