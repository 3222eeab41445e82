import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { texturedImage } from './synthetic-images.js';
import { degradationCutMix, sampleMixed, sampleSingle, DEFAULT_CLASSES, type LabelledSample } from './cutmix.js';
import { rectMask, smoothMask } from './masks.js';
import type { DegradationName } from './types.js';

function pixelChanged(s: LabelledSample, i: number): boolean {
  const a = s.degraded.data;
  const b = s.clean.data;
  return a[3 * i] !== b[3 * i] || a[3 * i + 1] !== b[3 * i + 1] || a[3 * i + 2] !== b[3 * i + 2];
}

/** Checks the label map against the image: the properties training relies on. */
function checkConsistent(s: LabelledSample): { stacked: number; clean: number } {
  const n = s.clean.width * s.clean.height;
  const K = s.classes.length;
  let stacked = 0;
  let clean = 0;
  for (let i = 0; i < n; i++) {
    let present = 0;
    for (let k = 0; k < K; k++) present += s.labels[i * K + k]!;
    if (present > 1) stacked++;
    if (s.classMap[i] === 0) {
      clean++;
      assert.equal(present, 0, 'classMap clean ⇒ no labels');
      assert.ok(!pixelChanged(s, i), `pixel ${i} labelled clean but changed`);
    } else {
      assert.equal(s.labels[i * K + s.classMap[i]! - 1], 1, 'classMap class is among the labels');
      // these test classes (noise ≥ 5/255 on unclipped values, a 2–4 bit cut) change every pixel
      assert.ok(pixelChanged(s, i), `pixel ${i} labelled ${s.classes[s.classMap[i]! - 1]} but unchanged`);
    }
  }
  return { stacked, clean };
}

test('CutMix: labels agree with where pixels changed; regions stack and stay clean across samples', async () => {
  const classes: DegradationName[] = ['noise', 'bitdepth'];
  const img = texturedImage(64, 64, 7);
  // keep every value off the 3-bit grid, so the bit-depth cut changes every pixel (and noise
  // followed by the cut never lands back on the original value)
  for (let i = 0; i < img.data.length; i++) if (Math.round(img.data[i]! * 255) % 32 === 0) img.data[i]! += 1 / 255;
  let stackedSeen = 0;
  let cleanSeen = 0;
  const shapes = new Set<string>();
  for (let seed = 0; seed < 12; seed++) {
    // severity 0.9: bit depth keeps 3 bits, noise σ = 45/255
    const s = await degradationCutMix(img, new Rng(seed), { classes, severity: 0.9 });
    assert.equal(s.labels.length, 64 * 64 * 2);
    assert.equal(s.classMap.length, 64 * 64);
    const { stacked, clean } = checkConsistent(s);
    stackedSeen += stacked;
    cleanSeen += clean;
    for (const layer of s.params) shapes.add(layer.region!.shape);
    assert.deepEqual(s.clean.data, img.data);
  }
  assert.ok(stackedSeen > 0, 'some pixels carry two degradations');
  assert.ok(cleanSeen > 0, 'some pixels stay clean');
  assert.deepEqual([...shapes].sort(), ['rect', 'smooth']);
});

test('CutMix is deterministic for a seed and differs across seeds', async () => {
  const img = texturedImage(40, 40, 1);
  const opts = { classes: ['noise', 'blur', 'jpeg', 'bitdepth'] as DegradationName[] };
  const a = await degradationCutMix(img, new Rng(5), opts);
  const b = await degradationCutMix(img, new Rng(5), opts);
  const c = await degradationCutMix(img, new Rng(6), opts);
  assert.deepEqual(a.degraded.data, b.degraded.data);
  assert.deepEqual(a.classMap, b.classMap);
  assert.deepEqual(a.params, b.params);
  assert.notDeepEqual(a.classMap, c.classMap);
});

test('sampleSingle / sampleMixed label every pixel; top-most class wins the class map', async () => {
  const img = texturedImage(32, 32, 2);
  const single = await sampleSingle(img, 'noise', new Rng(1), 0.5);
  assert.deepEqual(single.classes, DEFAULT_CLASSES);
  assert.ok(single.classMap.every((v) => v === 1 + DEFAULT_CLASSES.indexOf('noise')));
  checkConsistent(single);
  const classes: DegradationName[] = ['noise', 'blur', 'jpeg'];
  const mixed = await sampleMixed(img, ['noise', 'blur'], new Rng(1), 0.5, classes);
  assert.deepEqual(mixed.params.map((p) => p.name), ['blur', 'noise']);
  assert.ok(mixed.classMap.every((v) => v === 1 + classes.indexOf('noise')));
  for (let i = 0; i < 32 * 32; i++) assert.deepEqual([...mixed.labels.subarray(i * 3, i * 3 + 3)], [1, 1, 0]);
});

test('class list errors are UsageErrors', async () => {
  const img = texturedImage(8, 8);
  await assert.rejects(sampleSingle(img, 'jpeg', new Rng(1)), (e: unknown) => e instanceof UsageError && /not in the class list/.test(e.message));
  await assert.rejects(degradationCutMix(img, new Rng(1), { classes: [] }), UsageError);
  await assert.rejects(degradationCutMix(img, new Rng(1), { classes: ['noise', 'noise'] }), /repeated/);
  await assert.rejects(degradationCutMix(img, new Rng(1), { classes: ['fog' as DegradationName] }), /unknown degradation/);
});

test('masks cover about the requested area', () => {
  const rng = new Rng(3);
  for (const area of [0.2, 0.4, 0.6]) {
    const r = rectMask(128, 96, area, rng);
    const s = smoothMask(128, 96, area, rng);
    assert.ok(Math.abs(r.coverage - area) < 0.03, `rect ${r.coverage} vs ${area}`);
    assert.ok(Math.abs(s.coverage - area) < 0.01, `smooth ${s.coverage} vs ${area}`);
  }
});
