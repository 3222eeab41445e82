import test from 'node:test';
import assert from 'node:assert/strict';
import { adamwUpdate, averageSlots, clipScale, resolveAdamW } from './adamw.js';
import { buildLayout, pack, splitRange, unpack } from './param-layout.js';
import { batchRows, shardSizes, sliceRows } from './host-batch.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('averageSlots weights the slots, skips weight-0 ones and returns the squared norm', () => {
  const s0 = new Float32Array([1, 2, 3]);
  const s1 = new Float32Array([3, 4, NaN]); // weight 0: its (garbage) content must not leak in
  const s2 = new Float32Array([5, 6, 7]);
  const out = new Float32Array(3);
  const sumSq = averageSlots([s0, s1, s2], [0.25, 0, 0.75], 0, 3, out);
  assert.deepEqual(Array.from(out), [4, 5, 6]);
  close(sumSq, 16 + 25 + 36);
  const part = new Float32Array(3);
  close(averageSlots([s0], [1], 1, 3, part), 4 + 9);
  assert.equal(part[0], 0, 'outside the range nothing is written');
});

test('clipScale only shrinks gradients above the limit', () => {
  assert.equal(clipScale(3, null), 1);
  assert.equal(clipScale(0.5, 1), 1);
  close(clipScale(4, 1), 0.25);
});

test('adamwUpdate matches a hand-computed AdamW on two steps, decay only where flagged', () => {
  const layout = buildLayout([
    { name: 'w', shape: [1, 1], decays: true },
    { name: 'b', shape: [1], decays: false },
  ]);
  const opt = resolveAdamW({ lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 });
  const bufs = { params: new Float32Array([1, 1]), m: new Float32Array(2), v: new Float32Array(2), grad: new Float32Array([0.2, 0.2]) };
  // reference, step by step in doubles
  const ref = (decay: boolean) => {
    let p = 1, m = 0, v = 0;
    for (const t of [1, 2]) {
      const g = 0.2 * 0.5; // gradScale 0.5
      if (decay) p *= 1 - 0.1 * 0.5;
      m = 0.9 * m + 0.1 * g;
      v = 0.99 * v + 0.01 * g * g;
      p -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.99 ** t)) + 1e-8);
    }
    return p;
  };
  adamwUpdate(layout, 0, 2, bufs, opt, 1, 0.5);
  adamwUpdate(layout, 0, 2, bufs, opt, 2, 0.5);
  close(bufs.params[0], ref(true));
  close(bufs.params[1], ref(false));
  assert.notEqual(bufs.params[0], bufs.params[1]);
});

test('updating in slices gives the same bits as one pass', () => {
  const layout = buildLayout([{ name: 'a', shape: [3, 2], decays: true }, { name: 'c', shape: [5], decays: false }]);
  const opt = resolveAdamW({ lr: 0.01, weightDecay: 0.1 });
  const make = () => ({
    params: Float32Array.from({ length: 11 }, (_, i) => Math.sin(i)),
    m: new Float32Array(11), v: new Float32Array(11),
    grad: Float32Array.from({ length: 11 }, (_, i) => Math.cos(i * 3)),
  });
  const whole = make();
  adamwUpdate(layout, 0, 11, whole, opt, 1, 1);
  const sliced = make();
  for (const [s, e] of splitRange(11, 3)) adamwUpdate(layout, s, e, sliced, opt, 1, 1);
  assert.deepEqual(sliced.params, whole.params);
  assert.deepEqual(sliced.v, whole.v);
});

test('resolveAdamW rejects nonsense', () => {
  assert.throws(() => resolveAdamW({ lr: -1 }), /learning rate/);
  assert.throws(() => resolveAdamW({ lr: 1, beta1: 1 }), /betas/);
  assert.throws(() => resolveAdamW({ lr: 1, clipNorm: 0 }), /clipNorm/);
});

test('layout packs and unpacks by name and rejects mismatches', () => {
  const layout = buildLayout([{ name: 'a', shape: [2, 2], decays: true }, { name: 'b', shape: [3], decays: false }]);
  assert.equal(layout.total, 7);
  assert.equal(layout.entries[1].offset, 4);
  const flat = new Float32Array(7);
  pack(layout, { b: [1, 2, 3] }, flat);
  assert.deepEqual(Array.from(unpack(layout, flat).b), [1, 2, 3]);
  assert.throws(() => pack(layout, { a: [1] }, flat), /expected 4/);
  assert.throws(() => pack(layout, { zz: [1] }, flat), /unknown parameter/);
  assert.throws(() => buildLayout([{ name: 'a', shape: [1], decays: true }, { name: 'a', shape: [1], decays: true }]), /duplicate/);
  assert.deepEqual(splitRange(7, 2), [[0, 3], [3, 7]]);
});

test('batches split into contiguous row shards', () => {
  const batch = { x: { shape: [5, 2], data: Float32Array.from({ length: 10 }, (_, i) => i) }, k: { shape: [5], data: new Int32Array([0, 1, 2, 3, 4]) } };
  assert.equal(batchRows(batch), 5);
  assert.deepEqual(shardSizes(5, 2), [3, 2]);
  assert.deepEqual(shardSizes(1, 3), [1, 0, 0]);
  const s = sliceRows(batch, 3, 2);
  assert.deepEqual(s.x.shape, [2, 2]);
  assert.deepEqual(Array.from(s.x.data), [6, 7, 8, 9]);
  assert.ok(s.k.data instanceof Int32Array);
  assert.deepEqual(Array.from(s.k.data), [3, 4]);
  assert.throws(() => batchRows({ a: { shape: [2], data: new Float32Array(2) }, b: { shape: [3], data: new Float32Array(3) } }), /rows/);
  assert.throws(() => batchRows({ a: { shape: [2, 2], data: new Float32Array(3) } }), /values for shape/);
});
