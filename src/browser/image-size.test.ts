import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { probeImageSize } from './image-size.js';

/** A minimal 24-bit BMP header (BITMAPINFOHEADER) for the given size; pixel data need not follow for probing. */
function bmpHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(54);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, -height, true); // top-down
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  return bytes;
}

test('probeImageSize reads the size from the header of every format the browser app sniffs', async () => {
  for (const [width, height] of [[1, 1], [37, 23], [4000, 6001]] as const) {
    const base = sharp({ create: { width, height, channels: 3, background: '#468' } });
    const files = {
      png: await base.clone().png().toBuffer(),
      jpeg: await base.clone().jpeg().toBuffer(),
      // progressive JPEG (SOF2) and one with a large metadata block before the frame header
      jpegProgressive: await base.clone().jpeg({ progressive: true }).withMetadata({ exif: { IFD0: { ImageDescription: 'x'.repeat(20000) } } }).toBuffer(),
      webpLossy: await base.clone().webp().toBuffer(),
      webpLossless: await base.clone().webp({ lossless: true }).toBuffer(),
      webpAlpha: await base.clone().ensureAlpha(0.5).webp().toBuffer(),
      gif: await base.clone().gif().toBuffer(),
    };
    for (const [kind, bytes] of Object.entries(files)) {
      const probed = probeImageSize(new Uint8Array(bytes));
      assert.ok(probed, `${kind} ${width}×${height}`);
      assert.deepEqual([probed.width, probed.height], [width, height], kind);
    }
    assert.deepEqual(probeImageSize(bmpHeader(width, height)), { width, height, format: 'bmp' });
  }
});

test('probeImageSize returns null for what it cannot tell, without throwing', async () => {
  const png = await sharp({ create: { width: 9, height: 9, channels: 3, background: 'red' } }).png().toBuffer();
  for (const bytes of [new Uint8Array(0), new Uint8Array([0xff, 0xd8, 0xff]), Buffer.from('not an image at all'), png.subarray(0, 20), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 0, 0, 0, 0, 0, 0])]) {
    assert.equal(probeImageSize(new Uint8Array(bytes)), null);
  }
});
