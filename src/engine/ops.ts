/**
 * Differentiable ops that the model uses, with gradients that run on the wasm backend.
 *
 * Importing this module registers abair's kernel gradients (grad/kernel-gradients.ts): the Node
 * build of tfjs-core registers none, and wasm lacks the conv/depthwise backprop kernels. Conv and
 * depthwise gradients are themselves forward convolutions (grad/conv.ts, grad/depthwise.ts);
 * matrix products keep operands non-transposed (grad/matmul.ts). Model code must call these ops.
 * Do not use tf.fused.* while training: their custom gradients call the missing backprop kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import './grad/kernel-gradients.js';
import { plainMatMul } from './grad/matmul.js';

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

/** [N,H,W,C·r²] → [N,H·r,W·r,C] (inverse of pixelUnshuffle). Reshape+transpose, so differentiable. */
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

/**
 * Batched matrix product a[b,m,k] @ b[b,k,n] → [b,m,n] (MDTA's channel attention). Transposes are
 * explicit tf.transpose calls so forward and backward use wasm's fast non-transposed product.
 */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  return plainMatMul(a, b, transposeA, transposeB);
}

/**
 * GELU activation (GDFN's gate) in its sigmoid form x·σ(1.702x). On wasm it is 5.7× faster than
 * the exact erf form forward+backward (40 vs 227 ms at [1,128,128,128], docs/engine.md); it differs
 * from exact GELU by ≤ 0.02, which does not matter for a network trained with it, and it exports to
 * ONNX as plain Sigmoid + Mul.
 */
export const GELU_SIGMOID_SCALE = 1.702;
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, GELU_SIGMOID_SCALE))));
}

/** LayerNorm over the last (channel) axis with learned scale and bias ([C] each). */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T;
  });
}
