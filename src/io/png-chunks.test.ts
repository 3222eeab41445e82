import test from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { crc32, readPngChunks, withPngMetadata } from './png-chunks.js';

test('crc32 matches the PNG check values', () => {
  assert.equal(crc32(Buffer.from('IEND', 'latin1')), 0xae426082); // every PNG's last four bytes
  assert.equal(crc32(Buffer.from('123456789', 'latin1')), 0xcbf43926); // the CRC-32 check value
  const zlibCrc = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (zlibCrc) {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    assert.equal(crc32(bytes), zlibCrc(bytes));
  }
});

test('metadata chunks go right after IHDR, replace what they contradict, and sharp reads them back', async () => {
  const base = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#336699' } }).withIccProfile('srgb').png().toBuffer();
  const icc = (await sharp(await sharp(base).withIccProfile('p3').png().toBuffer()).metadata()).icc!;
  const exif = (await sharp(await sharp(base).withExif({ IFD0: { Make: 'ChunkCam' } }).jpeg().toBuffer()).metadata()).exif!;
  const xmp = Buffer.from('<x:xmpmeta xmlns:x="adobe:ns:meta/">chunk test</x:xmpmeta>');
  const png = withPngMetadata(base, { icc, exif, xmp });
  const types = readPngChunks(png).map((c) => c.type);
  assert.deepEqual(types.slice(0, 4), ['IHDR', 'iCCP', 'eXIf', 'iTXt']);
  assert.equal(types.filter((t) => t === 'iCCP').length, 1, 'the old sRGB profile is gone');
  assert.ok(!types.includes('sRGB'));
  const meta = await sharp(png).metadata();
  assert.ok(meta.icc?.equals(icc));
  assert.ok(meta.exif?.includes(Buffer.from('ChunkCam')));
  assert.equal(meta.xmp?.toString(), xmp.toString());
  // the pixels are untouched
  assert.deepEqual(await sharp(png, { ignoreIcc: true }).raw().toBuffer(), await sharp(base, { ignoreIcc: true }).raw().toBuffer());
  assert.deepEqual(withPngMetadata(base, {}), base);
});
