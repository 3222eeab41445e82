/**
 * Forward + backward of the weight-carrying ops: weight relayout/slices, 1×1 (linear), plain
 * matMul, full 3×3 convolution (stride 1 or 2, optional bias) and depthwise 3×3. NCHW activations,
 * weights in the tfjs layout (see graph-ops.ts).
 *
 *   conv dx:   ConvTranspose(dy, W) with the forward's strides and explicit pads.
 *   conv dW:   Conv(xᵀ [cin,N,H,W], dyᵀ [cout,N,Ho,Wo] as kernel, dilation = stride) → [cin,cout,3,3].
 *   dw dx:     grouped ConvTranspose(dy, W, group C).
 *   dw dW:     per tap, Slice of the padded x · dy, ReduceSum over images and pixels.
 *   With ONNX Runtime's NCHWc kernels (nchwc.ts) the three depthwise ops are single blocked
 *   correlations over all (image, channel) planes instead (depthwiseBlocked).
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
function relayout(ad: Autodiff, w: V, perm: number[], reshape?: number[]): V {
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
    // Σ over images of x·dyᵀ: one batched GEMM with dy transposed inside it (com.microsoft
    // FusedMatMul), not an Einsum, which copies both operands into a contraction layout first
    const dw = ad.requires(w)
      ? ad.reduceSum(ad.node('FusedMatMul', [ad.reshape(x, [n, cin, h * wd]), dyRows], { transB: 1 }, [n, cin, cout], 0, 'com.microsoft'), [0], false)
      : null;
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
function samePads(size: number, stride: number): [number, number] {
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
    if (ad.requires(kernel) && stride === 1) {
      // per tap (ky,kx): dk[:,:,ky,kx] = Σ over images of dy·(x shifted)ᵀ, a batched GEMM with the
      // transpose inside it (FusedMatMul) — no transposed copies of x and dy, no image-sized im2col
      const padded = ad.node('Pad', [x, ad.graph.int64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'constant' }, [n, cin, h + 2, wd + 2]);
      const dyRows = ad.reshape(dy, [n, cout, h * wd]);
      const taps: V[] = [];
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const shifted = ad.node('Slice', [padded, ad.graph.int64([ky, kx]), ad.graph.int64([ky + h, kx + wd]), ad.graph.int64([2, 3])], {}, [n, cin, h, wd]);
          const perImage = ad.node('FusedMatMul', [dyRows, ad.reshape(shifted, [n, cin, h * wd])], { transB: 1 }, [n, cout, cin], 0, 'com.microsoft');
          taps.push(ad.reshape(perImage, [n, cout, cin, 1]));
        }
      }
      dk = ad.reshape(ad.reduceSum(ad.node('Concat', taps, { axis: 3 }, [n, cout, cin, 9]), [0], false), [cout, cin, 3, 3]);
    } else if (ad.requires(kernel)) {
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
  const block = ad.nchwcBlock;
  // ReorderInput takes whole groups of 4 channels (and pads them up to blocks)
  if (block && (n * c) % 4 === 0) return depthwiseBlocked(ad, x, kernel, block);
  const out = ad.node('Conv', [x, kernel], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c }, [...x.shape], c);
  return ad.record([x, kernel], out, (dy) => {
    const dx = ad.requires(x) ? ad.node('ConvTranspose', [dy, kernel], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c }, [...x.shape]) : null;
    let dk: V | null = null;
    if (ad.requires(kernel)) {
      // dk[c,ky,kx] = Σ_{n,y,x} dy·x_padded shifted by (ky,kx): one Slice·Mul·ReduceSum per tap,
      // faster on ONNX Runtime's plain CPU kernels than one Conv with N·C groups and dy as an
      // h×w kernel (im2col of a kernel the size of the image).
      const padded = ad.node('Pad', [x, ad.graph.int64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'constant' }, [n, c, h + 2, wd + 2]);
      const taps: V[] = [];
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const shifted = ad.node('Slice', [padded, ad.graph.int64([ky, kx]), ad.graph.int64([ky + h, kx + wd]), ad.graph.int64([2, 3])], {}, [...x.shape]);
          taps.push(ad.reduceSum(ad.mul(shifted, dy), [0, 2, 3], false));
        }
      }
      const byTap = ad.reshape(ad.node('Concat', taps, { axis: 0 }, [9 * c]), [3, 3, c]);
      dk = ad.reshape(ad.transpose(byTap, [2, 0, 1]), [c, 1, 3, 3]);
    }
    return [dx, dk];
  });
}

const NCHWC = 'com.microsoft.nchwc';

/** Planes [1,G,H,W] in the NCHWc layout, G padded up to whole blocks (ReorderInput needs G % 4 = 0). */
function reorderPlanes(ad: Autodiff, planes: V, block: number): V {
  const [, g, h, wd] = planes.shape as [number, number, number, number];
  return { ...ad.node('ReorderInput', [planes], {}, [1, Math.ceil(g / block) * block, h, wd], 0, NCHWC), channels: g };
}

/**
 * A depthwise correlation on ONNX Runtime's NCHWc kernels (direct loops over channel blocks, no
 * im2col): blocked planes (reorderPlanes; `channels` holds the unpadded G) and one filter per plane,
 * [G,1,kh,kw] in the plain layout, reordered here to the blocked one the kernel reads (output
 * channels innermost) and zero-padded to whole blocks like the planes, or `blocked` already.
 * ReorderOutput drops the padding again.
 */
function blockedCorrelation(ad: Autodiff, planes: V, filters: V, block: number, filtersBlocked = false): V {
  const [, gp, h, wd] = planes.shape as [number, number, number, number];
  const g = planes.channels;
  const [, , kh, kw] = filters.shape as [number, number, number, number];
  const ho = h + 2 - kh + 1, wo = wd + 2 - kw + 1;
  let blocked = filters;
  if (!filtersBlocked) {
    const padded = gp > g ? ad.node('Pad', [filters, ad.graph.int64([0, 0, 0, 0, gp - g, 0, 0, 0])], { mode: 'constant' }, [gp, 1, kh, kw]) : filters;
    blocked = ad.reshape(ad.transpose(ad.reshape(padded, [gp / block, block, kh * kw]), [0, 2, 1]), [gp, 1, kh, kw]);
  }
  const conv = ad.node('Conv', [planes, blocked], { kernel_shape: [kh, kw], pads: [1, 1, 1, 1], group: gp }, [1, gp, ho, wo], 0, NCHWC);
  return ad.node('ReorderOutput', [conv], { channels: g }, [1, g, ho, wo], 0, NCHWC);
}

/**
 * depthwise3x3 with every (image, channel) pair as one plane of a single NCHWc correlation:
 * forward with the filters tiled over the images, dx with the flipped filters, and dk as the
 * correlation of each x plane with its dy plane (an h×w filter giving a 3×3 result), summed over
 * images. x and dy are each reordered once and shared by the correlations that read them.
 * 1.5–8× faster than the plain CPU Conv/ConvTranspose at the backbone's shapes.
 */
function depthwiseBlocked(ad: Autodiff, x: V, kernel: V, block: number): V {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const blockedPlanes = (v: V) => reorderPlanes(ad, ad.reshape(v, [1, n * c, h, wd]), block);
  const perPlane = (k: V) => ad.node('Tile', [k, ad.graph.int64([n, 1, 1, 1])], {}, [n * c, 1, 3, 3]);
  const xBlocked = blockedPlanes(x);
  const out = ad.reshape(blockedCorrelation(ad, xBlocked, perPlane(kernel), block), [...x.shape]);
  const result: V = { ...out, channels: c };
  return ad.record([x, kernel], result, (dy) => {
    const dyBlocked = blockedPlanes(dy);
    let dx: V | null = null;
    if (ad.requires(x)) {
      // the 3×3 taps reversed (k → 8 − k) flip the filter in both axes
      const flipped = ad.reshape(ad.node('Gather', [ad.reshape(kernel, [c, 9]), ad.graph.int64([8, 7, 6, 5, 4, 3, 2, 1, 0])], { axis: 1 }, [c, 9]), [c, 1, 3, 3]);
      dx = ad.reshape(blockedCorrelation(ad, dyBlocked, perPlane(flipped), block), [...x.shape]);
    }
    let dk: V | null = null;
    if (ad.requires(kernel)) {
      // dy as n·c filters of h×w: the blocked filter layout [planes/block, h, w, block] is the very
      // memory order ReorderInput gives an activation, so the reordered dy serves as the filters
      const filters = ad.reshape(dyBlocked, [dyBlocked.shape[1]!, 1, h, wd]);
      const perPair = blockedCorrelation(ad, xBlocked, filters, block, true);
      dk = ad.reshape(ad.reduceSum(ad.reshape(perPair, [n, c, 3, 3]), [0], false), [c, 1, 3, 3]);
    }
    return [dx, dk];
  });
}
