/**
 * Any-size inputs: the U-Net needs H and W divisible by 8, so images are reflect-padded up to the
 * next multiple and the output is cropped back. Reflection (not zeros) keeps border statistics
 * natural, which matters for the global-residual restoration near the edges.
 */
import { tf } from '../tfjs/tf-handle.js';

/** Pads [N,H,W,C] at the bottom/right to multiples of `multiple` by reflection. */
export function reflectPadToMultiple(x: tf.Tensor4D, multiple: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.tidy(() => {
    let y = x;
    y = padAxis(y, 1, (multiple - (h % multiple)) % multiple);
    y = padAxis(y, 2, (multiple - (w % multiple)) % multiple);
    return y;
  });
}

/**
 * Reflect padding needs pad < size; very small images get padded in several rounds, and a
 * 1-pixel axis (nothing to reflect) is replicated instead.
 */
function padAxis(x: tf.Tensor4D, axis: 1 | 2, amount: number): tf.Tensor4D {
  let y = x;
  let remaining = amount;
  while (remaining > 0) {
    const size = y.shape[axis];
    if (size === 1) {
      const reps = [1, 1, 1, 1];
      reps[axis] = 1 + remaining;
      return tf.tile(y, reps);
    }
    const step = Math.min(remaining, size - 1);
    const pads: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
    pads[axis] = [0, step];
    y = tf.mirrorPad(y, pads, 'reflect');
    remaining -= step;
  }
  return y;
}

export function cropTo(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return tf.slice(x, [0, 0, 0, 0], [x.shape[0], height, width, x.shape[3]]);
}
