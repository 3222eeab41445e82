import assert from 'node:assert/strict';
import test from 'node:test';
import { initEngine, tf } from './backend.js';
import { asBatched2d } from './wasm-kernels.js';

/** Deterministic values in [-1, 1) without Math.random. */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed * 2654435761 >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

async function on<T>(backend: 'wasm' | 'cpu', f: () => T): Promise<T> {
  await initEngine({ backend });
  return f();
}

test('batched BatchMatMul on wasm (per-entry XNNPACK path) matches cpu, with batch broadcasting', async () => {
  const cases: Array<[number[], number[]]> = [
    [[4, 33, 7], [4, 7, 5]], [[1, 9, 6], [3, 6, 4]], [[3, 9, 6], [1, 6, 4]], [[2, 1, 50], [2, 50, 3]],
  ];
  for (const [aShape, bShape] of cases) {
    const a = values(aShape.reduce((p, d) => p * d, 1), 1), b = values(bShape.reduce((p, d) => p * d, 1), 2);
    const run = () => tf.tidy(() => tf.matMul(tf.tensor3d(a, aShape as [number, number, number]), tf.tensor3d(b, bShape as [number, number, number])).dataSync());
    const got = await on('wasm', run);
    const want = await on('cpu', run);
    assert.equal(got.length, want.length);
    let maxErr = 0;
    for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
    assert.ok(maxErr < 1e-5, `${aShape}·${bShape}: max error ${maxErr}`);
  }
  await initEngine({ backend: 'wasm' });
});

test('wasm Identity (clone) shares memory but keeps tensors independent', async () => {
  await initEngine({ backend: 'wasm' });
  const x = tf.tensor1d([1, 2, 3]);
  const buffers = tf.memory().numDataBuffers;
  const y = tf.clone(x);
  assert.equal(tf.memory().numDataBuffers, buffers, 'a clone shares the buffer');
  x.dispose();
  assert.deepEqual([...y.dataSync()], [1, 2, 3]);
  const v = tf.variable(tf.tensor1d([4, 5]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor1d([6, 7]));
  assert.deepEqual([...snapshot.dataSync()], [4, 5]);
  assert.deepEqual([...v.dataSync()], [6, 7]);
  tf.dispose([y, v, snapshot]);
});

test('asBatched2d recognises (batched) 2-D transposes only', () => {
  assert.deepEqual(asBatched2d([5, 7], [1, 0]), { batch: 1, rows: 5, cols: 7 });
  assert.deepEqual(asBatched2d([2, 5, 7], [0, 2, 1]), { batch: 2, rows: 5, cols: 7 });
  assert.deepEqual(asBatched2d([2, 3, 4, 5], [1, 2, 3, 0]), { batch: 1, rows: 2, cols: 60 });
  assert.deepEqual(asBatched2d([2, 3, 4, 5], [2, 3, 0, 1]), { batch: 1, rows: 6, cols: 20 });
  assert.equal(asBatched2d([2, 3, 4, 5], [0, 2, 1, 3]), null);
  assert.equal(asBatched2d([2, 3, 4, 5], [3, 1, 2, 0]), null);
  assert.equal(asBatched2d([2, 3], [0, 1]), null);
});

test('wasm Transpose (JS panel path and the wasm kernel) matches cpu for float32 and int32', async () => {
  const cases: Array<[number[], number[]]> = [
    [[300, 17], [1, 0]], [[3, 130, 33], [0, 2, 1]], [[20, 70, 3, 5], [2, 3, 0, 1]], [[600, 3, 3, 2], [1, 2, 3, 0]], [[4, 9, 9, 6], [1, 2, 3, 0]],
    [[17, 300], [1, 0]], [[2, 64, 4, 8], [0, 2, 1, 3]],
  ];
  for (const [shape, perm] of cases) {
    const size = shape.reduce((p, d) => p * d, 1);
    const data = values(size, 5);
    for (const dtype of ['float32', 'int32'] as const) {
      const src = dtype === 'int32' ? Int32Array.from(data, (v) => Math.round(v * 1000)) : data;
      const run = () => tf.tidy(() => tf.transpose(tf.tensor(src, shape, dtype), perm).dataSync());
      const got = await on('wasm', run);
      const want = await on('cpu', run);
      assert.deepEqual([...got], [...want], `${dtype} ${shape} perm ${perm}`);
    }
  }
  await initEngine({ backend: 'wasm' });
});

test('wasm Sum over leading/middle axes (JS path) matches cpu, with and without keepDims', async () => {
  const cases: Array<[number[], number | number[]]> = [
    [[4, 33, 16], 1], [[4, 9, 9, 6], [0, 1, 2]], [[3, 5, 7, 2], [1, 2]], [[6, 5], 0], [[2, 3, 4], [0, 2]], [[2, 3, 4], 2], [[5, 4], [-2]],
  ];
  for (const [shape, axis] of cases) {
    const data = values(shape.reduce((p, d) => p * d, 1), 6);
    for (const keepDims of [false, true]) {
      const run = () => tf.tidy(() => {
        const y = tf.sum(tf.tensor(data, shape), axis, keepDims);
        return { shape: y.shape, data: [...y.dataSync()] };
      });
      const got = await on('wasm', run);
      const want = await on('cpu', run);
      assert.deepEqual(got.shape, want.shape, `${shape} axis ${axis} keepDims ${keepDims}`);
      for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(got.data[i]! - want.data[i]!) < 1e-5, `${shape} axis ${axis}: ${got.data[i]} vs ${want.data[i]}`);
    }
  }
  await initEngine({ backend: 'wasm' });
});
