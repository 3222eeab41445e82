import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_LORA_RANK } from '../../model/lora.js';
import { UserError } from '../../util/errors.js';
import { writeTestImages } from '../test-images.js';
import { addDegradation, modelAdapterRank, type AddDegradationOptions } from './add-degradation.js';

/** A model folder holding only adapter sidecars (all modelAdapterRank reads) of these ranks. */
async function folderWithRanks(ranks: Record<string, number>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'abair-rank-'));
  for (const [name, rank] of Object.entries(ranks)) {
    await writeFile(path.join(dir, `lora-${name}.safetensors`), '');
    const sidecar = { format: 'abair-weights', version: 1, kind: 'lora', adapter: { name, rank, alpha: rank, targets: [] } };
    await writeFile(path.join(dir, `lora-${name}.json`), JSON.stringify(sidecar));
  }
  return dir;
}

test('a new adapter gets the rank most of the model\'s adapters have, not the largest one', async (t) => {
  const cases: [Record<string, number>, string | undefined, number][] = [
    [{}, undefined, DEFAULT_LORA_RANK],
    // the shipped model's shape: one hard task at a far larger rank than the rest
    [{ noise: 64, rain: 16, haze: 16, blur: 16 }, undefined, 16],
    // a tie goes to the larger rank
    [{ noise: 4, haze: 6 }, undefined, 6],
    // the adapter being added is not counted (on a resumed run its file is already in the model):
    // counting jpeg, 4 wins; without it, 16 and 4 tie and the larger wins
    [{ noise: 16, blur: 4, jpeg: 4 }, undefined, 4],
    [{ noise: 16, blur: 4, jpeg: 4 }, 'jpeg', 16],
    [{ snow: 8 }, 'snow', DEFAULT_LORA_RANK],
  ];
  for (const [ranks, exclude, expected] of cases) {
    const dir = await folderWithRanks(ranks);
    t.after(() => rm(dir, { recursive: true, force: true }));
    assert.equal(await modelAdapterRank(dir, exclude), expected, `${JSON.stringify(ranks)} without ${exclude}`);
  }
});

test('add-degradation checks its name, sources and folders before any training, and leaves nothing behind', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-add-check-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  // listing is all the checks read of a model: an empty backbone file stands in for one
  const model = path.join(root, 'model');
  await mkdir(model);
  await writeFile(path.join(model, 'backbone.safetensors'), '');
  const images = [await writeTestImages(path.join(root, 'images'), 3)];
  const runs = path.join(root, 'runs');
  const phase = { steps: 1, batch: 1, patch: 8, lr: 1e-3, warmup: 0, threads: 1, out: '', resume: false, checkpointEvery: 1, valEvery: 1, valCount: 1, seed: 1, progress: 'silent' as const, say: () => undefined, handleSignals: false };
  const base: AddDegradationOptions = { name: 'vig', model, runs, resume: false, adapter: { ...phase, images, loss: 'l1' }, estimator: { ...phase, images, mixedFraction: 0 } };
  const module = async (file: string, body: string) => {
    await writeFile(path.join(root, file), body);
    return path.join(root, file);
  };
  const good = await module('good.mjs', "export default { name: 'vig', apply: (img, rng, s) => ({ ...img, data: img.data.map((v) => v * (1 - 0.5 * s)) }) };");
  const pairs = path.join(root, 'pairs');
  await writeTestImages(path.join(pairs, 'input'), 2, 32, 'in');
  await writeTestImages(path.join(pairs, 'target'), 2, 40, 'out');

  const cases: [string, Partial<AddDegradationOptions>, RegExp][] = [
    ['no data', {}, /give the new type's data/],
    ['two kinds', { synthetic: 'jpeg', generator: good }, /--synthetic is for the built-in types/],
    ['bad name', { name: 'My Vig', generator: good }, /must be 1–40 lower-case letters/],
    ['reserved', { name: 'clean', generator: good }, /'clean' is reserved/],
    ['built-in', { name: 'noise', generator: good }, /'noise' is a built-in degradation type/],
    ['synthetic other', { name: 'vig', synthetic: 'jpeg' }, /give --synthetic vig/],
    ['both flags', { generator: good, resume: true, force: true }, /give one of them/],
    ['no module', { generator: path.join(root, 'missing.mjs') }, /generator module not found/],
    ['syntax', { generator: await module('syntax.mjs', 'export default {') }, /cannot load the generator module/],
    ['no export', { generator: await module('none.mjs', 'export const x = 1;') }, /no default export/],
    ['other name', { generator: await module('other.mjs', "export default { name: 'other', apply: (i) => i };") }, /defines 'other', but the new type is called 'vig'/],
    ['random', { generator: await module('random.mjs', "export default { name: 'vig', apply: (img) => ({ ...img, data: img.data.map((v) => v * Math.random()) }) };") }, /not Math\.random/],
    ['wrong size', { generator: await module('size.mjs', "export default { name: 'vig', apply: (img) => ({ width: 2, height: 2, data: new Float32Array(12) }) };") }, /image of the input's size 64×48, got 2×2/],
    ['no change', { generator: await module('same.mjs', "export default { name: 'vig', apply: (img) => img };") }, /left the test image unchanged/],
    ['NaN', { generator: await module('nan.mjs', "export default { name: 'vig', apply: (img) => ({ ...img, data: img.data.map(() => NaN) }) };") }, /non-finite value/],
    ['throws', { generator: await module('throws.mjs', "export default { name: 'vig', apply: () => { throw new Error('boom'); } };") }, /apply\(\) failed: boom/],
    ['bad range', { generator: await module('range.mjs', "export default { name: 'vig', severity: [0.5, 2], apply: (i) => i };") }, /severity must be \[lo, hi\]/],
    ['pairs layout', { pairs: path.join(root, 'images') }, /needs input\/ \(degraded\) and target\/ \(clean\) subfolders/],
    ['pair sizes', { pairs }, /input .* is 32×32 but target .* is 40×40/],
    ['into exists', { generator: good, into: path.join(root, 'images') }, /--into .*: already exists; .*--force/],
    ['runs is the model', { generator: good, runs: model }, /--runs must be a folder of its own/],
  ];
  for (const [label, change, message] of cases) {
    await assert.rejects(addDegradation({ ...base, ...change }), (err: unknown) => err instanceof UserError && message.test(err.message), label);
  }
  await assert.rejects(addDegradation({ ...base, model: path.join(root, 'images'), generator: good }), /no backbone\.safetensors/);
  // no check wrote anything: no run folder, the model as it was
  assert.equal(existsSync(runs), false);
  assert.deepEqual(await readdir(model), ['backbone.safetensors']);
});
