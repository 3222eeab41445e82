/**
 * Padding arithmetic shared by the convolution gradients. It follows TensorFlow's rules so the
 * gradients line up exactly with what the Conv2D / DepthwiseConv2dNative forward kernels computed.
 */

export type PadMode = 'same' | 'valid';

interface AxisGeometry {
  /** Output length along this axis. */
  out: number;
  /** Zero rows/columns added before the input. */
  before: number;
  /**
   * Rows/columns after the input up to the end of the last window: (out-1)·s + k - n - before.
   * Negative when the stride skips the input's tail (those rows get zero gradient).
   */
  after: number;
}

/** One spatial axis of a convolution: input length n, kernel k, stride s. */
export function axisGeometry(n: number, k: number, s: number, pad: PadMode): AxisGeometry {
  if (pad === 'same') {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: (out - 1) * s + k - n - before };
  }
  const out = Math.ceil((n - k + 1) / s);
  // The last (n - ((out-1)·s + k)) input rows are never read; they get zero gradient.
  return { out, before: 0, after: (out - 1) * s + k - n };
}
