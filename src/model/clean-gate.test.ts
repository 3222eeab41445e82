import test from 'node:test';
import assert from 'node:assert/strict';
import { checkCleanGate, gateFeatureCount, gateFeatures, gateShare, type CleanGate } from './clean-gate.js';

const logit = (p: number) => Math.log(p / (1 - p));

test('gateFeatures: mean-probability logits, dark level ×10, log Π(1 − p̄), per-crop min and max logits', () => {
  // two crops, two classes, stride 3 (the estimator's own p(clean) last, which the gate does not read)
  const rows = [0.2, 0.9, 0.5, /* crop 2 */ 0.4, 0.7, 0.5];
  const f = gateFeatures(rows, 2, 3, 2, 0.05);
  assert.equal(f.length, gateFeatureCount(2));
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
  close(f[0]!, logit(0.3));
  close(f[1]!, logit(0.8));
  close(f[2]!, 0.5);
  close(f[3]!, Math.log(0.7 * 0.2));
  close(f[4]!, logit(0.2));
  close(f[5]!, logit(0.7));
  close(f[6]!, logit(0.4));
  close(f[7]!, logit(0.9));
  // saturated sigmoids keep finite logits
  assert.ok(gateFeatures([0, 1], 1, 2, 2, 0).every(Number.isFinite));
  assert.throws(() => gateFeatures([0.1, 0.2, 0.3], 2, 2, 2, 0), /not 2 rows of 2/);
});

test('gateShare: the MLP by hand, and a gate that does not fit the estimator is refused', () => {
  const gate: CleanGate = { classes: ['a'], hidden: 2, mean: [1, 0, 0, 0, 0], scale: [2, 1, 1, 1, 1], w1: [1, -1, 0, 0, 0, 0, 0, 0, 0, 0], b1: [0.5, 0], w2: [2, 1], b2: -1 };
  const x = [3, 7, 7, 7, 7];
  // standardised first feature (3 − 1)/2 = 1: hidden tanh(1.5), tanh(−1); z = −1 + 2·tanh(1.5) + tanh(−1)
  const z = -1 + 2 * Math.tanh(1.5) + Math.tanh(-1);
  assert.ok(Math.abs(gateShare(gate, x) - 1 / (1 + Math.exp(-z))) < 1e-12);
  assert.throws(() => gateShare(gate, [1, 2]), /2 features, the gate reads 5/);

  assert.deepEqual(checkCleanGate(JSON.parse(JSON.stringify(gate)), ['a']), gate);
  assert.throws(() => checkCleanGate(gate, ['a', 'b']), /reads classes \[a\], the estimator has \[a, b\]/);
  assert.throws(() => checkCleanGate({ ...gate, w1: [1, 2] }, ['a']), /w1 must be 10 finite numbers/);
  assert.throws(() => checkCleanGate({ ...gate, scale: [0, 1, 1, 1, 1] }, ['a']), /scale must be above 0/);
  assert.throws(() => checkCleanGate({ ...gate, b2: null }, ['a']), /b2 must be a finite number/);
  assert.throws(() => checkCleanGate('gate', ['a']), /not an object/);
});
