import test from 'node:test';
import assert from 'node:assert/strict';
import { applyDegradations } from '../degrade/registry.js';
import type { RGBImage } from '../image/types.js';
import { Rng } from '../util/rng.js';
import { PROBE_NAMES, PROBES } from './generators.js';

/** A smooth gradient with some edges, so blur, JPEG and quantisation all change it. */
function photoLike(width: number, height: number): RGBImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = (Math.floor(x / 9) + Math.floor(y / 7)) % 2 === 0 ? 0.15 : 0;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 0.2 + 0.5 * (x / width) * (0.6 + 0.2 * c) + 0.2 * (y / height) + edge;
    }
  }
  return { width, height, data };
}

function psnr(a: Float32Array, b: Float32Array): number {
  let mse = 0;
  for (let i = 0; i < a.length; i++) mse += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(a.length / mse);
}

test('every probe degrades visibly, stays in [0, 1], keeps the size and is reproducible from its seed', async () => {
  const img = photoLike(64, 48);
  for (const name of PROBE_NAMES) {
    const a = await PROBES[name](img, new Rng(`probe-test:${name}`));
    const b = await PROBES[name](img, new Rng(`probe-test:${name}`));
    assert.equal(a.width, 64);
    assert.equal(a.height, 48);
    assert.deepEqual(a.data, b.data, `${name}: same seed, same image`);
    assert.ok(a.data.every((v) => v >= 0 && v <= 1), `${name}: values in [0, 1]`);
    const db = psnr(a.data, img.data);
    assert.ok(db < 38, `${name}: visibly degraded (${db.toFixed(1)} dB)`);
    assert.ok(Number.isFinite(db));
  }
});

test("the probes are other formulas than training's generators: no probe reproduces its namesake from the same seed", async () => {
  const img = photoLike(48, 48);
  for (const name of PROBE_NAMES) {
    const probe = await PROBES[name](img, new Rng('same-seed'));
    const trained = await applyDegradations(img, [name], new Rng('same-seed'));
    assert.ok(psnr(probe.data, trained.image.data) < 45, `${name}: differs from src/degrade's`);
  }
});
