import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RGBImage } from '../image/types.js';
import { UserError } from '../util/errors.js';
import { encodeImage, encodeImageWithNotes, readImage, writeImage, type ImageFormat, type ImageMetadata } from './image-io.js';
import { exifOrientation } from './metadata.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-image-write-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

/** A smooth image (lossy codecs stay close on it), all values on the 8-bit grid. */
function smooth(width: number, height: number): RGBImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((255 * x) / (width - 1)) / 255;
      data[i + 1] = Math.round((255 * y) / (height - 1)) / 255;
      data[i + 2] = Math.round((255 * (x + y)) / (width + height - 2)) / 255;
    }
  }
  return { width, height, data };
}

function ramp(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.round((255 * i) / (count - 1)) / 255);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Mean absolute difference, for lossy codecs. */
function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

const CASES: { ext: string; format: ImageFormat; reads: string; lossless: boolean; alpha: boolean }[] = [
  { ext: 'png', format: 'png', reads: 'png', lossless: true, alpha: true },
  { ext: 'jpg', format: 'jpeg', reads: 'jpeg', lossless: false, alpha: false },
  { ext: 'jpeg', format: 'jpeg', reads: 'jpeg', lossless: false, alpha: false },
  { ext: 'webp', format: 'webp', reads: 'webp', lossless: false, alpha: true },
  { ext: 'avif', format: 'avif', reads: 'heif', lossless: false, alpha: true },
  { ext: 'tif', format: 'tiff', reads: 'tiff', lossless: true, alpha: true },
  { ext: 'tiff', format: 'tiff', reads: 'tiff', lossless: true, alpha: true },
  { ext: 'bmp', format: 'bmp', reads: 'bmp', lossless: true, alpha: true },
];

test('every writable extension really writes its format; alpha is kept, or dropped with a note', async () => {
  const image = smooth(24, 16);
  const alpha = ramp(24 * 16);
  for (const c of CASES) {
    const file = path.join(dir, `all.${c.ext}`);
    const { notes } = await writeImage(file, image, { alpha });
    const back = await readImage(file);
    assert.equal(back.info.format, c.reads, c.ext);
    assert.deepEqual([back.image.width, back.image.height], [24, 16], c.ext);
    if (c.lossless) assert.equal(maxAbsDiff(back.image.data, image.data), 0, `${c.ext} is lossless`);
    else assert.ok(meanAbsDiff(back.image.data, image.data) < 0.03, `${c.ext} close: ${meanAbsDiff(back.image.data, image.data)}`);
    if (c.alpha) {
      assert.ok(back.alpha, `${c.ext} keeps alpha`);
      if (c.lossless) assert.equal(maxAbsDiff(back.alpha, alpha), 0, `${c.ext} alpha exact`);
      else assert.ok(meanAbsDiff(back.alpha, alpha) < 0.03, `${c.ext} alpha close`);
      assert.deepEqual(notes, [], c.ext);
    } else {
      assert.equal(back.alpha, null);
      assert.deepEqual(notes, ['JPEG cannot hold transparency: alpha dropped']);
    }
    // without alpha nothing is noted for any format
    assert.deepEqual((await encodeImageWithNotes(image, { format: c.format })).notes, [], c.ext);
  }
});

test('16-bit images: PNG and TIFF keep 16 bits exactly, AVIF 12, JPEG/WebP/BMP 8 with a note', async () => {
  const width = 32;
  const height = 8;
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 977 + 13) % 65536) / 65535; // off the 8-bit grid
  const image = { width, height, data };
  for (const format of ['png', 'tiff'] as const) {
    const { bytes, notes } = await encodeImageWithNotes(image, { format, bitDepth: 16 });
    assert.deepEqual(notes, []);
    const back = await readImage(bytes);
    assert.equal(back.info.bitDepth, 16, format);
    assert.ok(maxAbsDiff(back.image.data, data) < 1e-7, `${format}: 16-bit values exact`);
  }
  const avif = await encodeImageWithNotes(image, { format: 'avif', bitDepth: 16, quality: 100 });
  assert.deepEqual(avif.notes, ['AVIF holds 12 bits per channel: the 16-bit image is written at 12 bits (.png or .tif keep 16)']);
  const avifMeta = await sharp(avif.bytes).metadata();
  assert.equal(avifMeta.bitsPerSample, 12);
  for (const [format, label] of [['jpeg', 'JPEG'], ['webp', 'WebP'], ['bmp', 'BMP']] as const) {
    const { bytes, notes } = await encodeImageWithNotes(image, { format, bitDepth: 16 });
    assert.deepEqual(notes, [`${label} holds 8 bits per channel: the 16-bit image is written at 8 bits (.png or .tif keep 16)`]);
    assert.equal((await readImage(bytes)).info.bitDepth, 8);
  }
});

/** A JPEG as a phone writes it: Display P3 profile, EXIF (camera make, orientation 6), XMP with the orientation too. */
async function phonePhoto(): Promise<{ bytes: Buffer; icc: Buffer }> {
  const w = 24;
  const h = 16;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = 40 + ((i * 7) % 180);
  const xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>';
  // withMetadata sets the orientation (and an sRGB profile), withIccProfile afterwards makes it P3
  const bytes = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .withIccProfile('p3')
    .withExifMerge({ IFD0: { Make: 'TestCam' } })
    .withXmp(xmp)
    .jpeg({ quality: 95 })
    .toBuffer();
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.orientation, 6, 'fixture has orientation 6');
  assert.ok(meta.icc && meta.exif && meta.xmp, 'fixture has a profile, EXIF and XMP');
  return { bytes, icc: meta.icc };
}

test('EXIF, ICC profile and XMP are kept in every format that holds them, orientation reset to 1', async () => {
  const photo = await phonePhoto();
  const loaded = await readImage(photo.bytes, { keepProfile: true });
  assert.deepEqual([loaded.image.width, loaded.image.height], [16, 24], 'the pixels are upright');
  assert.ok(loaded.metadata.icc?.equals(photo.icc));
  assert.equal(exifOrientation(loaded.metadata.exif!), 1, 'the EXIF handed on says upright');
  for (const format of ['png', 'jpeg', 'webp', 'avif', 'tiff'] as const) {
    const { bytes, notes } = await encodeImageWithNotes(loaded.image, { format, metadata: loaded.metadata });
    const meta = await sharp(bytes).metadata();
    assert.ok(meta.icc?.equals(photo.icc), `${format}: same profile`);
    assert.ok(meta.xmp?.toString().includes('tiff:Orientation="1"'), `${format}: XMP kept with orientation 1`);
    assert.ok(!meta.xmp?.toString().includes('tiff:Orientation="6"'));
    assert.deepEqual([meta.autoOrient.width, meta.autoOrient.height], [16, 24], `${format}: displayed upright`);
    if (format === 'tiff') {
      assert.equal(meta.exif, undefined);
      assert.deepEqual(notes, ['TIFF output cannot keep EXIF: dropped']);
    } else {
      assert.ok(meta.exif?.includes(Buffer.from('TestCam')), `${format}: EXIF kept`);
      assert.equal(exifOrientation(meta.exif!), 1, `${format}: orientation 1`);
      assert.notEqual(meta.orientation, 6);
      assert.deepEqual(notes, []);
    }
    // the values are the file's own (not converted twice): lossless formats give them back exactly
    const back = await readImage(bytes, { keepProfile: true });
    if (format === 'png' || format === 'tiff') assert.equal(maxAbsDiff(back.image.data, loaded.image.data), 0);
  }
});

test('--strip and BMP: metadata dropped and colours converted to sRGB, the same way a reader would', async () => {
  const photo = await phonePhoto();
  const native = await readImage(photo.bytes, { keepProfile: true });
  const asSrgb = await readImage(photo.bytes); // sharp's own conversion of the file to sRGB
  assert.ok(maxAbsDiff(native.image.data, asSrgb.image.data) > 3 / 255, 'P3 values differ from sRGB ones');
  const stripped = await encodeImageWithNotes(native.image, { format: 'png', metadata: native.metadata, strip: true });
  assert.deepEqual(stripped.notes, []);
  const meta = await sharp(stripped.bytes).metadata();
  assert.deepEqual([meta.icc, meta.exif, meta.xmp], [undefined, undefined, undefined]);
  const back = await readImage(stripped.bytes);
  assert.ok(maxAbsDiff(back.image.data, asSrgb.image.data) <= 1 / 255 + 1e-6, `converted like a reader: ${maxAbsDiff(back.image.data, asSrgb.image.data)}`);

  const bmp = await encodeImageWithNotes(native.image, { format: 'bmp', metadata: native.metadata });
  assert.deepEqual(bmp.notes, ['BMP cannot hold a colour profile: colours converted to sRGB', 'BMP output cannot keep EXIF or XMP: dropped']);
  assert.ok(maxAbsDiff((await readImage(bmp.bytes)).image.data, asSrgb.image.data) <= 1 / 255 + 1e-6);
});

test('16-bit metadata round trip: a 16-bit PNG with a profile keeps its exact values and its profile', async () => {
  const photo = await phonePhoto();
  const width = 8;
  const height = 4;
  const samples = Uint16Array.from({ length: width * height * 3 }, (_, i) => (i * 2039 + 7) % 65536);
  const metadata: ImageMetadata = { icc: photo.icc };
  const image = { width, height, data: Float32Array.from(samples, (v) => v / 65535) };
  const png = await encodeImage(image, { format: 'png', bitDepth: 16, metadata });
  const back = await readImage(png, { keepProfile: true });
  assert.equal(back.info.bitDepth, 16);
  assert.ok(back.metadata.icc?.equals(photo.icc));
  assert.deepEqual(Array.from(back.image.data, (v) => Math.round(v * 65535)), Array.from(samples));
  const tiff = await encodeImage(back.image, { format: 'tiff', bitDepth: 16, metadata: back.metadata });
  const tiffBack = await readImage(tiff, { keepProfile: true });
  assert.ok(tiffBack.metadata.icc?.equals(photo.icc));
  assert.deepEqual(Array.from(tiffBack.image.data, (v) => Math.round(v * 65535)), Array.from(samples));
});

test('quality: validated 1-100, and it changes the size of JPEG, WebP and AVIF files', async () => {
  const image = smooth(48, 48);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (image.data[i]! + ((i * 2654435761) >>> 28) / 64) % 1; // some texture
  for (const format of ['jpeg', 'webp', 'avif'] as const) {
    const low = await encodeImage(image, { format, quality: 10 });
    const high = await encodeImage(image, { format, quality: 95 });
    assert.ok(low.length < high.length, `${format}: q10 ${low.length} < q95 ${high.length}`);
  }
  for (const bad of [0, 101, 2.5, Number.NaN]) {
    await assert.rejects(encodeImage(image, { format: 'jpeg', quality: bad }), (err: Error) => err instanceof UserError && /quality must be an integer from 1 to 100/.test(err.message));
  }
});

test('reading a 16-bit RGB file with an sRGB profile gives its sRGB values (sharp alone would give Display P3)', async () => {
  const srgb = (await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).withIccProfile('srgb').png().toBuffer().then((b) => sharp(b).metadata())).icc!;
  const samples = Uint16Array.from({ length: 4 * 2 * 3 }, (_, i) => 3000 + i * 2500);
  const image = { width: 4, height: 2, data: Float32Array.from(samples, (v) => v / 65535) };
  const png = await encodeImage(image, { format: 'png', bitDepth: 16, metadata: { icc: srgb } });
  const { image: read, metadata } = await readImage(png);
  assert.equal(metadata.icc, undefined, 'converted to sRGB: no profile handed on');
  assert.ok(maxAbsDiff(read.data, image.data) < 2e-3, `sRGB → sRGB is (nearly) the identity: ${maxAbsDiff(read.data, image.data)}`);
});
