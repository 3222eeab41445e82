/**
 * Gradients of a 2-D convolution (NHWC, filter [kh, kw, cin, cout], dilation 1) built only from
 * forward kernels the wasm backend has. Both are themselves convolutions, so they run on the same
 * fast XNNPACK Conv2D path as the forward pass:
 *
 * - dx: a "full" correlation of dy with the filter rotated 180° and its in/out channels swapped.
 *   For stride s > 1, dy is first spread out with s-1 zeros between samples. (wasm's own
 *   Conv2DBackpropInput kernel exists but measured 5-10x slower, see docs/engine.md.)
 * - dfilter: dfilter[i,j,ci,co] = Σ_{n,p} x[n, s·p + (i,j), ci] · dy[n, p, co], i.e. a 'valid'
 *   convolution of x (with cin moved to the batch axis and the batch moved to the channel axis)
 *   by dy used as a (ho × wo) filter dilated by s. One transpose of x and dy, then one Conv2D.
 *   (Measured against Conv3DBackpropFilterV2 with a unit depth axis, 13-140x slower, and
 *   im2col + 2-D matMul, 5-15x slower mostly because wasm's 2-D transpose is slow.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { axisGeometry, type PadMode } from './geometry.js';

/** Pads (or crops, for negative amounts) the two spatial axes of an NHWC tensor. */
export function padOrCropSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let y = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    const t = Math.max(-top, 0), b = Math.max(-bottom, 0), l = Math.max(-left, 0), r = Math.max(-right, 0);
    y = tf.slice(y, [0, t, l, 0], [n, h - t - b, w - l - r, c]);
  }
  const pads: Array<[number, number]> = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
  return pads[1][0] + pads[1][1] + pads[2][0] + pads[2][1] > 0 ? tf.pad(y, pads) : y;
}

/** Inserts s-1 zeros between neighbouring samples along H and W: [n,h,w,c] → [n,(h-1)s+1,(w-1)s+1,c]. */
export function spreadWithZeros(dy: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return dy;
  const [n, h, w, c] = dy.shape;
  // Place each sample at the corner of an s×s cell of zeros, then trim the trailing zeros.
  const cells = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]]);
  const grid = tf.reshape(cells, [n, h * s, w * s, c]);
  return tf.slice(grid, [0, 0, 0, 0], [n, (h - 1) * s + 1, (w - 1) * s + 1, c]) as tf.Tensor4D;
}

/** Gradient of conv2d with respect to its input x (of shape xShape). */
export function conv2dGradInput(
  xShape: readonly [number, number, number, number], dy: tf.Tensor4D, filter: tf.Tensor4D, stride: number, pad: PadMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = xShape;
    const [kh, kw] = filter.shape;
    const gh = axisGeometry(h, kh, stride, pad);
    const gw = axisGeometry(w, kw, stride, pad);
    const spread = spreadWithZeros(dy, stride);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    // Full correlation: output row q reads spread rows q + before - (kh-1) … q + before.
    // Input rows the forward pass never read (negative `after`) come out as zero padding.
    const top = kh - 1 - gh.before, left = kw - 1 - gw.before;
    const bottom = h - (spread.shape[1] + top - kh + 1), right = w - (spread.shape[2] + left - kw + 1);
    const padded = padOrCropSpatial(spread, top, bottom, left, right);
    return tf.conv2d(padded, rotated as tf.Tensor4D, 1, 'valid') as tf.Tensor4D;
  });
}

/** Gradient of conv2d with respect to its filter (of shape filterShape). */
export function conv2dGradFilter(
  x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly [number, number, number, number], stride: number, pad: PadMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const [kh, kw] = filterShape;
    const gh = axisGeometry(h, kh, stride, pad);
    const gw = axisGeometry(w, kw, stride, pad);
    const xp = padOrCropSpatial(x, gh.before, gh.after, gw.before, gw.after);
    const xAsBatch = tf.transpose(xp, [3, 1, 2, 0]); // [cin, Hp, Wp, n]
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]); // [ho, wo, n, cout]
    const out = tf.conv2d(xAsBatch, dyAsFilter, 1, 'valid', 'NHWC', stride); // [cin, kh, kw, cout]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}
