import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, type RGBImage } from '../../image/types.js';
import { Rng } from '../../util/rng.js';
import { convolve2d, convolveSeparable, reflectIndex, type Kernel } from '../convolve.js';
import { diskKernel, gaussian1d, gaussianKernel } from '../kernels.js';
import { blur, blurKernel, blurParamsFor, BLUR_KINDS, type BlurParams } from './blur.js';

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

test('blur kernels of every kind and severity sum to 1 and are non-negative', () => {
  const rng = new Rng(5);
  for (const kind of BLUR_KINDS) {
    for (const s of [0, 0.3, 0.7, 1]) {
      for (let rep = 0; rep < 5; rep++) {
        const k = blurKernel(blurParamsFor(kind, s, rng));
        assert.equal(k.size % 2, 1, `${kind} kernel size odd`);
        assert.ok(Math.abs(sum(k.weights) - 1) < 1e-5, `${kind} s=${s} sum ${sum(k.weights)}`);
        assert.ok(k.weights.every((v) => v >= 0), `${kind} non-negative`);
      }
    }
  }
  assert.ok(Math.abs(sum(gaussian1d(2.2)) - 1) < 1e-6);
});

test('motion kernel: longer severity gives a larger kernel, same seed gives the same kernel', () => {
  const short = blurKernel({ kind: 'motion', severity: 0, length: 3, kernelSeed: 9 });
  const long = blurKernel({ kind: 'motion', severity: 1, length: 25, kernelSeed: 9 });
  assert.ok(long.size > short.size);
  assert.deepEqual(blurKernel({ kind: 'motion', severity: 1, length: 25, kernelSeed: 9 }).weights, long.weights);
});

test('reflectIndex mirrors without repeating the edge, for any distance', () => {
  assert.deepEqual([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4)), [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
  assert.equal(reflectIndex(-7, 1), 0);
});

/** Reference convolution, written the slow obvious way. */
function naive(img: RGBImage, k: Kernel): Float32Array {
  const r = (k.size - 1) / 2;
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let v = 0; v < k.size; v++)
          for (let u = 0; u < k.size; u++) {
            const sx = reflectIndex(x - (u - r), img.width);
            const sy = reflectIndex(y - (v - r), img.height);
            s += k.weights[v * k.size + u]! * img.data[(sy * img.width + sx) * 3 + c]!;
          }
        out[(y * img.width + x) * 3 + c] = s;
      }
  return out;
}

test('convolution matches a naive reference (asymmetric kernel, reflect borders, kernel > image)', () => {
  const rng = new Rng(2);
  const img = createImage(7, 5);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.next();
  const k: Kernel = { size: 9, weights: new Float32Array(81) };
  for (let i = 0; i < 81; i++) k.weights[i] = rng.bool(0.3) ? rng.next() : 0;
  const fast = convolve2d(img, k).data;
  const ref = naive(img, k);
  for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(fast[i]! - ref[i]!) < 1e-5, `at ${i}`);
  // flat rows (runs of equal weights take the prefix-sum path), asymmetric, plus a disk
  const runs: Kernel = { size: 7, weights: new Float32Array(49) };
  for (let i = 0; i < 49; i++) runs.weights[i] = i % 7 < 5 ? 0.01 * (1 + Math.floor(i / 7)) : rng.next() * 0.02;
  for (const k2 of [runs, diskKernel(2.6), diskKernel(4.2)]) {
    const f2 = convolve2d(img, k2).data;
    const r2 = naive(img, k2);
    for (let i = 0; i < r2.length; i++) assert.ok(Math.abs(f2[i]! - r2[i]!) < 1e-5, `runs kernel size ${k2.size} at ${i}`);
  }
  const sep = convolveSeparable(img, gaussian1d(1.3)).data;
  const ref2 = naive(img, gaussianKernel(1.3));
  for (let i = 0; i < ref2.length; i++) assert.ok(Math.abs(sep[i]! - ref2[i]!) < 1e-5, `separable at ${i}`);
});

test('blur smooths a step edge and keeps flat areas and the mean', async () => {
  const img = createImage(64, 64);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) img.data.fill(x < 32 ? 0.2 : 0.8, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
  const maxJump = (d: Float32Array) => {
    let m = 0;
    for (let y = 0; y < 64; y++) for (let x = 1; x < 64; x++) m = Math.max(m, Math.abs(d[(y * 64 + x) * 3]! - d[(y * 64 + x - 1) * 3]!));
    return m;
  };
  const params: BlurParams[] = [
    { kind: 'motion', severity: 0.8, length: 20, kernelSeed: 4 },
    { kind: 'gaussian', severity: 0.5, sigma: 2 },
    { kind: 'defocus', severity: 0.5, radius: 4 },
  ];
  for (const p of params) {
    const out = (await blur.apply(img, p, new Rng(0))).data;
    // a motion path can happen to be nearly vertical; the edge is still softened unless it is exactly so
    assert.ok(maxJump(out) < 0.6 * 0.6, `${p.kind}: max jump ${maxJump(out)}`);
    assert.ok(Math.abs(out[(10 * 64 + 2) * 3]! - 0.2) < 1e-5, `${p.kind}: flat area kept`);
    assert.ok(Math.abs(sum(out) / out.length - 0.5) < 0.01, `${p.kind}: mean kept`);
  }
});

test('defocus disk is round: symmetric under transpose', () => {
  const k = diskKernel(3.5);
  for (let y = 0; y < k.size; y++) for (let x = 0; x < k.size; x++) assert.equal(k.weights[y * k.size + x], k.weights[x * k.size + y]);
});
