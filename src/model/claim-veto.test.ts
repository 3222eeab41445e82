import test from 'node:test';
import assert from 'node:assert/strict';
import { claimVeto } from './claim-veto.js';

test('claimVeto: the surest class against the range; 0 below from, 1 from to on; from must be below to', () => {
  assert.equal(claimVeto([0.2, 0.5, 0.1], 0.6, 0.9), 0);
  assert.equal(claimVeto([0.2, 0.95, 0.1], 0.6, 0.9), 1);
  assert.ok(Math.abs(claimVeto([0.75, 0.1], 0.6, 0.9) - 0.5) < 1e-12);
  assert.equal(claimVeto([], 0.6, 0.9), 0);
  assert.throws(() => claimVeto([0.5], 0.9, 0.9), RangeError);
});
