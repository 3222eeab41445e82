/**
 * Model module for the data-parallel benchmark: a small 2-level U-Net (3→16 at full resolution,
 * 32 at half), 3×3 convolutions through engine/ops, pixel (un)shuffle for down/up sampling, ReLU,
 * a skip connection by concatenation and a global residual; L1 loss to `target`.
 */
import { tf } from '../tfjs/backend.js';
import * as ops from '../tfjs/ops.js';
import type { Trainable } from '../tfjs/parallel/types.js';

export interface UnetConfig {
  /** Channels at full resolution (default 16); the half-resolution level uses twice as many. */
  width?: number;
  seed?: number;
}

export function createTrainable(config: UnetConfig = {}): Trainable {
  const c1 = config.width ?? 16;
  const c2 = 2 * c1;
  let seed = config.seed ?? 1;
  // He-normal initialisation, one seeded draw per filter
  const conv = (k: number, cin: number, cout: number) =>
    tf.variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cin)), 'float32', seed++));
  const bias = (c: number) => tf.variable(tf.zeros([c]));
  const params = {
    'enc1.conv1.w': conv(3, 3, c1), 'enc1.conv1.b': bias(c1),
    'enc1.conv2.w': conv(3, c1, c1), 'enc1.conv2.b': bias(c1),
    // pixelUnshuffle(2) turns c1 channels at H×W into 4·c1 at H/2×W/2
    'enc2.conv1.w': conv(3, 4 * c1, c2), 'enc2.conv1.b': bias(c2),
    'enc2.conv2.w': conv(3, c2, c2), 'enc2.conv2.b': bias(c2),
    // 1×1 to 4·c1 channels, then pixelShuffle(2) back to c1 at H×W
    'up.w': conv(1, c2, 4 * c1), 'up.b': bias(4 * c1),
    'dec1.conv1.w': conv(3, 2 * c1, c1), 'dec1.conv1.b': bias(c1),
    'out.w': conv(3, c1, 3), 'out.b': bias(3),
  };
  type Name = keyof typeof params;
  const convLayer = (x: tf.Tensor4D, name: string, relu = true): tf.Tensor4D => {
    const y = tf.add(ops.conv2d(x, params[`${name}.w` as Name] as tf.Tensor4D), params[`${name}.b` as Name]) as tf.Tensor4D;
    return relu ? tf.relu(y) : y;
  };

  const forward = (x: tf.Tensor4D): tf.Tensor4D => {
    const e1 = convLayer(convLayer(x, 'enc1.conv1'), 'enc1.conv2');
    const e2 = convLayer(convLayer(ops.pixelUnshuffle(e1, 2), 'enc2.conv1'), 'enc2.conv2');
    const up = ops.pixelShuffle(convLayer(e2, 'up', false), 2);
    const d1 = convLayer(tf.concat([up, e1], 3), 'dec1.conv1');
    return tf.add(x, convLayer(d1, 'out', false)) as tf.Tensor4D;
  };

  return {
    params,
    loss(batch) {
      return tf.mean(tf.abs(tf.sub(forward(batch.input as tf.Tensor4D), batch.target))) as tf.Scalar;
    },
  };
}
