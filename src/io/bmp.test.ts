import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeBmp, encodeBmp } from './bmp.js';
import { readImage, readImageInfo, ImageReadError } from './image-io.js';

interface BmpSpec {
  width: number;
  height: number;
  /** RGBA per pixel, top-down */
  rgba: number[][];
  bits: 24 | 32;
  topDown?: boolean;
  /** 32-bit only: write a V4 header with BI_BITFIELDS and an alpha mask */
  withAlpha?: boolean;
}

/** Hand-built BMP bytes (the test's own writer, independent of the decoder). */
function makeBmp(spec: BmpSpec): Uint8Array {
  const { width, height, rgba, bits } = spec;
  const dibSize = spec.withAlpha ? 108 : 40;
  const stride = Math.ceil((bits * width) / 32) * 4;
  const offset = 14 + dibSize;
  const bytes = new Uint8Array(offset + stride * height);
  const v = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  v.setUint32(2, bytes.length, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, dibSize, true);
  v.setInt32(18, width, true);
  v.setInt32(22, spec.topDown ? -height : height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bits, true);
  v.setUint32(30, spec.withAlpha ? 3 : 0, true);
  if (spec.withAlpha) {
    v.setUint32(54, 0x00ff0000, true);
    v.setUint32(58, 0x0000ff00, true);
    v.setUint32(62, 0x000000ff, true);
    v.setUint32(66, 0xff000000, true);
  }
  for (let y = 0; y < height; y++) {
    const row = offset + (spec.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = rgba[y * width + x];
      const p = row + (x * bits) / 8;
      bytes[p] = b;
      bytes[p + 1] = g;
      bytes[p + 2] = r;
      if (bits === 32) bytes[p + 3] = spec.withAlpha ? a : 0;
    }
  }
  return bytes;
}

function pixels(width: number, height: number): number[][] {
  return Array.from({ length: width * height }, (_, i) => [(i * 40) % 256, (i * 90 + 7) % 256, 255 - ((i * 15) % 256), (i * 60 + 3) % 256]);
}

test('24-bit bottom-up BMP with row padding decodes', async () => {
  const rgba = pixels(5, 3); // 5·3 = 15 bytes per row → 1 byte padding
  const bmp = makeBmp({ width: 5, height: 3, rgba, bits: 24 });
  const { image, alpha, info } = await readImage(bmp);
  assert.deepEqual(info, { width: 5, height: 3, channels: 3, bitDepth: 8, hasAlpha: false, format: 'bmp' });
  assert.equal(alpha, null);
  assert.deepEqual(Array.from(image.data), rgba.flatMap(([r, g, b]) => [r, g, b].map((u) => Math.fround(u / 255))));
});

test('32-bit top-down BMP with an alpha bit field decodes alpha', async () => {
  const rgba = pixels(3, 2);
  const { image, alpha, info } = await readImage(makeBmp({ width: 3, height: 2, rgba, bits: 32, topDown: true, withAlpha: true }));
  assert.equal(info.hasAlpha, true);
  assert.equal(info.channels, 4);
  assert.deepEqual(Array.from(alpha!), rgba.map(([, , , a]) => Math.fround(a / 255)));
  assert.deepEqual(Array.from(image.data), rgba.flatMap(([r, g, b]) => [r, g, b].map((u) => Math.fround(u / 255))));
});

test('32-bit BI_RGB ignores the reserved byte', () => {
  const decoded = decodeBmp(makeBmp({ width: 2, height: 2, rgba: pixels(2, 2), bits: 32 }));
  assert.equal(decoded.channels, 3);
  assert.equal(decoded.header.hasAlpha, false);
});

test('truncated or unsupported BMPs are refused naming the source', async () => {
  const bmp = makeBmp({ width: 8, height: 8, rgba: pixels(8, 8), bits: 24 });
  const cut = bmp.subarray(0, bmp.length - 10);
  assert.equal((await readImageInfo(cut)).width, 8); // the header alone is intact
  await assert.rejects(readImage(cut), (err: Error) => err instanceof ImageReadError && /truncated BMP/.test(err.message));
  await assert.rejects(readImage(bmp.subarray(0, 20)), /truncated BMP header/);
  const paletted = new Uint8Array(bmp);
  new DataView(paletted.buffer).setUint16(28, 8, true);
  await assert.rejects(readImage(paletted), /unsupported BMP variant \(8-bit/);
  await assert.rejects(readImage(makeBmp({ width: 8, height: 8, rgba: pixels(8, 8), bits: 24 }), { maxPixels: 10 }), /more than the limit/);
});

test('encodeBmp: 24-bit and 32-bit (alpha) files decode to the same pixels, rows padded', async () => {
  for (const [width, channels] of [[5, 3], [3, 4], [1, 3]] as const) {
    const height = 3;
    const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 53 + 11) % 256);
    const bmp = encodeBmp(pixels, width, height, channels);
    const stride = Math.ceil((channels * 8 * width) / 32) * 4;
    assert.equal(bmp.length, 14 + (channels === 4 ? 108 : 40) + stride * height);
    const decoded = decodeBmp(bmp);
    assert.equal(decoded.channels, channels);
    assert.deepEqual(Array.from(decoded.pixels), Array.from(pixels));
    const { info } = await readImage(bmp);
    assert.deepEqual([info.width, info.height, info.hasAlpha], [width, height, channels === 4]);
  }
  assert.throws(() => encodeBmp(new Uint8Array(5), 2, 2, 3), /expected 2×2×3/);
});
