/** Edge cases and analytic checks of PSNR, SSIM, luma, crops and the reflect filter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, type RGBImage } from '../image/types.js';
import { Rng } from '../util/rng.js';
import { centerCrop, centerCropToMultiple, psnr, ssim, toY } from './index.js';
import { shaveBorder } from './crop.js';
import { gaussianKernel, uniformKernel } from './kernels.js';
import { ssimPlane } from './ssim.js';

function randomImage(width: number, height: number, seed: number): RGBImage {
  const rng = new Rng(seed);
  const img = createImage(width, height);
  // 8-bit values, as the metrics are mostly fed decoded files.
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.int(256) / 255;
  return img;
}

/** Marks each pixel with its own coordinates so crops can be checked by content. */
function coordinateImage(width: number, height: number): RGBImage {
  const img = createImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      img.data[(y * width + x) * 3] = x / 1000;
      img.data[(y * width + x) * 3 + 1] = y / 1000;
    }
  }
  return img;
}

test('identical images: PSNR is Infinity, SSIM is 1 (all spaces and windows)', () => {
  const img = randomImage(24, 20, 1);
  for (const space of ['rgb', 'y'] as const) {
    assert.equal(psnr(img, img, { space }), Infinity);
    for (const ssimWindow of ['gaussian', 'uniform7'] as const) {
      assert.ok(Math.abs(ssim(img, img, { space, ssimWindow }) - 1) < 1e-12);
    }
  }
});

test('PSNR of a uniform one-level (1/255) offset is 10·log10(255²) = 48.1308 dB', () => {
  const a = createImage(16, 16, 100 / 255);
  const b = createImage(16, 16, 101 / 255);
  assert.ok(Math.abs(psnr(a, b) - 10 * Math.log10(255 * 255)) < 1e-3);
  // Y weights sum to 219, so the same offset moves Y by 219/255 levels.
  const expectedY = 10 * Math.log10((255 * 255) / (219 / 255) ** 2);
  assert.ok(Math.abs(psnr(a, b, { space: 'y' }) - expectedY) < 1e-3);
});

test('SSIM of two flat images is the luminance term (2ab + C1) / (a² + b² + C1)', () => {
  const a = createImage(32, 32, 0.2);
  const b = createImage(32, 32, 0.6);
  const c1 = (0.01 * 255) ** 2;
  const [ma, mb] = [0.2 * 255, 0.6 * 255];
  const expected = (2 * ma * mb + c1) / (ma * ma + mb * mb + c1);
  for (const ssimWindow of ['gaussian', 'uniform7'] as const) {
    assert.ok(Math.abs(ssim(a, b, { ssimWindow }) - expected) < 1e-6, ssimWindow);
  }
});

test('SSIM is symmetric, below 1 for different images, and lower for more noise', () => {
  const clean = randomImage(40, 32, 2);
  const slightly = createImage(40, 32);
  const heavily = createImage(40, 32);
  const rng = new Rng(3);
  for (let i = 0; i < clean.data.length; i++) {
    slightly.data[i] = clean.data[i] + 0.02 * rng.normal();
    heavily.data[i] = clean.data[i] + 0.2 * rng.normal();
  }
  const s1 = ssim(clean, slightly);
  assert.ok(Math.abs(s1 - ssim(slightly, clean)) < 1e-12);
  assert.ok(s1 < 1 && ssim(clean, heavily) < s1);
  assert.ok(psnr(clean, heavily) < psnr(clean, slightly));
});

test('size mismatch throws an error naming both sizes', () => {
  const a = createImage(20, 10);
  const b = createImage(10, 20);
  assert.throws(() => psnr(a, b), /20x10 vs 10x20/);
  assert.throws(() => ssim(a, b), /20x10 vs 10x20/);
});

test('SSIM refuses images smaller than its window', () => {
  const a = createImage(10, 10, 0.5);
  assert.throws(() => ssim(a, a), /at least 11x11/);
  assert.equal(ssim(a, a, { ssimWindow: 'uniform7' }), 1);
});

test('toY uses BT.601 studio swing: black 16, white 235, no rounding', () => {
  const img = createImage(3, 1);
  img.data.set([0, 0, 0, 1, 1, 1, 0.5, 0.25, 0.75]);
  const y = toY(img);
  assert.ok(Math.abs(y[0] - 16) < 1e-9);
  assert.ok(Math.abs(y[1] - 235) < 1e-4);
  assert.ok(Math.abs(y[2] - (16 + 65.481 * 0.5 + 128.553 * 0.25 + 24.966 * 0.75)) < 1e-4);
});

test('centerCropToMultiple keeps the centre block with floor offsets', () => {
  const img = coordinateImage(37, 50);
  const cropped = centerCropToMultiple(img, 16);
  assert.equal(cropped.width, 32);
  assert.equal(cropped.height, 48);
  // 37 → 32 drops 5 columns: 2 on the left, 3 on the right; 50 → 48 drops 1 row at the top.
  assert.ok(Math.abs(cropped.data[0] - 2 / 1000) < 1e-7);
  assert.ok(Math.abs(cropped.data[1] - 1 / 1000) < 1e-7);
  assert.equal(centerCropToMultiple(createImage(32, 16), 16).width, 32);
  assert.throws(() => centerCropToMultiple(createImage(8, 8), 16), /smaller than the crop multiple/);
  assert.throws(() => centerCrop(img, 40, 10), /cannot centre-crop/);
});

test('cropMultiple and border options equal measuring the cropped images', () => {
  const a = randomImage(45, 38, 4);
  const b = randomImage(45, 38, 5);
  const ca = shaveBorder(centerCropToMultiple(a, 8), 3);
  const cb = shaveBorder(centerCropToMultiple(b, 8), 3);
  assert.equal(ca.width, 34);
  assert.equal(ca.height, 26);
  const options = { cropMultiple: 8, border: 3 };
  assert.equal(psnr(a, b, options), psnr(ca, cb));
  assert.equal(ssim(a, b, options), ssim(ca, cb));
  assert.notEqual(psnr(a, b, options), psnr(a, b));
});

/** scipy.ndimage 'reflect' (edge sample repeated: d c b a | a b c d), for the reference below. */
function reflectIndex(i: number, n: number): number {
  const m = ((i % (2 * n)) + 2 * n) % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** skimage's procedure literally: full-size reflect-filtered statistics, SSIM map, crop, mean. */
function referenceSsim(a: Float64Array, b: Float64Array, width: number, height: number, taps: Float64Array, covNorm: number): number {
  const r = (taps.length - 1) / 2;
  const filter = (f: (i: number) => number) => {
    const out = new Float64Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let j = -r; j <= r; j++) {
          for (let i = -r; i <= r; i++) {
            acc += taps[j + r] * taps[i + r] * f(reflectIndex(y + j, height) * width + reflectIndex(x + i, width));
          }
        }
        out[y * width + x] = acc;
      }
    }
    return out;
  };
  const [ma, mb] = [filter((i) => a[i]), filter((i) => b[i])];
  const [maa, mbb, mab] = [filter((i) => a[i] * a[i]), filter((i) => b[i] * b[i]), filter((i) => a[i] * b[i])];
  const [c1, c2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2];
  let sum = 0;
  for (let y = r; y < height - r; y++) {
    for (let x = r; x < width - r; x++) {
      const i = y * width + x;
      const va = covNorm * (maa[i] - ma[i] ** 2);
      const vb = covNorm * (mbb[i] - mb[i] ** 2);
      const cov = covNorm * (mab[i] - ma[i] * mb[i]);
      sum += ((2 * ma[i] * mb[i] + c1) * (2 * cov + c2)) / ((ma[i] ** 2 + mb[i] ** 2 + c1) * (va + vb + c2));
    }
  }
  return sum / ((width - 2 * r) * (height - 2 * r));
}

test('gaussian window: 11 taps, symmetric, normalised, sigma 1.5', () => {
  const taps = gaussianKernel(1.5, 3.5);
  assert.equal(taps.length, 11);
  assert.ok(Math.abs(taps.reduce((s, t) => s + t, 0) - 1) < 1e-15);
  assert.ok(Math.abs(taps[0] - taps[10]) < 1e-18);
  assert.ok(Math.abs(taps[4] / taps[5] - Math.exp(-0.5 / 2.25)) < 1e-12);
});

test('ssimPlane (valid windows only) equals the full reflect-filter-then-crop procedure', () => {
  const [width, height] = [23, 17];
  const rng = new Rng(6);
  const a = Float64Array.from({ length: width * height }, () => rng.uniform(0, 255));
  const b = Float64Array.from(a, (v) => v + rng.normal() * 40);
  const cases = [
    { window: 'gaussian' as const, taps: gaussianKernel(1.5, 3.5), covNorm: 1 },
    { window: 'uniform7' as const, taps: uniformKernel(7), covNorm: 49 / 48 },
  ];
  for (const { window, taps, covNorm } of cases) {
    const expected = referenceSsim(a, b, width, height, taps, covNorm);
    assert.ok(Math.abs(ssimPlane(a, b, width, height, window) - expected) < 1e-12, window);
  }
});
