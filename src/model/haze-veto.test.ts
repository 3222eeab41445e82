import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hazeVeto } from './haze-veto.js';

test('hazeVeto: 0 up to from, 1 from to on, linear between; from must be below to', () => {
  assert.equal(hazeVeto(0.05, 0.08, 0.14), 0);
  assert.equal(hazeVeto(0.2, 0.08, 0.14), 1);
  assert.ok(Math.abs(hazeVeto(0.11, 0.08, 0.14) - 0.5) < 1e-9);
  assert.throws(() => hazeVeto(0.1, 0.2, 0.2), RangeError);
});
