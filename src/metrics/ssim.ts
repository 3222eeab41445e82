/**
 * Structural similarity (Wang et al. 2004) computed exactly as skimage.metrics.structural_similarity
 * 0.19 does, with data_range 255 and K1 = 0.01, K2 = 0.03:
 *   local means/variances/covariance from a Gaussian or uniform filter, variances scaled by
 *   N/(N-1) when sample covariance is on, the SSIM map cropped by (win-1)/2 on every side, then
 *   averaged; multi-channel images average the per-channel means.
 */
import type { RGBImage } from '../image/types.js';
import { gaussianKernel, uniformKernel } from './kernels.js';
import type { MetricOptions, SsimWindow } from './options.js';
import { DATA_RANGE, preparePlanes } from './planes.js';

const K1 = 0.01;
const K2 = 0.03;

interface WindowSpec {
  taps: Float64Array;
  /** factor turning the filter's (population) variance into the convention's variance */
  covarianceNorm: number;
}

function windowSpec(window: SsimWindow): WindowSpec {
  if (window === 'gaussian') {
    // sigma 1.5, truncate 3.5 → radius 5, an 11x11 window; population covariance.
    return { taps: gaussianKernel(1.5, 3.5), covarianceNorm: 1 };
  }
  if (window === 'uniform7') {
    const pixels = 7 * 7;
    return { taps: uniformKernel(7), covarianceNorm: pixels / (pixels - 1) };
  }
  throw new Error(`unknown SSIM window '${String(window)}' (use gaussian or uniform7)`);
}

/**
 * Mean SSIM of one plane pair (values on the 0–255 scale).
 *
 * skimage filters the whole image (with 'reflect' borders) and then discards a (win-1)/2 margin,
 * so every value it averages comes from a window lying entirely inside the image: the border mode
 * never matters. This computes only those windows ("valid" correlation), fusing the five local
 * statistics and the SSIM formula into one pass without full-size intermediate maps.
 */
// @testSeam: tested directly (metrics.test.ts)
export function ssimPlane(a: Float64Array, b: Float64Array, width: number, height: number, window: SsimWindow): number {
  const { taps, covarianceNorm } = windowSpec(window);
  const size = taps.length;
  if (width < size || height < size) {
    throw new Error(`SSIM needs images of at least ${size}x${size} pixels for the ${window} window, got ${width}x${height}`);
  }
  const outW = width - size + 1;
  const outH = height - size + 1;

  // Horizontal pass over every row: local sums of a, b, a², b², ab for each valid column.
  const hA = new Float64Array(height * outW);
  const hB = new Float64Array(height * outW);
  const hAA = new Float64Array(height * outW);
  const hBB = new Float64Array(height * outW);
  const hAB = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const dst = y * outW;
    for (let x = 0; x < outW; x++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let j = 0; j < size; j++) {
        const t = taps[j];
        const va = a[row + x + j];
        const vb = b[row + x + j];
        sa += t * va;
        sb += t * vb;
        saa += t * va * va;
        sbb += t * vb * vb;
        sab += t * va * vb;
      }
      hA[dst + x] = sa;
      hB[dst + x] = sb;
      hAA[dst + x] = saa;
      hBB[dst + x] = sbb;
      hAB[dst + x] = sab;
    }
  }

  // Vertical pass, one output row at a time, straight into the SSIM formula.
  const c1 = (K1 * DATA_RANGE) ** 2;
  const c2 = (K2 * DATA_RANGE) ** 2;
  const mA = new Float64Array(outW);
  const mB = new Float64Array(outW);
  const mAA = new Float64Array(outW);
  const mBB = new Float64Array(outW);
  const mAB = new Float64Array(outW);
  let sum = 0;
  for (let y = 0; y < outH; y++) {
    mA.fill(0);
    mB.fill(0);
    mAA.fill(0);
    mBB.fill(0);
    mAB.fill(0);
    for (let j = 0; j < size; j++) {
      const t = taps[j];
      const src = (y + j) * outW;
      for (let x = 0; x < outW; x++) {
        mA[x] += t * hA[src + x];
        mB[x] += t * hB[src + x];
        mAA[x] += t * hAA[src + x];
        mBB[x] += t * hBB[src + x];
        mAB[x] += t * hAB[src + x];
      }
    }
    for (let x = 0; x < outW; x++) {
      const ma = mA[x];
      const mb = mB[x];
      const varA = covarianceNorm * (mAA[x] - ma * ma);
      const varB = covarianceNorm * (mBB[x] - mb * mb);
      const cov = covarianceNorm * (mAB[x] - ma * mb);
      sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (varA + varB + c2));
    }
  }
  return sum / (outW * outH);
}

/**
 * Mean SSIM in [-1, 1] (1 for identical images). RGB averages the three channel SSIMs; 'y' uses
 * BT.601 luma. Default window: Gaussian (see SsimWindow).
 */
export function ssim(a: RGBImage, b: RGBImage, options: MetricOptions = {}): number {
  const window = options.ssimWindow ?? 'gaussian';
  const planes = preparePlanes(a, b, options);
  let total = 0;
  for (let c = 0; c < planes.a.length; c++) {
    total += ssimPlane(planes.a[c], planes.b[c], planes.width, planes.height, window);
  }
  return total / planes.a.length;
}
