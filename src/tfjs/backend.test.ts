import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from './backend.js';

test('wasm backend initialises in Node and computes', async () => {
  const tf = await initEngine({ backend: 'wasm' });
  assert.equal(tf.getBackend(), 'wasm');
  const y = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
  assert.deepEqual(Array.from(y.dataSync()), [4, 6]);
});

test('cpu backend is available as the reference', async () => {
  const tf = await initEngine({ backend: 'cpu' });
  assert.equal(tf.getBackend(), 'cpu');
  await initEngine({ backend: 'wasm' });
});
