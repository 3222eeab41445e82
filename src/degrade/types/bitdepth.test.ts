import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage } from '../../image/types.js';
import { Rng } from '../../util/rng.js';
import { bitdepth, reduceBitDepth } from './bitdepth.js';

test('bitdepth 4: at most 16 levels per channel, each v & 0xF0', () => {
  const img = createImage(64, 64);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 256) / 255; // every 8-bit value
  const out = bitdepth.apply(img, { severity: 0.67, bits: 4 }, new Rng(0)) as ReturnType<typeof reduceBitDepth>;
  for (let c = 0; c < 3; c++) {
    const levels = new Set<number>();
    for (let i = c; i < out.data.length; i += 3) levels.add(Math.round(out.data[i]! * 255));
    assert.ok(levels.size <= 16, `channel ${c}: ${levels.size} levels`);
  }
  for (let i = 0; i < img.data.length; i++) assert.equal(Math.round(out.data[i]! * 255), Math.round(img.data[i]! * 255) & 0xf0);
});

test('bitdepth.sample: severity 0 → 6 bits, 1 → 3 bits, sampled within 3..6', () => {
  assert.equal(bitdepth.sample(new Rng(1), 0).bits, 6);
  assert.equal(bitdepth.sample(new Rng(1), 1).bits, 3);
  const seen = new Set<number>();
  for (let i = 0; i < 100; i++) seen.add(bitdepth.sample(new Rng(i)).bits);
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6]);
  const levels = new Set(reduceBitDepth(createImage(16, 16, 0.77), 3).data);
  assert.equal(levels.size, 1);
});
