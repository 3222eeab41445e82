import test from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, validateSchedule } from './schedule.js';

test('warm-up rises linearly, then cosine decays to the floor', () => {
  const s = { lr: 1e-3, warmup: 9, steps: 109, minFactor: 0.1 };
  assert.ok(Math.abs(learningRate(s, 0) - 1e-4) < 1e-12);
  assert.ok(learningRate(s, 4) < learningRate(s, 5));
  assert.ok(Math.abs(learningRate(s, 9) - 1e-3) < 1e-12, 'peak right after warm-up');
  assert.ok(Math.abs(learningRate(s, 59) - 0.55e-3) < 1e-12, 'half way: mean of peak and floor');
  assert.ok(Math.abs(learningRate(s, 109) - 1e-4) < 1e-12, 'floor at the end');
  for (let k = 10; k < 109; k++) assert.ok(learningRate(s, k + 1) <= learningRate(s, k));
});

test('invalid schedules are refused', () => {
  assert.throws(() => validateSchedule({ lr: 0, warmup: 0, steps: 10 }), /learning rate/);
  assert.throws(() => validateSchedule({ lr: 1e-3, warmup: -1, steps: 10 }), /warm-up/);
  assert.throws(() => validateSchedule({ lr: 1e-3, warmup: 0, steps: 0 }), /steps/);
});
