import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { UsageError, UserError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import { Rng } from '../util/rng.js';
import { checkGenerator, fromDefinition, loadGenerator, validateDegradationName } from './custom.js';
import { allDegradationNames, applyDegradations, getDegradation, physicalOrder, registerDegradation, unregisterDegradation } from './registry.js';
import { texturedImage } from './synthetic-images.js';

const darken = fromDefinition({ name: 'darken', severity: [0.2, 0.4], apply: (img, _rng, s) => ({ ...img, data: img.data.map((v) => v * (1 - s)) }) });

test('a definition draws severities from its range, and a given severity is used as it is', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 50; i++) {
    const s = darken.sample(rng).severity;
    assert.ok(s >= 0.2 && s <= 0.4, String(s));
  }
  assert.equal(darken.sample(rng, 0.9).severity, 0.9);
  assert.throws(() => darken.sample(rng, 1.5), UsageError);
});

test("a definition's output is clipped, its mask keeps the input outside, and it cannot touch the input", async () => {
  const img = texturedImage(8, 4, 1);
  const before = Float32Array.from(img.data);
  const mask = new Uint8Array(32);
  mask.fill(1, 0, 16); // the top half
  const def = fromDefinition({
    name: 'half',
    apply(image) {
      image.data.fill(7); // on its own copy
      return { image: { ...image, data: new Float32Array(image.data.length).fill(2) }, mask };
    },
  });
  const out = await def.apply(img, { severity: 1 }, new Rng(0));
  assert.deepEqual(img.data, before);
  assert.ok(out.data.subarray(0, 48).every((v) => v === 1), 'inside the mask: clipped to 1');
  assert.deepEqual(out.data.subarray(48), before.subarray(48), "outside: the input's pixels");
  const badMask = fromDefinition({ name: 'bad', apply: (image) => ({ image, mask: new Uint8Array(3) }) });
  await assert.rejects(async () => badMask.apply(img, { severity: 1 }, new Rng(0)), /mask must be a Uint8Array of width·height = 32/);
});

test('names: lower-case, not reserved, not built in (unless asked for)', () => {
  for (const bad of ['', 'A', '-x', 'a b', 'x'.repeat(41), 'clean', 'sw']) assert.throws(() => validateDegradationName(bad), UsageError, bad);
  assert.throws(() => validateDegradationName('jpeg'), /built-in/);
  validateDegradationName('jpeg', true);
  validateDegradationName('moire_2');
});

test('a registered type is found by name, stacks after the built-in ones, and cannot shadow one', async (t) => {
  registerDegradation({ ...darken, name: 'darken' });
  t.after(() => unregisterDegradation('darken'));
  assert.equal(getDegradation('darken').name, 'darken');
  assert.ok(allDegradationNames().includes('darken'));
  assert.deepEqual(physicalOrder(['darken', 'jpeg', 'noise']), ['noise', 'jpeg', 'darken']);
  const { params } = await applyDegradations(texturedImage(16, 16), ['darken', 'noise'], new Rng(3));
  assert.deepEqual(params.map((p) => p.name), ['noise', 'darken']);
  assert.throws(() => registerDegradation({ ...darken, name: 'noise' }), /built-in/);
  unregisterDegradation('darken');
  assert.throws(() => getDegradation('darken'), UsageError);
});

test('the shipped example module loads and passes the checks', async () => {
  const loaded = await loadGenerator(path.join(packageRoot, 'examples', 'vignette.mjs'), 'vignette');
  await checkGenerator(loaded.degradation, 'examples/vignette.mjs');
  assert.match(loaded.digest, /^[0-9a-f]{16}$/);
  const img = texturedImage(32, 32, 2);
  const out = await loaded.degradation.apply(img, loaded.degradation.sample(new Rng(1), 1), new Rng(1));
  // corners darker than before, the centre (nearly) as it was
  const at = (im: typeof img, x: number, y: number) => im.data[(y * 32 + x) * 3]!;
  assert.ok(at(out, 0, 0) < at(img, 0, 0) * 0.8);
  assert.ok(at(out, 16, 16) > at(img, 16, 16) * 0.9);
  await assert.rejects(loadGenerator(path.join(packageRoot, 'examples', 'vignette.mjs'), 'other'), UserError);
});
