import test from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../util/errors.js';
import { memoryError } from './ort-engine.js';

test('an allocation failure (ONNX Runtime or V8) becomes one line naming the batch to lower; other errors pass through', () => {
  const shape = { batch: 64, patch: 256 };
  const failures = [
    new Error('Non-zero status code returned while running Conv node. Name:\'Conv_12\' Status Message: /onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 4294967296\n  at stack'),
    new RangeError('Array buffer allocation failed'),
    new Error('std::bad_alloc'),
  ];
  for (const failure of failures) {
    const err = memoryError(failure, shape, 'training step');
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, /^training step: a batch of 64 × 256² patches does not fit in memory \(.+\); lower --batch or --patch$/);
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(err.message.length < 300, err.message);
  }
  const other = new Error("batch 'input' is 2×8×8×3; this train-step graph was built for 2×16×16×3");
  assert.equal(memoryError(other, shape, 'training step'), other);
});
