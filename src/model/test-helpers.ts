/** Small helpers shared by the model tests (not part of the public API). */
import { tf } from '../tfjs/backend.js';
import { Rng } from '../util/rng.js';
import type { ParamStore } from './params.js';

/** A deterministic [N,H,W,C] image batch in [0,1]. */
export function randomImages(n: number, h: number, w: number, c = 3, seed = 1): tf.Tensor4D {
  const rng = new Rng(seed);
  const data = new Float32Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return tf.tensor4d(data, [n, h, w, c]);
}

/** Overwrites every variable whose name ends with `suffix` with small random values. */
export function randomize(store: ParamStore, suffix: string, scale = 0.1, seed = 7): void {
  const rng = new Rng(seed);
  for (const [name, v] of Object.entries(store)) {
    if (!name.endsWith(suffix)) continue;
    const data = new Float32Array(v.size);
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-scale, scale);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  }
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}
