import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { writeHalfPrecision } from './half-precision.js';

test('writeHalfPrecision: F16 tensors within half-precision rounding, other files copied byte for byte, half the bytes', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-half-'));
  try {
    const from = path.join(root, 'model');
    await mkdir(from);
    const values = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * 3 + 1e-5 * i);
    await saveSafetensors(path.join(from, 'backbone.safetensors'), { w: { shape: [64, 64], data: values }, ids: { shape: [3], data: Int32Array.from([1, 2, 3]) } }, { note: 'kept' });
    await writeFile(path.join(from, 'backbone.json'), '{"format":"abair-weights"}\n');
    const result = await writeHalfPrecision(from, path.join(root, 'half'));
    const half = await loadSafetensors(path.join(root, 'half', 'backbone.safetensors'));
    assert.equal(half.tensors['w']!.dtype, 'F16');
    assert.equal(half.tensors['ids']!.dtype, 'I32', 'integer tensors stay as they are');
    assert.deepEqual(Array.from(half.tensors['ids']!.data), [1, 2, 3]);
    assert.equal(half.metadata['note'], 'kept');
    const w = half.tensors['w']!.data as Float32Array;
    for (let i = 0; i < values.length; i++) assert.ok(Math.abs(w[i]! - values[i]!) <= Math.abs(values[i]!) * 2 ** -11 + 2 ** -25, `value ${i}: ${w[i]} for ${values[i]}`);
    assert.ok(w.some((v, i) => v !== values[i]), 'rounded: the test would prove nothing otherwise');
    assert.equal(await readFile(path.join(root, 'half', 'backbone.json'), 'utf8'), '{"format":"abair-weights"}\n');
    const file = result.files[0]!;
    assert.ok(file.bytesAfter < file.bytesBefore * 0.55, `${file.bytesAfter} bytes from ${file.bytesBefore}`);
    assert.deepEqual(result.copied, ['backbone.json']);
    await assert.rejects(writeHalfPrecision(from, path.join(root, 'half')), /already exists/);
    await assert.rejects(writeHalfPrecision(path.join(root, 'nothing'), path.join(root, 'x')), /not a model folder/);
    assert.deepEqual((await readdir(root)).sort(), ['half', 'model'], 'no temporary folder left behind');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('writeHalfPrecision: values beyond half precision are refused and nothing is written', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-half-range-'));
  try {
    const from = path.join(root, 'model');
    await mkdir(from);
    await saveSafetensors(path.join(from, 'backbone.safetensors'), { w: { shape: [2], data: Float32Array.from([1, 1e6]) } });
    await assert.rejects(writeHalfPrecision(from, path.join(root, 'half')), /beyond half precision's range/);
    assert.deepEqual(await readdir(root), ['model']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
