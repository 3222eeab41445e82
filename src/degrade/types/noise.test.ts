import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage } from '../../image/types.js';
import { Rng } from '../../util/rng.js';
import { noise, noiseParams, NOISE_KINDS } from './noise.js';

function stats(a: Float32Array, b: Float32Array, channel?: number): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (channel !== undefined && i % 3 !== channel) continue;
    const d = a[i]! - b[i]!;
    s += d;
    s2 += d * d;
    n++;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean) };
}

for (const kind of NOISE_KINDS) {
  test(`noise ${kind}: σ=25 on flat 0.5 grey has std 25/255 ± 0.5/255, zero mean`, () => {
    const img = createImage(256, 256, 0.5);
    const out = noise.apply(img, noiseParams(kind, 25), new Rng(7)) as { data: Float32Array };
    const { mean, std } = stats(out.data, img.data);
    assert.ok(Math.abs(std - 25 / 255) < 0.5 / 255, `std ${std * 255} (8-bit units)`);
    assert.ok(Math.abs(mean) < 0.5 / 255, `mean ${mean * 255}`);
    assert.equal(img.data[0], 0.5, 'input untouched');
  });
}

test('noise gaussian: channels independent; gaussian-luma: channels correlated as asked', () => {
  const img = createImage(128, 128, 0.5);
  const corr = (data: Float32Array) => {
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < data.length; i += 3) {
      const a = data[i]! - 0.5;
      const b = data[i + 1]! - 0.5;
      sab += a * b;
      saa += a * a;
      sbb += b * b;
    }
    return sab / Math.sqrt(saa * sbb);
  };
  const indep = noise.apply(img, noiseParams('gaussian', 20), new Rng(1)) as { data: Float32Array };
  const luma = noise.apply(img, noiseParams('gaussian-luma', 20, { correlation: 0.8 }), new Rng(1)) as { data: Float32Array };
  assert.ok(Math.abs(corr(indep.data)) < 0.05, `independent corr ${corr(indep.data)}`);
  assert.ok(Math.abs(corr(luma.data) - 0.8) < 0.05, `luma corr ${corr(luma.data)}`);
});

test('noise poisson-gaussian: brighter pixels get more noise (signal-dependent)', () => {
  const dark = createImage(128, 128, 0.1);
  const bright = createImage(128, 128, 0.8);
  const p = noiseParams('poisson-gaussian', 30, { shotFraction: 0.9 });
  const sDark = stats((noise.apply(dark, p, new Rng(3)) as { data: Float32Array }).data, dark.data).std;
  const sBright = stats((noise.apply(bright, p, new Rng(3)) as { data: Float32Array }).data, bright.data).std;
  assert.ok(sBright > 1.8 * sDark, `bright ${sBright * 255} vs dark ${sDark * 255}`);
});

test('noise.sample maps severity to σ = 50·s and validates severity', () => {
  assert.equal(noise.sample(new Rng(1), 0.5).sigma, 25);
  assert.equal(noise.sample(new Rng(1), 1).sigma, 50);
  assert.throws(() => noise.sample(new Rng(1), 1.5), /severity/);
  for (let i = 0; i < 50; i++) {
    const p = noise.sample(new Rng(i));
    assert.ok(p.sigma >= 5 && p.sigma <= 50);
  }
});
