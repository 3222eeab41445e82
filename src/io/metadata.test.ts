import test from 'node:test';
import assert from 'node:assert/strict';
import { exifOrientation, exifTiffData, hasMetadata, iccColourSpace, withExifOrientation, withXmpOrientation } from './metadata.js';

/** A minimal EXIF block: IFD0 with Make (ASCII, offset) and Orientation (SHORT) entries. */
function makeExif(little: boolean, orientation: number, prefixed: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4 + 8);
  const u16 = (v: number, at: number) => (little ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (little ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  tiff.write(little ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(2, 8);
  // Make: type 2 (ASCII), 8 bytes at offset 38
  u16(0x010f, 10);
  u16(2, 12);
  u32(8, 14);
  u32(38, 18);
  // Orientation: type 3 (SHORT), one value inline
  u16(0x0112, 22);
  u16(3, 24);
  u32(1, 26);
  u16(orientation, 30);
  u32(0, 34); // no next IFD
  tiff.write('TestCam\0', 38, 'latin1');
  return prefixed ? Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]) : tiff;
}

test('EXIF orientation is read and rewritten in both byte orders, with or without the Exif prefix', () => {
  for (const little of [true, false]) {
    for (const prefixed of [true, false]) {
      const exif = makeExif(little, 6, prefixed);
      assert.equal(exifOrientation(exif), 6);
      const fixed = withExifOrientation(exif, 1);
      assert.equal(exifOrientation(fixed), 1);
      assert.equal(exifOrientation(exif), 6, 'the input is not modified');
      assert.equal(fixed.length, exif.length);
      // everything but the two value bytes is unchanged (the Make string survives)
      const diff = [...fixed].flatMap((b, i) => (b !== exif[i] ? [i] : []));
      assert.ok(diff.length === 1, `one byte changed, got ${diff.length}`);
      assert.ok(fixed.includes(Buffer.from('TestCam', 'latin1')));
    }
  }
  assert.equal(exifTiffData(makeExif(true, 3, true)).toString('latin1', 0, 2), 'II');
});

test('EXIF without an Orientation tag, or malformed, is left alone', () => {
  const exif = makeExif(true, 6, false);
  exif.writeUInt16LE(0x0110, 22); // the Orientation entry becomes "Model"
  assert.equal(exifOrientation(exif), undefined);
  assert.deepEqual(withExifOrientation(exif, 1), exif);
  const junk = Buffer.from('not exif at all');
  assert.equal(exifOrientation(junk), undefined);
  assert.deepEqual(withExifOrientation(junk, 1), junk);
  const cut = makeExif(false, 8, false).subarray(0, 20); // IFD entry count says 2, data ends inside the first
  assert.equal(exifOrientation(cut), undefined);
});

test('XMP tiff:Orientation is reset in attribute and element form', () => {
  const attr = Buffer.from('<rdf:Description tiff:Orientation="6" tiff:Make="X"/>');
  assert.equal(withXmpOrientation(attr, 1).toString(), '<rdf:Description tiff:Orientation="1" tiff:Make="X"/>');
  const element = Buffer.from('<tiff:Orientation>8</tiff:Orientation><exif:Other>6</exif:Other>');
  assert.equal(withXmpOrientation(element, 1).toString(), '<tiff:Orientation>1</tiff:Orientation><exif:Other>6</exif:Other>');
});

test('ICC colour space from the profile header; hasMetadata', () => {
  const icc = Buffer.alloc(128);
  icc.write('mntrRGB XYZ ', 12, 'latin1');
  assert.equal(iccColourSpace(icc), 'RGB');
  icc.write('GRAY', 16, 'latin1');
  assert.equal(iccColourSpace(icc), 'GRAY');
  assert.equal(iccColourSpace(Buffer.alloc(10)), undefined);
  assert.equal(hasMetadata({}), false);
  assert.equal(hasMetadata(undefined), false);
  assert.equal(hasMetadata({ exif: Buffer.alloc(0) }), false);
  assert.equal(hasMetadata({ xmp: Buffer.from('x') }), true);
});
