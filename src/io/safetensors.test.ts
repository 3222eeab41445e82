import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, WeightsFormatError } from './safetensors.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-safetensors-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

function bitsOf(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

/** Bytes in the on-disk layout, built by hand: u64 LE header length, header, data. */
function assemble(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('round trip is bit-exact, including NaN payloads, -0, ±Inf and subnormals', () => {
  const weird = new Float32Array(new Uint32Array([0x7fc00001, 0xffc00000, 0x7f800001, 0x80000000, 0x00000001, 0x7f800000, 0xff800000, 0x3f800000]).buffer);
  const ints = new Int32Array([-2147483648, -1, 0, 1, 2147483647, 42]);
  const bytes8 = new Uint8Array([0, 1, 254, 255]);
  const encoded = encodeSafetensors(
    {
      'layer.weight': { shape: [2, 4], data: weird },
      'layer.index': { shape: [3, 2], data: ints },
      mask: { shape: [4], data: bytes8 },
      empty: { shape: [0, 5], data: new Float32Array(0) },
      scalar: { shape: [], data: new Float32Array([3.5]) },
    },
    { format: 'abair', note: 'ünïcødé ✓' },
  );
  const { tensors, metadata } = decodeSafetensors(encoded);
  assert.deepEqual(metadata, { format: 'abair', note: 'ünïcødé ✓' });
  assert.equal(tensors['layer.weight'].dtype, 'F32');
  assert.deepEqual(tensors['layer.weight'].shape, [2, 4]);
  assert.ok(tensors['layer.weight'].data instanceof Float32Array);
  assert.deepEqual(bitsOf(tensors['layer.weight'].data as Float32Array), bitsOf(weird));
  assert.equal(tensors['layer.index'].dtype, 'I32');
  assert.deepEqual(Array.from(tensors['layer.index'].data), Array.from(ints));
  assert.equal(tensors.mask.dtype, 'U8');
  assert.deepEqual(Array.from(tensors.mask.data), [0, 1, 254, 255]);
  assert.deepEqual(tensors.empty.shape, [0, 5]);
  assert.equal(tensors.empty.data.length, 0);
  assert.deepEqual(tensors.scalar.shape, []);
  assert.deepEqual(Array.from(tensors.scalar.data), [3.5]);
});

test('header: names sorted, 8-byte aligned, padded with spaces, offsets packed', () => {
  const encoded = encodeSafetensors({ b: { shape: [1], data: new Uint8Array([7]) }, a: { shape: [3], data: new Float32Array(3) } }, { k: 'v' });
  const { length, text } = headerOf(encoded);
  assert.equal((8 + length) % 8, 0);
  assert.match(text, / *$/);
  const header = JSON.parse(text);
  assert.deepEqual(Object.keys(header), ['__metadata__', 'a', 'b']);
  assert.deepEqual(header.a, { dtype: 'F32', shape: [3], data_offsets: [0, 12] });
  assert.deepEqual(header.b, { dtype: 'U8', shape: [1], data_offsets: [12, 13] });
  assert.equal(encoded.length, 8 + length + 13);
});

test('decodes a file in the Python safetensors layout (built by hand, F16 included)', () => {
  // As torch + safetensors.torch.save_file would lay it out: metadata {"format":"pt"}, tensors
  // ordered by the writer (not by name), header padded to 8 bytes with spaces, F16 data.
  const data = new Uint8Array(8 + 12);
  const dv = new DataView(data.buffer);
  [0x3c00, 0xc000, 0x3800, 0x7bff].forEach((h, i) => dv.setUint16(i * 2, h, true)); // 1, -2, 0.5, 65504 (F16 "weight")
  [1.5, -0.25, 1e-3].forEach((f, i) => dv.setFloat32(8 + i * 4, f, true)); // F32 "bias"
  let header = '{"__metadata__":{"format":"pt"},"weight":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}';
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const { tensors, metadata } = decodeSafetensors(assemble(header, data), 'model.safetensors');
  assert.deepEqual(metadata, { format: 'pt' });
  assert.equal(tensors.weight.dtype, 'F16');
  assert.ok(tensors.weight.data instanceof Float32Array);
  assert.deepEqual(Array.from(tensors.weight.data), [1, -2, 0.5, 65504]);
  assert.deepEqual(Array.from(tensors.bias.data), [1.5, -0.25, Math.fround(1e-3)]);
});

test('F16: special values decode exactly; encoding rounds to nearest even', () => {
  const special = assemble(
    '{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]}}',
    new Uint8Array(new Uint16Array([0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x03ff]).buffer),
  );
  const h = decodeSafetensors(special).tensors.h.data;
  assert.equal(h[0], 2 ** -24);
  assert.ok(Object.is(h[1], -0));
  assert.equal(h[2], Infinity);
  assert.equal(h[3], -Infinity);
  assert.ok(Number.isNaN(h[4]));
  assert.equal(h[5], 1023 * 2 ** -24);

  const inputs = [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 70000, 2 ** -25, 3 * 2 ** -26, -0, NaN, -Infinity, 2 ** -14, 0.1];
  const expected = [1, 1, 1 + 2 ** -9, 65504, Infinity, Infinity, 0, 2 ** -24, -0, NaN, -Infinity, 2 ** -14, 0.0999755859375];
  const back = decodeSafetensors(encodeSafetensors({ x: { shape: [inputs.length], data: new Float32Array(inputs), dtype: 'F16' } })).tensors.x;
  assert.equal(back.dtype, 'F16');
  assert.deepEqual(Array.from(back.data), expected);
});

/** Asserts a WeightsFormatError naming `source` and matching `pattern`. */
function assertRefused(bytes: Uint8Array, pattern: RegExp, source = 'w.safetensors'): void {
  assert.throws(
    () => decodeSafetensors(bytes, source),
    (err: Error) => err instanceof WeightsFormatError && err instanceof UserError && err.message.startsWith(`${source}: `) && pattern.test(err.message),
  );
}

test('refuses short, truncated and corrupted files with a clear message', () => {
  const good = encodeSafetensors({ a: { shape: [4], data: new Float32Array([1, 2, 3, 4]) }, b: { shape: [2], data: new Int32Array([5, 6]) } });
  assertRefused(good.subarray(0, 5), /too short.*5 bytes/);
  assertRefused(good.subarray(0, good.length - 3), /truncated/);
  assertRefused(good.subarray(0, 20), /header length \d+ is beyond the end of the file/);
  assertRefused(Uint8Array.from([...good, 0, 0, 0, 0]), /4 bytes after the last tensor/);

  const corrupt = new Uint8Array(good);
  corrupt[8] = 0x78; // '{' → 'x'
  assertRefused(corrupt, /not valid JSON/);
  assertRefused(assemble('[1,2]', new Uint8Array(0)), /not a JSON object/);
  assertRefused(assemble('{"t":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', new Uint8Array(2)), /unsupported dtype "BF16".*F32, F16, I32, U8/);
  assertRefused(assemble('{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), /holds 8 bytes but F32 \[3\] needs 12/);
  assertRefused(assemble('{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)), /invalid shape/);
  assertRefused(assemble('{"t":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', new Uint8Array(4)), /invalid data_offsets/);
  assertRefused(
    assemble('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(4)),
    /'a' and 'b' overlap/,
  );
  assertRefused(assemble('{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', new Uint8Array(4)), /2 unused bytes before tensor 'a'/);
  assertRefused(assemble('{"__metadata__":{"n":1}}', new Uint8Array(0)), /__metadata__\.n must be a string/);
});

test('encode refuses mismatched shapes and dtypes', () => {
  assert.throws(() => encodeSafetensors({ a: { shape: [2, 2], data: new Float32Array(3) } }), /needs 4 values, data has 3/);
  assert.throws(() => encodeSafetensors({ a: { shape: [2], data: new Int32Array(2), dtype: 'F32' } }), /cannot store a Int32Array as F32/);
});

test('save is atomic and load names the file in errors', async () => {
  const file = path.join(dir, 'w.safetensors');
  await saveSafetensors(file, { w: { shape: [2], data: new Float32Array([0.5, -1]) } }, { step: '10' });
  await saveSafetensors(file, { w: { shape: [2], data: new Float32Array([1.5, 2]) } }, { step: '20' });
  const loaded = await loadSafetensors(file);
  assert.deepEqual(Array.from(loaded.tensors.w.data), [1.5, 2]);
  assert.deepEqual(loaded.metadata, { step: '20' });
  assert.deepEqual((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')), []);

  const bytes = await fs.readFile(file);
  const cut = path.join(dir, 'cut.safetensors');
  await fs.writeFile(cut, bytes.subarray(0, bytes.length - 1));
  await assert.rejects(loadSafetensors(cut), (err: Error) => err instanceof WeightsFormatError && err.message.startsWith(`${cut}: `));
  await assert.rejects(loadSafetensors(path.join(dir, 'missing.safetensors')), (err: Error) => err instanceof UserError && /file not found/.test(err.message));
});

test('tensor names that look like object internals stay ordinary entries', () => {
  const { tensors } = decodeSafetensors(encodeSafetensors({ ['__proto__']: { shape: [1], data: new Uint8Array([9]) } }));
  assert.deepEqual(Object.keys(tensors), ['__proto__']);
  assert.deepEqual(Array.from(tensors['__proto__'].data), [9]);
});
