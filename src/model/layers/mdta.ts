/**
 * Multi-Dconv head Transposed Attention (Restormer's MDTA). Attention runs across channels, not
 * pixels: per head a d×d map (d = C/heads) from q·kᵀ summed over all pixels, so the cost is linear
 * in the number of pixels and any image size works.
 *
 *   qkv = dw3×3(1×1(x)); q,k L2-normalised over pixels; A = softmax(temperature · qᵀk) over channels;
 *   out = 1×1(A applied to v)
 */
import { tf } from '../../engine/backend.js';
import * as ops from '../../engine/ops.js';
import { param, type ParamSpec, type Params } from '../params.js';
import { conv1x1, conv1x1Parts, conv1x1Spec, depthwise3x3Part, depthwise3x3Spec, type LinearDelta } from './conv.js';

export function mdtaSpecs(name: string, channels: number, heads: number): ParamSpec[] {
  return [
    // Restormer initialises the per-head temperature to 1 and learns it.
    { name: `${name}.temperature`, shape: [heads], init: { kind: 'ones' } },
    conv1x1Spec(`${name}.qkv`, channels, 3 * channels),
    depthwise3x3Spec(`${name}.qkv_dw`, 3 * channels),
    conv1x1Spec(`${name}.proj`, channels, channels),
  ];
}

/** [N,H,W,C] → [N·heads, H·W, C/heads] (pixels on the middle axis, one matrix per image and head). */
function splitHeads(x: tf.Tensor4D, heads: number): tf.Tensor3D {
  const [n, h, w, c] = x.shape;
  if (heads === 1) return tf.reshape(x, [n, h * w, c]) as tf.Tensor3D;
  const perHead = tf.transpose(tf.reshape(x, [n, h * w, heads, c / heads]), [0, 2, 1, 3]);
  return tf.reshape(perHead, [n * heads, h * w, c / heads]) as tf.Tensor3D;
}

function mergeHeads(x: tf.Tensor3D, n: number, h: number, w: number, heads: number): tf.Tensor4D {
  const d = x.shape[2];
  if (heads === 1) return tf.reshape(x, [n, h, w, d]) as tf.Tensor4D;
  const pixelsFirst = tf.transpose(tf.reshape(x, [n, heads, h * w, d]), [0, 2, 1, 3]);
  return tf.reshape(pixelsFirst, [n, h, w, heads * d]) as tf.Tensor4D;
}

/** x / max(‖x‖, 1e-12) along the pixel axis (PyTorch's F.normalize semantics). */
function l2NormalizeOverPixels(x: tf.Tensor3D): tf.Tensor3D {
  const sumSq = tf.sum(tf.square(x), 1, true);
  return tf.mul(x, tf.rsqrt(tf.maximum(sumSq, 1e-24))) as tf.Tensor3D;
}

export function mdta(params: Params, name: string, x: tf.Tensor4D, heads: number, lora?: LinearDelta): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // q|k|v are the three channel groups of one 1×1 conv (+ depthwise), computed group by group.
  const [q, k, v] = conv1x1Parts(params, `${name}.qkv`, x, 3, lora).map((part, i) => depthwise3x3Part(params, `${name}.qkv_dw`, part, i, 3)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const qh = l2NormalizeOverPixels(splitHeads(q, heads));
  const kh = l2NormalizeOverPixels(splitHeads(k, heads));
  const vh = splitHeads(v, heads);
  const d = c / heads;
  // scores[i,j] = Σ_pixels q[p,i]·k[p,j]: a d×d channel-to-channel map per image and head
  const scores = ops.batchMatMul(qh, kh, true, false);
  const temperature = tf.reshape(param(params, `${name}.temperature`), [1, heads, 1, 1]);
  const scaled = tf.reshape(tf.mul(tf.reshape(scores, [n, heads, d, d]), temperature), [n * heads, d, d]) as tf.Tensor3D;
  const attention = tf.softmax(scaled, -1);
  // out[p,i] = Σ_j attention[i,j]·v[p,j]
  const out = ops.batchMatMul(vh, attention, false, true);
  return conv1x1(params, `${name}.proj`, mergeHeads(out, n, h, w, heads), lora);
}
