import test from 'node:test';
import assert from 'node:assert/strict';
import { gateFeatures } from '../../model/clean-gate.js';
import { hazeVeto } from '../../model/haze-veto.js';
import { UserError } from '../../util/errors.js';
import { gateSamples, type StoredSample } from './clean-gate.js';

const stored: StoredSample = { rows: [0.2, 0.7, 0.4, 0.6], count: 2, stride: 2, stats: { dark: 0.15, dark01: 0.05, specks: 0.01, contrast: 0.12 }, a: 0.01, b: 0.002, c: 0.001, label: 'haze' };

test('gateSamples: the gate\'s features and what its veto leaves, from stored samples', () => {
  const [s] = gateSamples([stored], 2, ['contrast'], { from: 0.1, to: 0.2 });
  assert.deepEqual(Array.from(s!.features), Array.from(gateFeatures(stored.rows, 2, 2, 2, stored.stats, ['contrast'])));
  assert.equal(s!.left, 1 - hazeVeto(0.15, 0.1, 0.2));
  assert.deepEqual([s!.a, s!.b, s!.c, s!.label], [0.01, 0.002, 0.001, 'haze']);
  assert.equal(gateSamples([stored], 2, [], null)[0]!.left, undefined, 'no veto, nothing left out');
  assert.equal(gateSamples([stored], 2, [], { from: 0.01, to: 0.11, level: 'dark01' })[0]!.left, 1 - hazeVeto(0.05, 0.01, 0.11), 'a veto on the 1st percentile');
});

test('gateSamples: samples made before a statistic existed are refused in one line', () => {
  const { specks: _s, contrast: _c, ...old } = stored.stats;
  const before = { ...stored, stats: old } as unknown as StoredSample;
  assert.equal(gateSamples([before], 2, ['dark01'], null).length, 1, 'what they have still reads');
  assert.throws(() => gateSamples([before], 2, ['dark01', 'specks'], null), (e: unknown) => e instanceof UserError && /made before the crop statistic 'specks' existed/.test(e.message));
});
