import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from './backend.js';
import { checkGradients, randomInput } from './grad-check.js';

// Every op the model is expected to differentiate: gradient must exist on wasm and agree with cpu.
const x = () => randomInput([2, 5, 6, 4], 21);
const cases: Record<string, (a: tf.Tensor) => tf.Tensor> = {
  'add/sub/mul/div broadcast': (a) => tf.div(tf.sub(tf.mul(a, tf.linspace(0.5, 2, 4)), tf.mean(a, [1, 2], true)), tf.add(tf.sum(tf.square(a), 3, true), 1)),
  'moments': (a) => { const m = tf.moments(a, 3, true); return tf.add(m.mean, m.variance); },
  'sqrt/rsqrt/exp/log/abs': (a) => tf.add(tf.add(tf.sqrt(tf.add(tf.abs(a), 0.1)), tf.rsqrt(tf.add(tf.square(a), 1))), tf.add(tf.exp(a), tf.log(tf.add(tf.abs(a), 1)))),
  'softmax/logSoftmax': (a) => tf.add(tf.softmax(a), tf.logSoftmax(a)),
  'sigmoid/relu/tanh/maximum/clip': (a) => tf.add(tf.add(tf.sigmoid(a), tf.relu(a)), tf.add(tf.tanh(tf.maximum(a, 0.1)), tf.clipByValue(a, -0.5, 0.5))),
  'concat/slice/split/transpose': (a) => { const [p, q] = tf.split(a, 2, 3); return tf.concat([tf.transpose(q, [0, 2, 1, 3]), tf.transpose(p, [0, 2, 1, 3])], 1); },
  'pad/mirrorPad reflect+symmetric': (a) => tf.add(tf.mirrorPad(a, [[0, 0], [2, 1], [1, 2], [0, 0]], 'reflect'), tf.add(tf.mirrorPad(a, [[0, 0], [1, 2], [2, 1], [0, 0]], 'symmetric'), tf.pad(a, [[0, 0], [1, 2], [2, 1], [0, 0]]))),
  'l2 normalise': (a) => tf.div(a, tf.maximum(tf.sqrt(tf.sum(tf.square(a), -1, true)), 1e-12)),
  'stack/unstack/tile/gather/where': (a) => tf.add(tf.tile(tf.gather(tf.unstack(tf.stack([a, a], 1), 1)[0], [0, 2, 2, 1], 3), [1, 1, 1, 1]), tf.where(tf.greater(a, 0), a, tf.mul(a, 0.1))),
  'avgPool/resizeBilinear/max': (a) => tf.add(tf.image.resizeBilinear(tf.avgPool(a as tf.Tensor4D, 2, 2, 'same'), [5, 6]), tf.max(a, 3, true)),
};

test('inventory: gradients of every model op run on wasm and match cpu', async () => {
  for (const [name, fn] of Object.entries(cases)) {
    const r = await checkGradients(name, fn, [x()]);
    assert.ok(r.pass, `${name}: ${JSON.stringify(r)}`);
  }
});
