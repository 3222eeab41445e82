import test from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../cli/errors.js';
import { adapterWeightsFor, formatProbabilities, parseMode } from './modes.js';

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
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('sw'), p, classes)), [Math.fround(0.6), Math.fround(0.4), 0]);
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('sw'), [0, 0, 0], classes)), [1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('oh'), p, classes)), [1, 0, 0]);
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('oh'), [0.2, 0.7, 0.7], classes)), [0, 1, 0]); // first on ties
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('adapter:noise'), p, classes)), [0, 0, 1]);
  assert.deepEqual(Array.from(adapterWeightsFor(parseMode('weights:haze=2'), p, classes)), [0, 2, 0]);
  assert.throws(() => adapterWeightsFor(parseMode('adapter:snow'), p, classes), /unknown adapter 'snow' \(this model has: rain, haze, noise\)/);
  assert.throws(() => adapterWeightsFor(parseMode('weights:snow=1'), p, classes), UsageError);
  assert.throws(() => adapterWeightsFor(parseMode('sw'), [1, 2], classes), /2 probabilities for 3 classes/);
});

test('probabilities are printed sorted', () => {
  assert.equal(formatProbabilities({ haze: 0.12, rain: 0.81, noise: 0.5 }), 'rain 0.81, noise 0.50, haze 0.12');
});
