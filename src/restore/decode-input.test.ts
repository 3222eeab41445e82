import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { initEngine } from '../tfjs/backend.js';
import { ImageReadError } from '../io/image-read.js';
import { UsageError, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { checkRestoreInput, decodeRestoreInput } from './decode-input.js';
import { createFakeRunner } from './fake-runner.js';
import { createRestorer } from './restorer.js';

await initEngine({ backend: 'wasm' });

const dir = await mkdtemp(path.join(tmpdir(), 'abair-inputs-'));
const W = 21, H = 13;
const rng = new Rng(7);
const rgb = Uint8Array.from({ length: W * H * 3 }, () => rng.int(256));
const png = await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
const file = path.join(dir, 'photo.png');
await writeFile(file, png);

// A local server only (no external network): /photo.png, /missing (404), /big (claims 2 GB), /slow (never answers)
const server: Server = createServer((req, res) => {
  if (req.url === '/photo.png') {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
    res.end(png);
  } else if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(2 * 1024 ** 3) });
    res.write(png.subarray(0, 100));
  } else if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'image/png' }); // no length: the cap applies while streaming
    res.write(Buffer.alloc(4096));
    res.end(Buffer.alloc(4096));
  } else if (req.url === '/slow') {
    res.writeHead(200);
  } else {
    res.writeHead(404, 'Not Found');
    res.end();
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
after(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

function assertSamePixels(image: { width: number; height: number; data: Float32Array }): void {
  assert.equal(image.width, W);
  assert.equal(image.height, H);
  for (let i = 0; i < rgb.length; i++) assert.equal(image.data[i], Math.fround(rgb[i]! / 255));
}

test('every input kind decodes to the same pixels: path, file URL, Buffer, Uint8Array, ArrayBuffer, Blob, File, raw, ImageData-like, http URL', async () => {
  const arrayBuffer = png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength);
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let p = 0; p < W * H; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  const inputs: [string, unknown][] = [
    ['path', file],
    ['file URL string', pathToFileURL(file).href],
    ['file URL object', pathToFileURL(file)],
    ['Buffer', png],
    ['Uint8Array', new Uint8Array(png)],
    ['ArrayBuffer', arrayBuffer],
    ['DataView', new DataView(arrayBuffer)],
    ['Blob', new Blob([png], { type: 'image/png' })],
    ['File', new File([png], 'picked.png', { type: 'image/png' })],
    ['raw RGB', { data: rgb, width: W, height: H, channels: 3 }],
    ['ImageData-like (no channels, Uint8ClampedArray)', { data: rgba, width: W, height: H }],
    ['http URL string', `${base}/photo.png`],
    ['http URL object', new URL(`${base}/photo.png`)],
  ];
  for (const [kind, input] of inputs) {
    const decoded = await decodeRestoreInput(input);
    assertSamePixels(decoded.image);
    assert.deepEqual(decoded.notes, [], kind);
  }
  assert.equal((await decodeRestoreInput(new File([png], 'picked.png'))).name, 'picked.png');
  assert.equal((await decodeRestoreInput(`${base}/photo.png`)).name, `${base}/photo.png`);
  // and through the library, with a fake model runner
  const restorer = createRestorer({ runner: createFakeRunner() });
  for (const input of [arrayBuffer, new Blob([png]), new URL(`${base}/photo.png`)]) {
    const result = await restorer.restore(input);
    assert.equal(result.image.width, W);
    assert.equal(result.inputInfo?.format, 'png');
  }
  restorer.dispose();
});

test('bad arguments are UsageErrors saying what is accepted, before any model is loaded', async () => {
  let loads = 0;
  const runner = createFakeRunner();
  const restorer = createRestorer({ runner });
  const originalLoad = restorer.load;
  restorer.load = () => {
    loads++;
    return originalLoad();
  };
  for (const bad of [null, undefined, 42, true, '', '   ', [], {}, { width: -1 }, { width: 4, height: 4 }, { data: 'abc', width: 1, height: 1 }, { data: new Uint8Array(5), width: 2, height: 1 }, () => 1]) {
    await assert.rejects(
      createRestorer({ runner }).restore(bad as never),
      (err: Error) => err instanceof UsageError && !err.message.includes('\n') && !/TypeError|Cannot read|undefined is not/.test(err.message),
      `input ${String(bad)}`,
    );
  }
  await assert.rejects(restorer.restore(file, 'sw' as never), (err: Error) => err instanceof UsageError && /options must be an object/.test(err.message));
  await assert.rejects(restorer.restore(file, { signal: 'stop' as never }), /signal must be an AbortSignal/);
  await assert.rejects(restorer.restore(file, { maxPixels: -3 }), /maxPixels must be a positive number/);
  assert.equal(loads, 0);
  assert.equal(runner.tilesRestored, 0);
  assert.throws(() => checkRestoreInput({ width: -1 }), /width and height must be positive integers, got -1×undefined/);
});

test('the pixel limit holds for every kind: raw pixels are refused before anything is allocated', async () => {
  const started = performance.now();
  // 12 000 × 12 000 = 144 MP claimed with no data at all: the size alone is refused
  await assert.rejects(decodeRestoreInput({ data: new Uint8Array(0), width: 12_000, height: 12_000, channels: 3 }), (err: Error) => err instanceof ImageReadError && /144000000 pixels, more than the limit of 100000000/.test(err.message));
  assert.ok(performance.now() - started < 1000);
  await assert.rejects(decodeRestoreInput({ data: rgb, width: W, height: H, channels: 3 }, { maxPixels: 100 }), /more than the limit of 100/);
  for (const input of [file, png, new Blob([png]), `${base}/photo.png`]) {
    await assert.rejects(decodeRestoreInput(input, { maxPixels: 100 }), (err: Error) => err instanceof ImageReadError && /21×13 = 273 pixels, more than the limit of 100/.test(err.message));
  }
});

test('URL and Blob failures are one line naming the input', async () => {
  await assert.rejects(decodeRestoreInput(`${base}/missing`), (err: Error) => err instanceof UserError && err.message === `${base}/missing: HTTP 404 Not Found`);
  await assert.rejects(decodeRestoreInput(`${base}/big`), /\/big: 2147483648 bytes is more than the limit of 536870912 bytes/);
  await assert.rejects(decodeRestoreInput(`${base}/stream`, { maxBytes: 5000 }), /\/stream: 8192 bytes is more than the limit of 5000/);
  await assert.rejects(decodeRestoreInput(new Blob([png]), { maxBytes: 10 }), /\(Blob\): \d+ bytes is more than the limit of 10/);
  // a port nobody listens on
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(decodeRestoreInput(`http://127.0.0.1:${port}/x.png`), (err: Error) => err instanceof UserError && /cannot download \(ECONNREFUSED\)/.test(err.message));
  await assert.rejects(decodeRestoreInput(new URL('ftp://127.0.0.1/x.png')), /only http\(s\) and file URLs/);
  await assert.rejects(decodeRestoreInput(new Blob([Buffer.from('not an image')])), (err: Error) => err instanceof UserError && /^\(Blob\): not a recognised image/.test(err.message));
  await assert.rejects(decodeRestoreInput(new ArrayBuffer(0)), /\(image data\): empty file/);
  // an abort stops a download that does not come
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(decodeRestoreInput(`${base}/slow`, { signal: controller.signal }), { name: 'AbortError' });
});

test('multi-frame inputs say that only the first frame is restored; 16-bit inputs report their depth', async () => {
  const frame = (colour: string) => sharp({ create: { width: 8, height: 6, channels: 3, background: colour } }).png().toBuffer();
  const frames = [await frame('red'), await frame('blue'), await frame('green')];
  for (const format of ['gif', 'webp', 'tiff'] as const) {
    const animated = await sharp(frames, { join: { animated: true } }).toFormat(format).toBuffer();
    const decoded = await decodeRestoreInput(animated);
    assert.equal(decoded.image.height, 6, format);
    assert.deepEqual(decoded.notes, [`(image data) has 3 ${format === 'tiff' ? 'pages' : 'frames'}; only the first is restored`], format);
  }
  const wide = await sharp(Buffer.from(new Uint16Array(W * H * 3).fill(40000).buffer), { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  assert.equal((await decodeRestoreInput(wide)).info?.bitDepth, 16);
});

test('HEIC (HEVC in HEIF) gets its own message instead of a decoder error', async () => {
  // An ftyp box as iPhones write it, followed by a meta box that is not valid: what matters is the
  // brand; this build of sharp has no HEVC decoder either way.
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.from([0, 0, 0, 0]), Buffer.from('mif1heic')]);
  const heic = Buffer.concat([ftyp, Buffer.from([0, 0, 0, 40]), Buffer.from('meta'), Buffer.alloc(64, 7)]);
  await assert.rejects(decodeRestoreInput(heic), (err: Error) => err instanceof ImageReadError && err.message === '(image data): HEIC/HEVC is not supported by this build (convert it to JPEG or PNG first)');
  const heicFile = path.join(dir, 'IMG_0001.HEIC');
  await writeFile(heicFile, heic);
  await assert.rejects(decodeRestoreInput(heicFile), (err: Error) => err.message.startsWith(`${heicFile}: HEIC/HEVC is not supported by this build`));
});
