import test from 'node:test';
import assert from 'node:assert/strict';
import { cleanWeight, pullTowardInput } from './soft-weights.js';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('cleanWeight: the odds of Π(1 − p) compete with the adapters\' odds under the same exponent', () => {
  // p = [0.9, 0.1]: P(clean) = 0.1 · 0.9 = 0.09, odds 0.09/0.91; adapters' odds 9 and 1/9
  const q = 0.09 / 0.91;
  for (const x of [1, 2, 0.5]) close(cleanWeight([0.9, 0.1], x), q ** x / (q ** x + 9 ** x + (1 / 9) ** x), 1e-12);
  // a confident degradation leaves almost nothing to "clean"; an estimator that sees nothing, almost everything
  assert.ok(cleanWeight([0.99, 0.01], 2) < 1e-3);
  assert.ok(cleanWeight([0.05, 0.05], 2) > 0.99);
  // sharper exponents push toward the larger side, as they do for the adapters
  assert.ok(cleanWeight([0.3, 0.2], 2) > cleanWeight([0.3, 0.2], 1));
});

test('cleanWeight: edge cases stay finite and in [0, 1]; bad exponents refused', () => {
  assert.equal(cleanWeight([], 2), 0);
  assert.equal(cleanWeight([1, 0], 2), 0); // a saturated class: P(clean) = 0
  close(cleanWeight([0, 0], 400), 1); // nothing at all: clean odds clamp, no overflow at a huge exponent
  const w = cleanWeight([0.5, 0.5, 0.5], 400);
  assert.ok(Number.isFinite(w) && w >= 0 && w <= 1);
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => cleanWeight([0.5], bad), /SW exponent must be a finite number > 0/);
});

test('pullTowardInput: out = in + (1 − keep)(restored − in), in place; 0 leaves it, 1 gives the input', () => {
  const input = Float32Array.from([0, 0.5, 1, 0.25]);
  const restored = () => Float32Array.from([1, 0.5, 0, 0.75]);
  const none = restored();
  pullTowardInput(none, input, 0);
  assert.deepEqual(none, restored());
  const all = restored();
  pullTowardInput(all, input, 1);
  assert.deepEqual(all, input);
  const quarter = restored();
  pullTowardInput(quarter, input, 0.25);
  [0.75, 0.5, 0.25, 0.625].forEach((v, i) => close(quarter[i]!, v, 1e-7));
  assert.throws(() => pullTowardInput(restored(), input, 1.5), /clean share must be in \[0, 1\]/);
  assert.throws(() => pullTowardInput(restored(), input, Number.NaN), /clean share must be in \[0, 1\]/);
  assert.throws(() => pullTowardInput(restored(), input.subarray(1), 0.5), /4 values against 3/);
});
