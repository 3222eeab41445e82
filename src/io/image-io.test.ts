import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { initEngine } from '../tfjs/backend.js';
import {
  encodeImage,
  formatFromPath,
  ImageReadError,
  readImage,
  readImageInfo,
  writeImage,
} from './image-io.js';
import { imageToTensor, tensorToImage } from './image-tensor.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-image-io-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

/** An image whose values are all exact multiples of 1/255 (so 8-bit round trips are exact). */
function pattern8(width: number, height: number): RGBImage {
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37 + 11) % 256) / 255;
  return { width, height, data };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function rawPng(samples: Uint8Array | Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4): Promise<Buffer> {
  let p = sharp(samples, { raw: { width, height, channels } });
  const wide = samples instanceof Uint16Array;
  if (channels <= 2) p = p.toColourspace(wide ? 'grey16' : 'b-w');
  else if (wide) p = p.toColourspace('rgb16');
  return p.png().toBuffer();
}

test('8-bit PNG write → read is exact', async () => {
  const img = pattern8(13, 7);
  const file = path.join(dir, 'exact.png');
  await writeImage(file, img);
  const { image, alpha, info } = await readImage(file);
  assert.equal(image.width, 13);
  assert.equal(image.height, 7);
  assert.equal(alpha, null);
  assert.deepEqual(info, { width: 13, height: 7, channels: 3, bitDepth: 8, hasAlpha: false, format: 'png' });
  assert.deepEqual(loadedMetadataKeys(await readImage(file)), []);
  assert.equal(maxAbsDiff(image.data, img.data), 0);
});

test('16-bit PNG keeps more than 8 bits of precision', async () => {
  const width = 32;
  const height = 8;
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 97 + 5) / (data.length * 97 + 10); // not on the 8-bit grid
  const img = { width, height, data };
  const bytes = await encodeImage(img, { format: 'png', bitDepth: 16 });
  const { image, info } = await readImage(bytes);
  assert.equal(info.bitDepth, 16);
  const err16 = maxAbsDiff(image.data, data);
  assert.ok(err16 <= 0.5 / 65535 + 1e-7, `16-bit error ${err16}`);
  // The same values through 8 bits lose far more: proves precision was really kept.
  const back8 = (await readImage(await encodeImage(img, { format: 'png' }))).image.data;
  assert.ok(maxAbsDiff(back8, data) > 100 * err16);
});

test('16-bit source samples are decoded as value / 65535', async () => {
  const samples = new Uint16Array([0, 1, 257, 40000, 65534, 65535]);
  const { image, info } = await readImage(await rawPng(samples, 2, 1, 3));
  assert.equal(info.bitDepth, 16);
  assert.deepEqual(Array.from(image.data), Array.from(samples, (v) => Math.fround(v / 65535)));
});

test('EXIF orientation 6 is applied and reported', async () => {
  // 16×8: left half red, right half blue. Orientation 6 = rotate 90° clockwise to display,
  // so the decoded image is 8×16 with red on top.
  const w = 16;
  const h = 8;
  const raw = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
  const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  const { image, info } = await readImage(jpeg);
  assert.equal(info.orientation, 6);
  assert.equal(info.format, 'jpeg');
  assert.equal(image.width, 8);
  assert.equal(image.height, 16);
  assert.equal(info.width, 8);
  assert.equal(info.height, 16);
  const px = (x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
  const [r1, , b1] = px(4, 2);
  const [r2, , b2] = px(4, 13);
  assert.ok(r1 > 0.8 && b1 < 0.2, `top should be red, got ${px(4, 2)}`);
  assert.ok(b2 > 0.8 && r2 < 0.2, `bottom should be blue, got ${px(4, 13)}`);
  assert.equal((await readImageInfo(jpeg)).orientation, 6);
});

test('grayscale is replicated to RGB; gray+alpha keeps alpha', async () => {
  const gray = new Uint8Array([0, 50, 100, 255]);
  const { image, alpha, info } = await readImage(await rawPng(gray, 2, 2, 1));
  assert.equal(info.channels, 1);
  assert.equal(info.hasAlpha, false);
  assert.equal(alpha, null);
  assert.deepEqual(Array.from(image.data), Array.from(gray).flatMap((v) => [v, v, v].map((u) => Math.fround(u / 255))));

  const ga = new Uint8Array([10, 255, 20, 0, 30, 128, 40, 1]);
  const loaded = await readImage(await rawPng(ga, 2, 2, 2));
  assert.equal(loaded.info.channels, 2);
  assert.equal(loaded.info.hasAlpha, true);
  assert.deepEqual(Array.from(loaded.alpha!), [255, 0, 128, 1].map((v) => Math.fround(v / 255)));
  assert.deepEqual(Array.from(loaded.image.data), [10, 20, 30, 40].flatMap((v) => [v, v, v].map((u) => Math.fround(u / 255))));
});

test('alpha is carried separately and re-attached on write (PNG, WebP); JPEG drops it', async () => {
  const img = pattern8(5, 4);
  const alphaValues = new Float32Array(20);
  for (let i = 0; i < 20; i++) alphaValues[i] = (i * 13) / 255;
  alphaValues[3] = 0; // colour under a fully transparent pixel must survive too
  const png = path.join(dir, 'alpha.png');
  await writeImage(png, img, { alpha: alphaValues });
  const a = await readImage(png);
  assert.equal(a.info.hasAlpha, true);
  assert.equal(a.info.channels, 4);
  assert.equal(maxAbsDiff(a.alpha!, alphaValues), 0);
  assert.equal(maxAbsDiff(a.image.data, img.data), 0);

  const webp = await readImage(await encodeImage(img, { format: 'webp', alpha: alphaValues, quality: 100 }));
  assert.equal(webp.info.format, 'webp');
  assert.ok(webp.alpha, 'webp keeps alpha');
  assert.ok(maxAbsDiff(webp.alpha, alphaValues) < 0.02);

  const jpeg = await readImage(await encodeImage(img, { format: 'jpeg', alpha: alphaValues }));
  assert.equal(jpeg.alpha, null);
  assert.equal(jpeg.info.hasAlpha, false);
});

test('JPEG and WebP quality options take effect', async () => {
  const img = pattern8(32, 32);
  const small = await encodeImage(img, { format: 'jpeg', quality: 10 });
  const large = await encodeImage(img, { format: 'jpeg', quality: 95 });
  assert.ok(small.length < large.length);
  assert.equal((await readImageInfo(small)).format, 'jpeg');
  await assert.rejects(encodeImage(img, { format: 'jpeg', quality: 0 }), UserError);
  await assert.rejects(encodeImage({ width: 2, height: 2, data: new Float32Array(5) }, { format: 'png' }), /expected 2×2×3/);
});

test('values outside [0,1] and NaN are clipped on write', async () => {
  const img = { width: 4, height: 1, data: new Float32Array([-0.5, 1.5, NaN, 0.5, 2, -1, 0, 1, Infinity, -Infinity, 0.2, 0.8]) };
  const { image } = await readImage(await encodeImage(img, { format: 'png' }));
  assert.deepEqual(Array.from(image.data), [0, 1, 0, 128 / 255, 1, 0, 0, 1, 1, 0, 51 / 255, 204 / 255].map(Math.fround));
});

test('TIFF is readable', async () => {
  const img = pattern8(6, 5);
  const tiff = await sharp(Uint8Array.from(img.data, (v) => Math.round(v * 255)), { raw: { width: 6, height: 5, channels: 3 } }).tiff({ compression: 'lzw' }).toBuffer(); // sharp's default TIFF compression is lossy JPEG
  const { image, info } = await readImage(tiff);
  assert.equal(info.format, 'tiff');
  assert.equal(maxAbsDiff(image.data, img.data), 0);
});

test('writeImage: format by extension, atomic, refuses to overwrite unless asked', async () => {
  const img = pattern8(4, 4);
  const file = path.join(dir, 'once.jpg');
  await writeImage(file, img);
  assert.equal((await readImageInfo(file)).format, 'jpeg');
  await assert.rejects(writeImage(file, img), /already exists/);
  await writeImage(file, img, { overwrite: true, quality: 50 });
  await assert.rejects(writeImage(path.join(dir, 'x.gif'), img), /not a writable image format/);
  await assert.rejects(writeImage(path.join(dir, 'x.png'), img, { format: 'jpeg' }), /extension says png/);
  await assert.rejects(writeImage(path.join(dir, 'missing-folder', 'x.png'), img), /does not exist/);
  const leftovers = (await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'));
  assert.deepEqual(leftovers, []);
});

test('formatFromPath maps extensions and lists the valid ones otherwise', () => {
  assert.equal(formatFromPath('a/b.PNG'), 'png');
  assert.equal(formatFromPath('x.jpg'), 'jpeg');
  assert.equal(formatFromPath('x.JPEG'), 'jpeg');
  assert.equal(formatFromPath('x.webp'), 'webp');
  assert.equal(formatFromPath('x.TIF'), 'tiff');
  assert.equal(formatFromPath('x.tiff'), 'tiff');
  assert.equal(formatFromPath('x.avif'), 'avif');
  assert.equal(formatFromPath('x.bmp'), 'bmp');
  assert.throws(() => formatFromPath('x.gif'), (err: Error) => err instanceof UserError && /\.png, \.jpg, \.jpeg, \.webp, \.avif, \.tif, \.tiff, \.bmp/.test(err.message));
  assert.throws(() => formatFromPath('noext'), /no extension/);
});

function loadedMetadataKeys(loaded: { metadata: object }): string[] {
  return Object.keys(loaded.metadata);
}

/** Asserts a one-line ImageReadError whose message names `name` and matches `pattern`. */
async function assertRefused(promise: Promise<unknown>, name: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof ImageReadError, `expected ImageReadError, got ${err.name}: ${err.message}`);
    assert.ok(err instanceof UserError);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    assert.ok(err.message.includes(name), `names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('refuses missing, empty, non-image and truncated files with one clear line', async () => {
  const missing = path.join(dir, 'nope.png');
  await assertRefused(readImage(missing), missing, /file not found/);
  await assertRefused(readImageInfo(missing), missing, /file not found/);

  const empty = path.join(dir, 'empty.png');
  await fs.writeFile(empty, new Uint8Array(0));
  await assertRefused(readImage(empty), empty, /empty file/);

  const text = path.join(dir, 'notes.png');
  await fs.writeFile(text, 'this is not an image at all\n');
  await assertRefused(readImage(text), text, /not a recognised image/);
  await assertRefused(readImageInfo(text), text, /not a recognised image/);

  await assertRefused(readImage(dir), dir, /folder/);

  // Noise does not compress, so half the file really cuts the pixel data.
  const noise = { width: 64, height: 48, data: new Float32Array(64 * 48 * 3) };
  for (let i = 0; i < noise.data.length; i++) noise.data[i] = ((i * 2654435761) >>> 24) / 255;
  for (const format of ['png', 'jpeg'] as const) {
    const full = await encodeImage(noise, { format });
    const cut = path.join(dir, `cut.${format}`);
    await fs.writeFile(cut, full.subarray(0, full.length >> 1));
    await assertRefused(readImage(cut), cut, /truncated|corrupt/);
  }
});

test('refuses images above maxPixels from the header, before decoding pixels', async () => {
  const file = path.join(dir, 'big.png');
  await writeImage(file, pattern8(64, 48));
  await assertRefused(readImage(file, { maxPixels: 1000 }), file, /64×48 = 3072 pixels, more than the limit of 1000/);
  assert.equal((await readImage(file, { maxPixels: 3072 })).image.width, 64);

  // A PNG whose header claims 100000×100000 but holds almost no data: the default limit must
  // refuse it by size (a decode attempt would report truncation or allocate 30 GB instead).
  const png = Buffer.from(await encodeImage(pattern8(2, 2), { format: 'png' }));
  png.writeUInt32BE(100000, 16); // IHDR width
  png.writeUInt32BE(100000, 20); // IHDR height
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29); // IHDR CRC over type + data
  const huge = path.join(dir, 'huge.png');
  await fs.writeFile(huge, png);
  assert.equal((await readImageInfo(huge)).width, 100000);
  await assertRefused(readImage(huge), huge, /more than the limit of 100000000/);
});

test('in-memory input errors name the source generically', async () => {
  await assertRefused(readImage(new Uint8Array(0)), '(image data)', /empty/);
  await assertRefused(readImage(new TextEncoder().encode('hello')), '(image data)', /not a recognised image/);
});

test('imageToTensor / tensorToImage round trip with clipping', async () => {
  const tf = await initEngine({ backend: 'cpu' });
  const img = pattern8(3, 2);
  const t = imageToTensor(img);
  assert.deepEqual(t.shape, [1, 2, 3, 3]);
  img.data[0] = 0.5; // the tensor holds a copy
  const back = tensorToImage(t);
  assert.equal(back.data[0], pattern8(3, 2).data[0]);
  assert.equal(back.width, 3);
  assert.equal(back.height, 2);

  const wild = tf.tensor3d([-1, 0.25, 2, NaN, 1, 0], [1, 2, 3]);
  assert.deepEqual(Array.from(tensorToImage(wild).data), [0, 0.25, 1, 0, 1, 0]);
  assert.throws(() => tensorToImage(tf.zeros([2, 2, 2, 3])), /expected a \[1,H,W,3\]/);
  tf.dispose([t, wild]);
});
