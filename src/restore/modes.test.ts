import test from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../util/errors.js';
import { cleanWeight } from '../model/soft-weights.js';
import { adapterWeightsFor, cleanShareFor, formatProbabilities, parseMode, probabilityRecord, splitEstimate } from './modes.js';

const classes = ['rain', 'haze', 'noise'];

test('parsing', () => {
  assert.deepEqual(parseMode('SW'), { kind: 'sw' });
  assert.deepEqual(parseMode('oh'), { kind: 'oh' });
  assert.deepEqual(parseMode('adapter:rain'), { kind: 'adapter', name: 'rain' });
  assert.deepEqual(parseMode('weights:rain=0.7, haze=0.3'), { kind: 'weights', weights: { rain: 0.7, haze: 0.3 } });
  for (const bad of ['', 'soft', 'adapter:', 'weights:rain', 'weights:rain=x', 'weights:rain=-1', 'weights:rain=1,rain=2', 'weights:a=1=2']) {
    assert.throws(() => parseMode(bad), UsageError, bad);
  }
});

test('weights per mode', () => {
  const p = [0.9, 0.6, 0.0];
  // SW: odds 9 and 1.5 (p/(1−p) = e^logit), normalised; a class at exactly 0 gets nothing
  const sw = Array.from(adapterWeightsFor(parseMode('sw'), p, classes));
  [9 / 10.5, 1.5 / 10.5, 0].forEach((want, i) => assert.ok(Math.abs(sw[i]! - want) < 1e-6, `${sw}`));
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('sw'), [0, 0, 0], classes)), [1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('oh'), p, classes)), [1, 0, 0]);
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('oh'), [0.2, 0.7, 0.7], classes)), [0, 1, 0]); // first on ties
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('adapter:noise'), p, classes)), [0, 0, 1]);
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('weights:haze=2'), p, classes)), [0, 2, 0]);
  assert.throws(() => adapterWeightsFor(parseMode('adapter:snow'), p, classes), /unknown adapter 'snow' \(this model has: rain, haze, noise\)/);
  assert.throws(() => adapterWeightsFor(parseMode('weights:snow=1'), p, classes), UsageError);
  assert.throws(() => adapterWeightsFor(parseMode('sw'), [1, 2], classes), /2 probabilities for 3 classes/);
});

test('SW is the softmax of the estimator logits: a confident class is not diluted by uncertain ones', () => {
  const logits = [5.5, -0.85, -2.1, 0.3];
  const probabilities = logits.map((z) => 1 / (1 + Math.exp(-z)));
  const exp = logits.map(Math.exp);
  const softmax = exp.map((e) => e / exp.reduce((a, b) => a + b, 0));
  const sw = adapterWeightsFor(parseMode('sw'), probabilities, ['noise', 'blur', 'haze', 'snow']);
  softmax.forEach((want, i) => assert.ok(Math.abs(sw[i]! - want) < 1e-6, `${Array.from(sw)} vs ${softmax}`));
  assert.ok(sw[0]! > 0.98, 'noise at p 0.996 keeps almost all the weight');
  // float32 sigmoids saturate to exactly 1: two such classes share the weight instead of producing NaN
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('sw'), [1, 1, 0.5], classes)).map((v) => Math.round(v * 1e4) / 1e4), [0.5, 0.5, 0]);
});

test('the clean share applies to sw with keep-clean on and estimated probabilities only', () => {
  const p = [0.3, 0.2, 0.1];
  assert.equal(cleanShareFor(parseMode('sw'), p, true, 2), cleanWeight(p, 2));
  assert.ok(cleanShareFor(parseMode('sw'), p, true, 2) > 0.1, 'a small share would test nothing');
  assert.equal(cleanShareFor(parseMode('sw'), p, false, 2), 0);
  for (const mode of ['oh', 'adapter:rain', 'weights:rain=1']) assert.equal(cleanShareFor(parseMode(mode), p, true, 2), 0, mode);
  assert.equal(cleanShareFor(parseMode('sw'), [Number.NaN, Number.NaN, Number.NaN], true, 2), 0);
  assert.equal(cleanShareFor(parseMode('sw'), [], true, 2), 0);
});

test("with the estimator's p(clean), the clean share is that probability; without it, the classes' rule", () => {
  const raw = new Float32Array([0.1, 0.7, 0.05, 0.9]);
  const { probabilities, clean } = splitEstimate(raw, 3);
  assert.deepEqual([...probabilities], [...raw.subarray(0, 3)]);
  assert.equal(clean, raw[3]);
  assert.equal(cleanShareFor(parseMode('sw'), probabilities, true, 2, clean), raw[3]);
  assert.equal(cleanShareFor(parseMode('sw'), probabilities, false, 2, clean), 0, 'keep-clean off: the paper protocol');
  assert.equal(cleanShareFor(parseMode('oh'), probabilities, true, 2, clean), 0);
  assert.equal(cleanShareFor(parseMode('sw'), probabilities, true, 2), cleanWeight(probabilities, 2), 'no clean output: as before');
  const old = splitEstimate(raw.subarray(0, 3), 3);
  assert.ok(Number.isNaN(old.clean));
  assert.ok(Number.isNaN(old.keep));
  // one value more: both p(clean) and the keep share; two more (a gate with a namer): the keep share, then p(clean)
  assert.equal(splitEstimate(raw, 3).keep, raw[3]);
  const named = splitEstimate(raw, 2);
  assert.deepEqual([[...named.probabilities], named.keep, named.clean], [[...raw.subarray(0, 2)], raw[2], raw[3]]);
  assert.equal(cleanShareFor(parseMode('sw'), named.probabilities, true, 2, named.keep), raw[2], 'the keep share, not p(clean), decides the blend');
  assert.throws(() => splitEstimate(raw, 1), /4 probabilities for 1 classes/);
  assert.deepEqual(Object.keys(probabilityRecord(probabilities, ['a', 'b', 'c'], clean)), ['a', 'b', 'c', 'clean']);
  assert.deepEqual(Object.keys(probabilityRecord(probabilities, ['a', 'b', 'c'], Number.NaN)), ['a', 'b', 'c']);
});

test('probabilities are printed sorted', () => {
  assert.equal(formatProbabilities({ haze: 0.12, rain: 0.81, noise: 0.5 }), 'rain 0.81, noise 0.50, haze 0.12');
});
