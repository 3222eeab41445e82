import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { texturedImage } from './synthetic-images.js';
import {
  applyDegradations,
  DEGRADATIONS,
  DEGRADATION_NAMES,
  getDegradation,
  parseDegradationSpec,
  physicalOrder,
} from './registry.js';
import type { DegradationName } from './types.js';

/** Types another engineer has not finished yet throw 'not implemented'; skip exactly those. */
async function implemented(name: DegradationName): Promise<boolean> {
  try {
    await applyDegradations(texturedImage(8, 8), [name], new Rng(0), 0.5);
    return true;
  } catch (err) {
    if (err instanceof Error && /not implemented/.test(err.message)) return false;
    throw err;
  }
}

test('every name is registered under its own name', () => {
  assert.equal(DEGRADATION_NAMES.length, 8);
  for (const name of DEGRADATION_NAMES) assert.equal(DEGRADATIONS[name].name, name);
});

test('registry errors: unknown names and bad specs are UsageErrors listing the valid types', () => {
  assert.throws(() => getDegradation('fog'), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /valid types: .*rain.*noise/.test(e.message));
  assert.throws(() => parseDegradationSpec('rain+fog'), UsageError);
  assert.throws(() => parseDegradationSpec('rain+'), /expected names joined by '\+'/);
  assert.throws(() => parseDegradationSpec('noise+noise'), /twice/);
  assert.throws(() => getDegradation('toString'), UsageError);
  assert.deepEqual(parseDegradationSpec(' Rain + noise'), ['rain', 'noise']);
});

test('stacking follows the physical order whatever the written order', () => {
  assert.deepEqual(physicalOrder(['jpeg', 'noise', 'blur', 'haze']), ['haze', 'blur', 'noise', 'jpeg']);
  assert.deepEqual(physicalOrder(['bitdepth', 'lowlight', 'snow', 'rain']), ['rain', 'snow', 'lowlight', 'bitdepth']);
});

test('same seed ⇒ identical bytes, different seed ⇒ different, for every implemented type', async () => {
  const img = texturedImage(48, 40, 2);
  const skipped: string[] = [];
  for (const name of DEGRADATION_NAMES) {
    if (!(await implemented(name))) {
      skipped.push(name);
      continue;
    }
    const a = await applyDegradations(img, [name], new Rng(42));
    const b = await applyDegradations(img, [name], new Rng(42));
    assert.deepEqual(a.params, b.params, `${name} params`);
    assert.deepEqual(Buffer.from(a.image.data.buffer), Buffer.from(b.image.data.buffer), `${name} bytes`);
    assert.equal(a.image.width, 48);
    assert.equal(a.image.height, 40);
    assert.ok(a.image.data.every((v) => v >= 0 && v <= 1), `${name} stays in [0,1]`);
    // params are plain JSON and replay to the same image from the same stream position
    assert.deepEqual(JSON.parse(JSON.stringify(a.params)), a.params, `${name} params are JSON`);
    // some types have few distinct settings (bit depth: 4), so look across several seeds
    let differs = false;
    for (let seed = 43; seed < 50 && !differs; seed++) {
      const c = await applyDegradations(img, [name], new Rng(seed));
      differs = !Buffer.from(c.image.data.buffer).equals(Buffer.from(a.image.data.buffer));
    }
    assert.ok(differs, `${name} depends on the seed`);
  }
  if (skipped.length > 0) console.log(`# skipped (not implemented yet): ${skipped.join(', ')}`);
  assert.ok(skipped.length <= 4);
});

test('applyDegradations stacks, reports params in application order, leaves the input alone', async () => {
  const img = texturedImage(32, 32, 5);
  const before = Float32Array.from(img.data);
  const { image, params } = await applyDegradations(img, ['jpeg', 'noise', 'blur'], new Rng(1), 0.5);
  assert.deepEqual(params.map((p) => p.name), ['blur', 'noise', 'jpeg']);
  assert.deepEqual(img.data, before);
  assert.notDeepEqual(image.data, before);
  const none = await applyDegradations(img, [], new Rng(1));
  assert.deepEqual(none.image.data, before);
  assert.notEqual(none.image.data, img.data);
});
