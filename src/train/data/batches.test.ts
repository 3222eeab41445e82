import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDegradations } from '../../degrade/registry.js';
import type { DegradationName } from '../../degrade/types.js';
import type { HostBatch, HostTensor } from '../../train-ort/host-batch.js';
import { Rng } from '../../util/rng.js';
import { adapterBatch, DEGRADE_STREAM, estimatorBatch, FAINT_PSNR_DB, isFaint, pairsBatch, pretrainBatch } from './batches.js';
import { imageSourceFromImages } from './image-source.js';
import { pairSourceFromImages } from './pairs.js';
import { extractPatch, planCrop } from './patch.js';
import type { Uint8Image } from './raw-image.js';

/** Textured 8-bit test image: smooth colour waves plus fine detail, so blur and JPEG change it. */
function texture(width: number, height: number, seed: number): Uint8Image {
  const rng = new Rng(seed);
  const f = Array.from({ length: 6 }, () => rng.uniform(0.03, 0.4));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 0.5 + 0.3 * Math.sin(f[c]! * x + c) * Math.cos(f[c + 3]! * y) + 0.1 * Math.sin(1.7 * x + 2.3 * y);
        data[(y * width + x) * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
    }
  }
  return { width, height, data };
}

// one "large photo" so the rescale path is exercised too
const source = imageSourceFromImages([texture(96, 80, 1), texture(120, 72, 2), texture(1100, 700, 3)]);
const CLASSES: DegradationName[] = ['rain', 'haze', 'noise', 'blur', 'lowlight'];

function assertUnitRange(t: HostTensor, what: string): void {
  assert.ok(t.data instanceof Float32Array, `${what} is float32`);
  for (const v of t.data) assert.ok(v >= 0 && v <= 1, `${what} value ${v} outside [0,1]`);
}

function bytesOf(batch: HostBatch): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(batch).map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

test('pretrainBatch: shapes, dtypes, ranges, seg consistent with where input differs', async () => {
  const B = 12, P = 32;
  const batch = await pretrainBatch(source, new Rng('pre:1'), { batch: B, patch: P, classes: CLASSES });
  assert.deepEqual(Object.keys(batch).sort(), ['input', 'seg', 'target']);
  assert.deepEqual(batch.input!.shape, [B, P, P, 3]);
  assert.deepEqual(batch.target!.shape, [B, P, P, 3]);
  assert.deepEqual(batch.seg!.shape, [B, P, P]);
  assert.ok(batch.seg!.data instanceof Int32Array);
  assertUnitRange(batch.input!, 'input');
  assertUnitRange(batch.target!, 'target');
  const { input, target, seg } = { input: batch.input!.data, target: batch.target!.data, seg: batch.seg!.data };
  let labelled = 0;
  for (let n = 0; n < B; n++) {
    let degradedPixels = 0, changedDegraded = 0;
    for (let p = 0; p < P * P; p++) {
      const label = seg[n * P * P + p]!;
      assert.ok(Number.isInteger(label) && label >= 0 && label <= CLASSES.length, `seg label ${label} out of range`);
      const i = (n * P * P + p) * 3;
      const differs = input[i] !== target[i] || input[i + 1] !== target[i + 1] || input[i + 2] !== target[i + 2];
      if (label === 0) assert.ok(!differs, `sample ${n} pixel ${p} is labelled clean but input ≠ target`);
      else {
        degradedPixels++;
        if (differs) changedDegraded++;
      }
    }
    if (degradedPixels > 0) {
      labelled++;
      assert.ok(changedDegraded > 0, `sample ${n}: ${degradedPixels} pixels labelled degraded, none changed`);
    }
  }
  assert.ok(labelled >= B / 2, `only ${labelled} of ${B} samples carry degradations`);
});

test('pretrainBatch: the same rng seed gives identical bytes, another seed differs', async () => {
  const o = { batch: 4, patch: 24 };
  const a = bytesOf(await pretrainBatch(source, new Rng('same'), o));
  const b = bytesOf(await pretrainBatch(source, new Rng('same'), o));
  const c = bytesOf(await pretrainBatch(source, new Rng('other'), o));
  for (const k of Object.keys(a)) assert.ok(a[k]!.equals(b[k]!), `${k} differs between identical seeds`);
  assert.ok(!a.input!.equals(c.input!));
});

test('adapterBatch: whole-patch stacked degradations, reproducible from the documented stream', async () => {
  const degradations: DegradationName[] = ['rain', 'noise'];
  const rng = new Rng('adapter');
  const batch = await adapterBatch(source, rng, { batch: 3, patch: 32, degradations });
  assert.deepEqual(Object.keys(batch).sort(), ['input', 'target']);
  assertUnitRange(batch.input!, 'input');
  const n = 32 * 32 * 3;
  for (let i = 0; i < 3; i++) {
    const target = { width: 32, height: 32, data: batch.target!.data.slice(i * n, (i + 1) * n) as Float32Array };
    const again = await applyDegradations(target, degradations, rng.fork(i).fork(DEGRADE_STREAM));
    assert.deepEqual(again.image.data, batch.input!.data.slice(i * n, (i + 1) * n));
  }
  const same = await adapterBatch(source, new Rng('adapter'), { batch: 3, patch: 32, degradations });
  assert.ok(bytesOf(same).input!.equals(bytesOf(batch).input!));
});

test('adapterBatch with a clean fraction: some samples undegraded (input = target), the others as without it', async () => {
  const B = 24, P = 16, n = P * P * 3;
  const degradations: DegradationName[] = ['noise'];
  const plain = await adapterBatch(source, new Rng('adapter-clean'), { batch: B, patch: P, degradations });
  const zero = await adapterBatch(source, new Rng('adapter-clean'), { batch: B, patch: P, degradations, cleanFraction: 0 });
  assert.ok(bytesOf(zero).input!.equals(bytesOf(plain).input!), 'fraction 0 draws the same samples as no option');
  const mixed = await adapterBatch(source, new Rng('adapter-clean'), { batch: B, patch: P, degradations, cleanFraction: 0.5 });
  let kept = 0;
  for (let i = 0; i < B; i++) {
    const slice = (t: HostTensor) => t.data.slice(i * n, (i + 1) * n);
    assert.deepEqual(slice(mixed.target!), slice(plain.target!), `sample ${i}: the same clean patch`);
    const same = slice(mixed.input!).every((v, k) => v === slice(mixed.target!)[k]);
    if (same) kept++;
    else assert.deepEqual(slice(mixed.input!), slice(plain.input!), `sample ${i}: degraded as without the option`);
  }
  assert.ok(kept > 0 && kept < B, `${kept} of ${B} samples kept clean: both kinds must occur`);
  await assert.rejects(adapterBatch(source, new Rng(1), { batch: 1, patch: P, degradations, cleanFraction: 1 }), /clean fraction must be in \[0, 1\)/);
});

test('adapterBatch with context: input and target are the centre of a degraded larger window', async () => {
  const B = 4, P = 16, C = 3, W = C * P, n = P * P * 3;
  const degradations: DegradationName[] = ['haze'];
  const batch = await adapterBatch(source, new Rng('adapter-context'), { batch: B, patch: P, degradations, context: C });
  assert.deepEqual(batch.input!.shape, [B, P, P, 3]);
  assert.deepEqual(batch.target!.shape, [B, P, P, 3]);
  // The same stream at patch W (context 1) draws the same window and degrades it the same way.
  const wide = await adapterBatch(source, new Rng('adapter-context'), { batch: B, patch: W, degradations });
  const centre = (data: Float32Array, i: number) => {
    const one = data.subarray(i * W * W * 3, (i + 1) * W * W * 3);
    const off = (W - P) / 2;
    const crop = new Float32Array(n);
    for (let y = 0; y < P; y++) crop.set(one.subarray(((off + y) * W + off) * 3, ((off + y) * W + off + P) * 3), y * P * 3);
    return crop;
  };
  let differs = 0;
  for (let i = 0; i < B; i++) {
    assert.deepEqual(batch.input!.data.slice(i * n, (i + 1) * n), centre(wide.input!.data as Float32Array, i), `sample ${i}: input`);
    const target = batch.target!.data.slice(i * n, (i + 1) * n) as Float32Array;
    assert.deepEqual(target, centre(wide.target!.data as Float32Array, i), `sample ${i}: target`);
    // Degrading the centre patch alone gives another image: haze depends on the whole window.
    const alone = await applyDegradations({ width: P, height: P, data: target }, degradations, new Rng('adapter-context').fork(i).fork(DEGRADE_STREAM));
    if (alone.image.data.some((v, k) => Math.abs(v - batch.input!.data[i * n + k]!) > 1e-3)) differs++;
  }
  assert.ok(differs > 0, 'the window made no difference: the test would prove nothing');
  await assert.rejects(adapterBatch(source, new Rng(1), { batch: 1, patch: P, degradations, context: 0 }), /context must be an integer ≥ 1/);
});

test('estimatorBatch: multi-hot labels that match the degradations applied', async () => {
  const B = 16, P = 24, K = CLASSES.length;
  const rng = new Rng('est');
  const batch = await estimatorBatch(source, rng, { batch: B, patch: P, classes: CLASSES, mixedFraction: 0.4, cleanFraction: 0.15, withTarget: true });
  assert.deepEqual(batch.labels!.shape, [B, K]);
  assert.ok(batch.labels!.data instanceof Float32Array);
  const counts = new Set<number>();
  const n = P * P * 3;
  for (let i = 0; i < B; i++) {
    const row: number[] = [...batch.labels!.data.slice(i * K, (i + 1) * K)];
    for (const v of row) assert.ok(v === 0 || v === 1, 'labels are 0/1');
    const names: DegradationName[] = CLASSES.filter((_, k) => row[k] === 1);
    assert.ok(names.length <= 2);
    counts.add(names.length);
    // re-applying the labelled degradations to the clean patch must give the input exactly
    const target = { width: P, height: P, data: batch.target!.data.slice(i * n, (i + 1) * n) as Float32Array };
    const again = await applyDegradations(target, names, rng.fork(i).fork(DEGRADE_STREAM));
    assert.deepEqual(again.image.data, batch.input!.data.slice(i * n, (i + 1) * n), `sample ${i} (${names.join('+') || 'clean'})`);
  }
  assert.deepEqual([...counts].sort(), [0, 1, 2], 'clean, single and mixed samples all occur');
  const plain = await estimatorBatch(source, new Rng('est'), { batch: B, patch: P, classes: CLASSES, mixedFraction: 0.4, cleanFraction: 0.15 });
  assert.deepEqual(Object.keys(plain).sort(), ['input', 'labels']);
  assert.ok(bytesOf(plain).input!.equals(bytesOf(batch).input!));
});

test('estimatorBatch with the clean label: a last column, 1 exactly where the input is within FAINT_PSNR_DB of its patch', async () => {
  // bit depth at its faint end (7–8 bits) is the degradation that lands above the line on these textures
  const classes: DegradationName[] = [...CLASSES, 'bitdepth'];
  const B = 32, P = 24, K = classes.length;
  const options = { batch: B, patch: P, classes, mixedFraction: 0.3, cleanFraction: 0.2, withTarget: true } as const;
  const batch = await estimatorBatch(source, new Rng('est-clean'), { ...options, cleanLabel: true, faintFraction: 0.5 });
  assert.deepEqual(batch.labels!.shape, [B, K + 1]);
  const n = P * P * 3;
  let faintLabelled = 0, cleanInputs = 0;
  for (let i = 0; i < B; i++) {
    const row = [...batch.labels!.data.slice(i * (K + 1), (i + 1) * (K + 1))];
    const input = batch.input!.data.slice(i * n, (i + 1) * n) as Float32Array;
    const target = batch.target!.data.slice(i * n, (i + 1) * n) as Float32Array;
    const faint = isFaint(input, target);
    assert.equal(row[K], faint ? 1 : 0, `sample ${i}: clean label`);
    if (faint) assert.deepEqual(row.slice(0, K), new Array(K).fill(0), 'a faint sample carries no class label');
    else assert.ok(row.slice(0, K).some((v) => v > 0), 'a visible degradation keeps its class label');
    if (faint && input.some((v, j) => v !== target[j])) faintLabelled++;
    if (input.every((v, j) => v === target[j])) cleanInputs++;
  }
  assert.ok(cleanInputs > 0, 'undegraded samples occur');
  assert.ok(faintLabelled > 0, 'some faint degradations are labelled clean (else the faint draw tests nothing)');
  // without the options the batch is the one it always was
  const before = await estimatorBatch(source, new Rng('est-clean'), options);
  const again = await estimatorBatch(source, new Rng('est-clean'), { ...options, cleanLabel: true });
  assert.ok(bytesOf(before).input!.equals(bytesOf(again).input!), 'the clean label alone does not change the inputs');
  assert.equal(FAINT_PSNR_DB, 40);
});

test("estimatorBatch with mixedLabels 'dominant': the same inputs; a pair's labels are its steps' changes over the larger", async () => {
  const B = 16, P = 24, K = CLASSES.length;
  const rng = new Rng('est');
  const options = { batch: B, patch: P, classes: CLASSES, mixedFraction: 0.4, cleanFraction: 0.15, withTarget: true };
  const hot = await estimatorBatch(source, rng, options);
  const dominant = await estimatorBatch(source, rng, { ...options, mixedLabels: 'dominant' });
  assert.ok(bytesOf(dominant).input!.equals(bytesOf(hot).input!), 'the labels rule does not change the images');
  const n = P * P * 3;
  let pairs = 0, below = 0;
  for (let i = 0; i < B; i++) {
    const hotRow = [...hot.labels!.data.slice(i * K, (i + 1) * K)];
    const row = [...dominant.labels!.data.slice(i * K, (i + 1) * K)];
    const names: DegradationName[] = CLASSES.filter((_, k) => hotRow[k] === 1);
    if (names.length < 2) {
      assert.deepEqual(row, hotRow, `sample ${i}: clean and single samples keep 0/1 labels`);
      continue;
    }
    pairs++;
    // the change each step made, measured again on the clean patch with the sample's own stream
    const change = new Map<DegradationName, number>();
    const target = { width: P, height: P, data: dominant.target!.data.slice(i * n, (i + 1) * n) as Float32Array };
    await applyDegradations(target, names, rng.fork(i).fork(DEGRADE_STREAM), undefined, (name, before, after) => {
      change.set(name, before.data.reduce((sum, v, j) => sum + (after.data[j]! - v) ** 2, 0) / before.data.length);
    });
    const largest = Math.max(...change.values());
    for (const [k, name] of CLASSES.entries()) {
      const expected = names.includes(name) ? change.get(name)! / largest : 0;
      assert.ok(Math.abs(row[k]! - expected) < 1e-5, `sample ${i} ${name}: ${row[k]} vs ${expected}`);
    }
    assert.equal(Math.max(...row), 1);
    if (Math.min(...names.map((name) => row[CLASSES.indexOf(name)]!)) < 0.999) below++;
  }
  assert.ok(pairs >= 2 && below >= 1, `mixed samples occur (${pairs}) and some get a label under 1 (${below})`);

  // A pair whose answer is known: darkening to low light changes an image far more than JPEG does.
  const known = await estimatorBatch(source, new Rng('known'), { batch: 4, patch: P, classes: ['lowlight', 'jpeg'], mixedFraction: 1, cleanFraction: 0, mixedLabels: 'dominant' });
  for (let i = 0; i < 4; i++) {
    const [lowlight, jpeg] = known.labels!.data.slice(i * 2, i * 2 + 2);
    assert.equal(lowlight, 1);
    assert.ok(jpeg! > 0 && jpeg! < 0.5, `jpeg's share ${jpeg}`);
  }
  await assert.rejects(estimatorBatch(source, rng, { batch: 1, patch: P, classes: CLASSES, mixedLabels: 'soft' as never }), /mixedLabels must be one of/);
});

test('estimatorBatch with context: the centre patch of a degraded larger window, labels as without', async () => {
  const B = 12, P = 16, K = CLASSES.length, C = 3, W = C * P;
  const rng = new Rng('est-context');
  const batch = await estimatorBatch(source, rng, { batch: B, patch: P, classes: CLASSES, mixedFraction: 0.3, cleanFraction: 0.2, withTarget: true, context: C });
  assert.deepEqual(batch.input!.shape, [B, P, P, 3]);
  assert.deepEqual(batch.target!.shape, [B, P, P, 3]);
  const n = P * P * 3;
  let degraded = 0;
  for (let i = 0; i < B; i++) {
    const names = CLASSES.filter((_, k) => batch.labels!.data[i * K + k] === 1);
    const input = batch.input!.data.slice(i * n, (i + 1) * n);
    const target = batch.target!.data.slice(i * n, (i + 1) * n);
    if (names.length === 0) assert.deepEqual(input, target, `clean sample ${i}: input = target`);
    else degraded++;
  }
  assert.ok(degraded > 0);
  // the window is degraded whole: re-degrading the centre crop alone does not give the input back
  // (haze's depth ramp, blur's borders … depend on the whole window), so check instead that a
  // W² window degraded with the same stream, then cropped, does
  const i = [...Array(B).keys()].find((k) => CLASSES.some((_, c) => batch.labels!.data[k * K + c] === 1))!;
  const names = CLASSES.filter((_, k) => batch.labels!.data[i * K + k] === 1);
  const one = await estimatorBatch(source, rng, { batch: B, patch: W, classes: CLASSES, mixedFraction: 0.3, cleanFraction: 0.2, withTarget: true });
  const wide = one.input!.data.slice(i * W * W * 3, (i + 1) * W * W * 3);
  const labelsWide = CLASSES.filter((_, k) => one.labels!.data[i * K + k] === 1);
  assert.deepEqual(labelsWide, names, 'same draw of classes at patch W');
  const off = (W - P) / 2;
  const crop = new Float32Array(n);
  for (let y = 0; y < P; y++) crop.set(wide.subarray(((off + y) * W + off) * 3, ((off + y) * W + off + P) * 3), y * P * 3);
  assert.deepEqual(batch.input!.data.slice(i * n, (i + 1) * n), crop);
  await assert.rejects(estimatorBatch(source, rng, { batch: 1, patch: P, classes: CLASSES, context: 1.5 }), /context must be an integer/);
});

test('pairsBatch: input and target crops stay aligned through crop, flips and rotations', async () => {
  // target = input + 20 (8-bit) everywhere, so aligned crops differ by exactly 20/255
  const pairs = [texture(70, 50, 7), texture(64, 90, 8)].map((img) => {
    const input = { ...img, data: img.data.map((v) => Math.min(200, v)) };
    return { input, target: { ...input, data: input.data.map((v) => v + 20) } };
  });
  const batch = await pairsBatch(pairSourceFromImages(pairs), new Rng('pairs'), { batch: 8, patch: 32 });
  const { input, target } = { input: batch.input!.data, target: batch.target!.data };
  for (let i = 0; i < input.length; i++) assert.ok(Math.abs(target[i]! - input[i]! - 20 / 255) < 1e-6, `value ${i} misaligned`);
  // and the crops really vary (not all the same window)
  assert.ok(!input.subarray(0, 32 * 32 * 3).every((v, i) => v === input[32 * 32 * 3 + i]));
});

test('planCrop/extractPatch: the 8 transforms are distinct rotations/flips; large photos get rescaled', () => {
  const img = texture(40, 40, 5);
  const seen = new Set<string>();
  for (let t = 0; t < 8; t++) seen.add(Buffer.from(extractPatch(img, { x0: 4, y0: 6, scale: 1, transform: t }, 16).data.buffer).toString('hex'));
  assert.equal(seen.size, 8);
  const rng = new Rng('plan');
  const scales = Array.from({ length: 200 }, () => planCrop(1600, 1000, 64, rng).scale);
  assert.ok(scales.every((s) => s >= 0.5 && s <= 1));
  assert.ok(scales.some((s) => s < 0.9) && scales.some((s) => s === 1), 'sometimes downscaled, sometimes not');
  assert.ok(Array.from({ length: 50 }, () => planCrop(481, 321, 64, rng).scale).every((s) => s === 1), 'BSDS-sized images are used as they are');
  // a window never leaves the image
  for (let k = 0; k < 200; k++) {
    const p = planCrop(100, 70, 64, rng, false);
    assert.ok(p.x0 >= 0 && p.y0 >= 0 && p.x0 + 64 <= 100 && p.y0 + 64 <= 70);
  }
});

test('validationSet: fixed for a seed, right shapes, no undegraded patch', async () => {
  const { validationSet } = await import('./validation.js');
  const o = { count: 5, patch: 24, seed: 7, kind: 'pretrain' as const };
  const a = await validationSet(source, o);
  const b = await validationSet(source, o);
  assert.deepEqual(a.input!.shape, [5, 24, 24, 3]);
  assert.deepEqual(a.seg!.shape, [5, 24, 24]);
  assert.ok(bytesOf(a).input!.equals(bytesOf(b).input!));
  const n = 24 * 24 * 3;
  for (let i = 0; i < 5; i++) {
    const x = a.input!.data.subarray(i * n, (i + 1) * n), y = a.target!.data.subarray(i * n, (i + 1) * n);
    assert.ok(x.some((v, k) => v !== y[k]), `validation patch ${i} is clean`);
  }
  const ad = await validationSet(source, { count: 2, patch: 16, seed: 7, kind: 'adapter', degradations: ['haze'] });
  assert.deepEqual(Object.keys(ad).sort(), ['input', 'target']);
  await assert.rejects(validationSet(source, { count: 2, patch: 16, seed: 7, kind: 'adapter' }), /needs its degradations/);
});

test('estimator batches with a pairs class: its samples are pair inputs, the pairs\' targets are clean samples', async () => {
  const flat = (v: number): Uint8Image => ({ width: 40, height: 40, data: new Uint8Array(40 * 40 * 3).fill(v) });
  const pairs = pairSourceFromImages([{ input: flat(51), target: flat(204) }, { input: flat(51), target: flat(204) }]);
  const K = 2;
  const b = await estimatorBatch(source, new Rng(4), { batch: 48, patch: 16, classes: ['noise', 'cast'], mixedFraction: 0.3, cleanFraction: 0.3, pairClasses: new Map([['cast', pairs]]), withTarget: true });
  const n = 16 * 16 * 3;
  const near = (v: number, level: number) => Math.abs(v - level / 255) < 1e-6;
  const counts = { cast: 0, castMixed: 0, targets: 0, photos: 0, noise: 0 };
  for (let i = 0; i < 48; i++) {
    const input = b.input!.data.subarray(i * n, (i + 1) * n);
    const target = b.target!.data.subarray(i * n, (i + 1) * n);
    const [noise, cast] = [b.labels!.data[i * K]!, b.labels!.data[i * K + 1]!];
    if (cast === 1) {
      // a pair's input (under noise, when mixed), its target the pair's clean side
      assert.ok(target.every((v) => near(v, 204)));
      if (noise === 1) counts.castMixed++;
      else {
        assert.ok(input.every((v) => near(v, 51)));
        counts.cast++;
      }
    } else if (noise === 0) {
      if (input.every((v) => near(v, 204))) counts.targets++;
      else counts.photos++;
    } else counts.noise++;
  }
  for (const [k, v] of Object.entries(counts)) assert.ok(v > 0, `${k}: ${JSON.stringify(counts)}`);
});

test('estimator batches: a user type that leaves a patch unchanged does not label it', async (t) => {
  const { fromDefinition } = await import('../../degrade/custom.js');
  const { registerDegradation, unregisterDegradation } = await import('../../degrade/registry.js');
  registerDegradation(fromDefinition({ name: 'nothing-here', apply: (img) => img }));
  t.after(() => unregisterDegradation('nothing-here'));
  const b = await estimatorBatch(source, new Rng(2), { batch: 8, patch: 16, classes: ['nothing-here'], mixedFraction: 0, cleanFraction: 0 });
  assert.ok(b.labels!.data.every((v) => v === 0));
});
