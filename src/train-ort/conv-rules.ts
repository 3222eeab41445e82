/**
 * Forward + backward of the weight-carrying ops: weight relayout/slices, 1×1 (linear), plain
 * matMul, full 3×3 convolution (stride 1 or 2, optional bias) and depthwise 3×3. NCHW activations,
 * weights in the tfjs layout (see graph-ops.ts).
 *
 *   conv dx:   ConvTranspose(dy, W) with the forward's strides and explicit pads.
 *   conv dW:   Conv(xᵀ [cin,N,H,W], dyᵀ [cout,N,Ho,Wo] as kernel, dilation = stride) → [cin,cout,3,3].
 *   dw dx:     grouped ConvTranspose(dy, W, group C).
 *   dw dW:     Conv([1,N·C,H,W], dy as [N·C,1,H,W] kernel, group N·C) → [N,C,3,3], summed over N.
 *   linear:    dx = w·dy per pixel (MatMul), dW = Einsum over images and pixels.
 */
import type { AttributeValue } from '../onnx/proto.js';
import { type Autodiff, type V } from './tape.js';

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Transposed (+ reshaped) weight; its gradient is mapped back to the source layout. */
export function relayout(ad: Autodiff, w: V, perm: number[], reshape?: number[]): V {
  const permuted = perm.map((p) => w.shape[p]!);
  const out = ad.shaped(ad.graph.relayout(w, perm, reshape), reshape ?? permuted);
  return ad.record([w], out, (dy) => [ad.transpose(reshape ? ad.reshape(dy, permuted) : dy, inversePerm(perm))]);
}

/** Slice of a weight (tfjs layout); the gradient is zero-padded back to the full weight. */
export function sliceWeight(ad: Autodiff, w: V, begin: number[], size: number[]): V {
  const out = ad.shaped(ad.graph.sliceWeight(w, begin, size), [...size]);
  return ad.record([w], out, (dy) => {
    const after = w.shape.map((d, i) => d - begin[i]! - size[i]!);
    if (begin.every((b) => b === 0) && after.every((a) => a === 0)) return [dy];
    return [ad.node('Pad', [dy, ad.graph.int64([...begin, ...after])], { mode: 'constant' }, [...w.shape])];
  });
}

/** x [N,cin,H,W] · w [cin,cout] per pixel → [N,cout,H,W] (a 1×1 convolution, as the exporter emits it). */
export function linear(ad: Autodiff, x: V, w: V): V {
  const [n, cin, h, wd] = x.shape as [number, number, number, number];
  const cout = w.shape[1]!;
  const kernel = ad.graph.relayout(w, [1, 0], [cout, cin, 1, 1]);
  const out = ad.node('Conv', [x, kernel], { kernel_shape: [1, 1] }, [n, cout, h, wd], cout);
  return ad.record([x, w], out, (dy) => {
    const dyRows = ad.reshape(dy, [n, cout, h * wd]);
    const dx = ad.requires(x) ? ad.reshape(ad.node('MatMul', [w, dyRows], {}, [n, cin, h * wd]), x.shape) : null;
    const dw = ad.requires(w) ? ad.node('Einsum', [ad.reshape(x, [n, cin, h * wd]), dyRows], { equation: 'nip,nop->io' }, [cin, cout]) : null;
    return [dx, dw];
  });
}

/** Plain [N,F]·[F,K] (the estimator's head). */
export function matMul(ad: Autodiff, a: V, w: V): V {
  const out = ad.node('MatMul', [a, w], {}, [a.shape[0]!, w.shape[1]!], w.shape[1]!);
  return ad.record([a, w], out, (dy) => [
    ad.requires(a) ? ad.node('MatMul', [dy, ad.transpose(w, [1, 0])], {}, [...a.shape]) : null,
    ad.requires(w) ? ad.node('MatMul', [ad.transpose(a, [1, 0]), dy], {}, [...w.shape]) : null,
  ]);
}

/** TF 'same' padding of a 3×3 window: [begin, end] per spatial axis (odd pixel at the end). */
export function samePads(size: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + 3 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** 3×3 convolution, 'same' padding, stride 1 or 2, optional bias [cout]; w [3,3,cin,cout]. */
export function conv3x3(ad: Autodiff, x: V, w: V, stride: number, bias?: V): V {
  const [n, cin, h, wd] = x.shape as [number, number, number, number];
  const cout = w.shape[3]!;
  const kernel = relayout(ad, w, [3, 2, 0, 1]);
  const [pt, pb] = samePads(h, stride);
  const [pl, pr] = samePads(wd, stride);
  const ho = Math.ceil(h / stride), wo = Math.ceil(wd / stride);
  const attributes: Record<string, AttributeValue> = stride === 1 ? { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } : { kernel_shape: [3, 3], strides: [stride, stride], auto_pad: 'SAME_UPPER' };
  const out = ad.node('Conv', bias ? [x, kernel, bias] : [x, kernel], attributes, [n, cout, ho, wo], cout);
  const inputs = bias ? [x, kernel, bias] : [x, kernel];
  return ad.record(inputs, out, (dy) => {
    const pads = [pt, pl, pb, pr];
    const dx = ad.requires(x) ? ad.node('ConvTranspose', [dy, kernel], { kernel_shape: [3, 3], strides: [stride, stride], pads }, [...x.shape]) : null;
    let dk: V | null = null;
    if (ad.requires(kernel)) {
      const perImage = ad.node('Conv', [ad.transpose(x, [1, 0, 2, 3]), ad.transpose(dy, [1, 0, 2, 3])], { kernel_shape: [ho, wo], dilations: [stride, stride], pads }, [cin, cout, 3, 3]);
      dk = ad.transpose(perImage, [1, 0, 2, 3]);
    }
    const grads: (V | null)[] = [dx, dk];
    if (bias) grads.push(ad.requires(bias) ? ad.reduceSum(dy, [0, 2, 3], false) : null);
    return grads;
  });
}

/** Depthwise 3×3, stride 1, 'same'; w [3,3,C,1]. */
export function depthwise3x3(ad: Autodiff, x: V, w: V): V {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const kernel = relayout(ad, w, [2, 3, 0, 1], [c, 1, 3, 3]);
  const out = ad.node('Conv', [x, kernel], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c }, [...x.shape], c);
  return ad.record([x, kernel], out, (dy) => {
    const dx = ad.requires(x) ? ad.node('ConvTranspose', [dy, kernel], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c }, [...x.shape]) : null;
    let dk: V | null = null;
    if (ad.requires(kernel)) {
      // every (image, channel) pair is its own group: x's plane correlated with dy's plane
      const planes = ad.node('Conv', [ad.reshape(x, [1, n * c, h, wd]), ad.reshape(dy, [n * c, 1, h, wd])], { kernel_shape: [h, wd], pads: [1, 1, 1, 1], group: n * c }, [1, n * c, 3, 3]);
      dk = ad.reshape(ad.reduceSum(ad.reshape(planes, [n, c, 3, 3]), [0], false), [c, 1, 3, 3]);
    }
    return [dx, dk];
  });
}
