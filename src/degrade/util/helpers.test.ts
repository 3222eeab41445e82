import test from 'node:test';
import assert from 'node:assert/strict';
import { directionalBlur, gaussianBlur, gaussianKernel } from './blur.js';
import { smoothField } from './fields.js';
import { fillNormal, normalQuantile } from './gaussian-noise.js';
import { PowerTable, powViaSqrt } from './power-table.js';
import { createLayer, drawSoftParticle, drawStreak } from './raster.js';
import { Rng } from '../../util/rng.js';

test('gaussian kernel is normalised and blur keeps constants and the mean', () => {
  const k = gaussianKernel(1.5);
  assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const flat = new Float32Array(40 * 30).fill(0.3);
  for (const sigma of [1, 6]) for (const v of gaussianBlur(flat, 40, 30, sigma)) assert.ok(Math.abs(v - 0.3) < 1e-5);
  // an impulse far from the border spreads but keeps its mass, for exact and box paths
  for (const sigma of [2, 6]) {
    const m = new Float32Array(101 * 101);
    m[50 * 101 + 50] = 1;
    const b = gaussianBlur(m, 101, 101, sigma);
    const mass = b.reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(mass - 1) < 1e-4, `sigma ${sigma}: mass ${mass}`);
    // the spread matches σ within 10 %
    let varX = 0;
    for (let y = 0; y < 101; y++) for (let x = 0; x < 101; x++) varX += b[y * 101 + x]! * (x - 50) ** 2;
    assert.ok(Math.abs(Math.sqrt(varX) - sigma) < 0.1 * sigma, `sigma ${sigma}: measured ${Math.sqrt(varX)}`);
  }
});

test('directional blur smears only along its direction', () => {
  const w = 41;
  const m = new Float32Array(w * w);
  m[20 * w + 20] = 1;
  const b = directionalBlur(m, w, w, Math.PI / 2, 10); // vertical
  assert.ok(b[15 * w + 20]! > 0.05 && b[25 * w + 20]! > 0.05);
  assert.equal(b[20 * w + 25], 0);
  assert.ok(Math.abs(b.reduce((a, v) => a + v, 0) - 1) < 1e-5);
});

test('smooth field spans [0,1], is smooth and reproducible', () => {
  const f = smoothField(new Rng(1), 64, 48, { cellSize: 32 });
  const g = smoothField(new Rng(1), 64, 48, { cellSize: 32 });
  assert.deepEqual(f, g);
  assert.equal(Math.min(...f), 0);
  assert.equal(Math.max(...f), 1);
  let maxStep = 0;
  for (let i = 1; i < f.length; i++) if (i % 64) maxStep = Math.max(maxStep, Math.abs(f[i]! - f[i - 1]!));
  assert.ok(maxStep < 0.25, `neighbour step ${maxStep}`);
});

test('table normals have mean 0 and std 1', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  const n = fillNormal(new Rng(5), new Float32Array(200000));
  let m = 0;
  let s = 0;
  for (const v of n) m += v;
  m /= n.length;
  for (const v of n) s += (v - m) ** 2;
  assert.ok(Math.abs(m) < 0.01);
  assert.ok(Math.abs(Math.sqrt(s / n.length) - 1) < 0.01);
});

test('power tables match Math.pow', () => {
  const t = new PowerTable(2.7);
  const r = new PowerTable(2 / 2.2);
  for (let x = 0; x <= 1; x += 0.00137) {
    assert.ok(Math.abs(t.at(x) - Math.pow(x, 2.7)) < 1e-5);
    assert.ok(Math.abs(powViaSqrt(r, x) - Math.pow(x, 1 / 2.2)) < 2e-4, `x=${x}`);
  }
});

test('streaks and particles stay in [0,1] and land where drawn', () => {
  const layer = createLayer(50, 50);
  for (let k = 0; k < 30; k++) drawStreak(layer, 10, 5, 12, 45, 1.5, 0.9);
  drawSoftParticle(layer, 40, 40, 40, 40, 2, 0.8);
  for (const v of layer.data) assert.ok(v >= 0 && v <= 1);
  assert.ok(layer.data[25 * 50 + 11]! > 0.9); // on the streak
  assert.equal(layer.data[25 * 50 + 30], 0); // far from everything
  assert.ok(Math.abs(layer.data[40 * 50 + 40]! - 0.8 * Math.exp(-0.5 / 8)) < 1e-6); // pixel centre 0.5 px off in x and y
});
