import test from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, UserError } from '../util/errors.js';
import { decodeImageBlob } from './decode-blob.js';

/** A PNG signature + IHDR of the given size (enough for the header probe). */
function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  b[24] = 8;
  b[25] = 6;
  return b;
}

/** Browser globals stubbed for one call: a bitmap of w×h and a canvas whose pixels are i mod 256. */
async function withBrowser<T>(w: number, h: number, fn: (calls: { bitmaps: number; closed: number }) => Promise<T>): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  const calls = { bitmaps: 0, closed: 0 };
  g['createImageBitmap'] = async () => {
    calls.bitmaps++;
    return { width: w, height: h, close: () => calls.closed++ };
  };
  g['OffscreenCanvas'] = class {
    constructor(readonly width: number, readonly height: number) {}
    getContext() {
      return { drawImage: () => undefined, getImageData: (_x: number, _y: number, cw: number, ch: number) => ({ data: Uint8ClampedArray.from({ length: cw * ch * 4 }, (_, i) => i % 256) }) };
    }
  };
  try {
    return await fn(calls);
  } finally {
    delete g['createImageBitmap'];
    delete g['OffscreenCanvas'];
  }
}

test('decodeImageBlob: without createImageBitmap (Node) a usage error says what to pass instead', async () => {
  await assert.rejects(decodeImageBlob(new Blob([pngHeader(2, 2)], { type: 'image/png' })), (e) => e instanceof UsageError && /createImageBitmap/.test(e.message));
});

test('decodeImageBlob: RGBA bytes with opaque alpha; the bitmap is closed', async () => {
  await withBrowser(3, 2, async (calls) => {
    const out = await decodeImageBlob(new Blob([pngHeader(3, 2)], { type: 'image/png' }));
    assert.deepEqual([out.width, out.height, out.data.length], [3, 2, 24]);
    assert.equal(out.data[0], 0);
    assert.equal(out.data[1], 1);
    assert.ok([...out.data].every((v, i) => i % 4 !== 3 || v === 255));
    assert.deepEqual(calls, { bitmaps: 1, closed: 1 });
  });
});

test('decodeImageBlob: too many pixels in the header is refused before decoding; not an image, empty', async () => {
  await withBrowser(5000, 5000, async (calls) => {
    await assert.rejects(decodeImageBlob(new Blob([pngHeader(5000, 5000)], { type: 'image/png' }), { maxPixels: 1e6, name: "'big.png'" }), (e) => e instanceof UserError && /'big.png' is 5000×5000/.test(e.message));
    assert.equal(calls.bitmaps, 0);
    await assert.rejects(decodeImageBlob(new Blob(['hello'], { type: 'text/plain' })), /is not an image \(text\/plain\)/);
    await assert.rejects(decodeImageBlob(new Blob([], { type: 'image/png' })), /is empty/);
  });
});
