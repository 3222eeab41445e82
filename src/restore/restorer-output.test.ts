/** The library's result keeps what the input file carried: bit depth, EXIF, profile (fake model runner). */
import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { initEngine } from '../tfjs/backend.js';
import { readImage } from '../io/image-io.js';
import { exifOrientation } from '../io/metadata.js';
import { createRestorer } from './restorer.js';
import { createFakeRunner } from './fake-runner.js';

await initEngine({ backend: 'wasm' });

test('restore(bytes).toBuffer keeps 16 bits, EXIF (orientation 1) and the profile; keepMetadata false and strip drop them', async () => {
  const samples = Uint16Array.from({ length: 16 * 8 * 3 }, (_, i) => (i * 4099) % 65536);
  const png = await sharp(samples, { raw: { width: 16, height: 8, channels: 3 } })
    .toColourspace('rgb16')
    .withMetadata({ orientation: 8 })
    .withIccProfile('p3')
    .withExifMerge({ IFD0: { Make: 'LibCam' } })
    .png()
    .toBuffer();
  const restorer = createRestorer({ runner: createFakeRunner() });
  const result = await restorer.restore(png, { tileSize: 16, overlap: 4 });
  assert.equal(result.bitDepth, 16);
  assert.deepEqual([result.image.width, result.image.height], [8, 16]);
  for (const format of ['png', 'tif'] as const) {
    const out = await result.toBuffer(format);
    const meta = await sharp(out).metadata();
    assert.equal(meta.depth, 'ushort', format);
    assert.ok(meta.icc?.equals((await sharp(png).metadata()).icc!), format);
    if (format === 'png') {
      assert.ok(meta.exif?.includes(Buffer.from('LibCam')));
      assert.equal(exifOrientation(meta.exif!), 1);
    }
  }
  const jpg = await sharp(await result.toBuffer('jpg', { quality: 30 })).metadata();
  assert.ok(jpg.exif?.includes(Buffer.from('LibCam')));
  const stripped = await sharp(await result.toBuffer('png', { strip: true })).metadata();
  assert.deepEqual([stripped.exif, stripped.icc, stripped.depth], [undefined, undefined, 'ushort']);

  const bare = await restorer.restore(png, { tileSize: 16, overlap: 4, keepMetadata: false });
  assert.deepEqual(bare.metadata, {});
  // without the profile kept, the input was converted to sRGB on reading: it differs from the P3 values
  const native = await readImage(png, { keepProfile: true });
  const srgb = await readImage(png);
  assert.deepEqual(result.input.data, native.image.data);
  assert.deepEqual(bare.input.data, srgb.image.data);
  restorer.dispose();
});
