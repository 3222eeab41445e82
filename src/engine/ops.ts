/**
 * Differentiable ops that the model uses, with gradients that run on the wasm backend.
 *
 * PLACEHOLDER: for now these delegate to tfjs built-ins (their gradients exist on `cpu` but not
 * all on `wasm`). The engine work replaces each with a custom-gradient version built from forward
 * kernels wasm has, checked against cpu. Model code must call these, never tf.conv2d & co directly.
 */
import * as tf from '@tensorflow/tfjs-core';

/** 2-D convolution, NHWC, filter [kh, kw, cin, cout]. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride = 1, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  return tf.conv2d(x, filter, stride, pad);
}

/** Depthwise 2-D convolution, NHWC, filter [kh, kw, c, 1]. */
export function depthwiseConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, stride = 1, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  return tf.depthwiseConv2d(x, filter, stride, pad);
}

/** Plain 2-D matrix product a[m,k] @ b[k,n]. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(a, b);
}

/** [N,H,W,C·r²] → [N,H·r,W·r,C] (inverse of pixelUnshuffle). */
export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const co = c / (r * r);
  // channel index = (i·r + j)·co + k, as in depthToSpace (NHWC, DCR order)
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, r, r, co]), [0, 1, 3, 2, 4, 5]), [n, h * r, w * r, co]));
}

/** [N,H,W,C] → [N,H/r,W/r,C·r²]. */
export function pixelUnshuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [n, h / r, r, w / r, r, c]), [0, 1, 3, 2, 4, 5]), [n, h / r, w / r, c * r * r]));
}

/** Batched matrix product a[b,m,k] @ b[b,k,n] → [b,m,n] (MDTA's channel attention). */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  return tf.matMul(a, b, transposeA, transposeB);
}

/** GELU activation (GDFN's gate). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
}

/** LayerNorm over the last (channel) axis with learned scale and bias ([C] each). */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta) as T;
  });
}
