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
import { GELU_SIGMOID_SCALE } from './gelu-scale.js';

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
export { GELU_SIGMOID_SCALE };
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, GELU_SIGMOID_SCALE))));
}

/**
 * LayerNorm over the last (channel) axis with learned scale and bias ([C] each).
 *
 * Forward: the same ops as tf.moments + rsqrt (so values are unchanged). Backward: the closed form
 *   ĝ = dy·γ,  dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy   (r = 1/√(var+ε))
 * in ~10 kernels instead of the ~30 that autodiff through moments launched, saving only x̂, r, γ.
 */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): T {
  return layerNormWithEps(eps)(x, gamma, beta) as T;
}

const layerNormByEps = new Map<number, (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor>();

function layerNormWithEps(eps: number): (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor {
  let fn = layerNormByEps.get(eps);
  if (fn) return fn;
  fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const inv = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axis, true), eps));
    const normalised = tf.mul(centered, inv);
    save([normalised, inv, gamma]);
    return {
      value: tf.add(tf.mul(normalised, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const leading = xhat.shape.slice(0, -1).map((_, i) => i);
        const scaled = tf.mul(dy, g);
        const dx = tf.mul(tf.sub(tf.sub(scaled, tf.mean(scaled, axis, true)), tf.mul(xhat, tf.mean(tf.mul(scaled, xhat), axis, true))), r);
        return [dx, tf.sum(tf.mul(dy, xhat), leading), tf.sum(dy, leading)];
      },
    };
  }) as unknown as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  layerNormByEps.set(eps, fn);
  return fn;
}
