import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImage } from '../io/image-io.js';
import { UsageError, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { createRestorer } from './restorer.js';
import { createFakeRunner, fakeRestore } from './fake-runner.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The fake runner applied to the whole image at once (no tiling), clipped as the pipeline clips. */
function wholeImageReference(data: Float32Array, width: number, height: number, strength: number): Float32Array {
  return fakeRestore(data, width, height, strength).map((v) => Math.min(1, Math.max(0, v)));
}

test('raw RGBA: tiled result equals the whole-image result, alpha carried through untouched', async () => {
  const width = 70, height = 45;
  const rgba = randomBytes(width * height * 4, 1);
  const engine = createFakeRunner();
  const restorer = createRestorer({ runner: engine });
  const progress: number[] = [];
  const result = await restorer.restore({ data: rgba, width, height, channels: 4 }, { tileSize: 24, overlap: 8, onProgress: (d) => progress.push(d) });
  assert.equal(result.image.width, width);
  assert.equal(result.image.height, height);
  assert.ok(result.alpha);
  for (let p = 0; p < width * height; p++) assert.equal(result.alpha[p], Math.fround(rgba[p * 4 + 3]! / 255));
  // SW default: weights are the softmax of the logits (odds p/(1−p) normalised); the fake's strength is their sum = 1
  const w = result.weights;
  const odds = (q: number) => Math.fround(q) / (1 - Math.fround(q));
  const rain = odds(0.8) / (odds(0.8) + odds(0.4) + odds(0.1));
  assert.ok(Math.abs(w.rain! - rain) < 1e-6 && Math.abs(w.rain! + w.haze! + w.noise! - 1) < 1e-6, JSON.stringify(w));
  assert.equal(result.probabilities.rain, Math.fround(0.8));
  const reference = wholeImageReference(result.input.data, width, height, 1);
  assert.ok(maxAbsDiff(result.image.data, reference) < 1e-5);
  assert.equal(progress.length, engine.tilesRestored);
  assert.ok(engine.tilesRestored > 4); // it really was tiled
  restorer.dispose();
  assert.equal(engine.disposed, false); // an injected runner stays the caller's
});

test('encoded PNG with odd size and a grayscale PNG; toBuffer round-trips with alpha', async () => {
  const restorer = createRestorer({ runner: createFakeRunner() });
  const png = await sharp(Buffer.from(randomBytes(37 * 23 * 4, 2)), { raw: { width: 37, height: 23, channels: 4 } }).png().toBuffer();
  const result = await restorer.restore(png, { tileSize: 16, overlap: 4 });
  assert.deepEqual([result.image.width, result.image.height], [37, 23]);
  const reference = wholeImageReference(result.input.data, 37, 23, 1);
  assert.ok(maxAbsDiff(result.image.data, reference) < 1e-5);
  const back = await readImage(await result.toBuffer('png'));
  assert.ok(back.alpha && maxAbsDiff(back.alpha, result.alpha!) < 1e-6);
  assert.ok(maxAbsDiff(back.image.data, result.image.data) <= 0.5 / 255 + 1e-6);

  const gray = await sharp(Buffer.from(randomBytes(19 * 11, 3)), { raw: { width: 19, height: 11, channels: 1 } }).png().toBuffer();
  const g = await restorer.restore(gray);
  assert.equal(g.alpha, null);
  for (let p = 0; p < 19 * 11; p++) {
    assert.ok(Math.abs(g.image.data[p * 3]! - g.image.data[p * 3 + 1]!) < 1e-6 && Math.abs(g.image.data[p * 3]! - g.image.data[p * 3 + 2]!) < 1e-6);
  }
});

test('modes reach runner.prepare; unknown adapters are usage errors listing the classes', async () => {
  const engine = createFakeRunner({ strengths: [1, 0, 0.5] });
  const restorer = createRestorer({ runner: engine });
  const raw = { data: randomBytes(8 * 8 * 3, 4), width: 8, height: 8, channels: 3 as const };
  assert.deepEqual((await restorer.restore(raw, { mode: 'oh' })).weights, { rain: 1, haze: 0, noise: 0 });
  assert.deepEqual((await restorer.restore(raw, { mode: 'adapter:haze' })).weights, { rain: 0, haze: 1, noise: 0 });
  const explicit = await restorer.restore(raw, { mode: 'weights:rain=0.25,noise=0.5' });
  assert.deepEqual(explicit.weights, { rain: 0.25, haze: 0, noise: 0.5 });
  // strength 0.25·1 + 0.5·0.5 = 0.5
  assert.ok(maxAbsDiff(explicit.image.data, wholeImageReference(explicit.input.data, 8, 8, 0.5)) < 1e-5);
  // adapter:haze has strength 0: identity
  const identity = await restorer.restore(raw, { mode: 'adapter:haze' });
  assert.ok(maxAbsDiff(identity.image.data, identity.input.data) < 1e-6);
  await assert.rejects(restorer.restore(raw, { mode: 'adapter:snow' }), (err: Error) => err instanceof UsageError && /rain, haze, noise/.test(err.message));
  await assert.rejects(restorer.restore(raw, { mode: 'fast' }), UsageError);
});

test("an estimator's p(clean) keeps that share of the input in sw, is reported, and keep-clean off ignores it", async () => {
  // the fake estimate has one value more than classes: p(clean) = 0.75 last
  const engine = { ...createFakeRunner({ probabilities: [0.8, 0.4, 0.1, 0.75] }), keepClean: true, hasCleanOutput: true };
  const restorer = createRestorer({ runner: engine });
  const raw = { data: randomBytes(8 * 8 * 3, 6), width: 8, height: 8, channels: 3 as const };
  const kept = await restorer.restore(raw, { mode: 'sw' });
  assert.equal(kept.cleanShare, Math.fround(0.75));
  assert.equal(kept.probabilities['clean'], Math.fround(0.75));
  assert.deepEqual(Object.keys(kept.weights), ['rain', 'haze', 'noise'], 'clean has no adapter weight');
  const full = await restorer.restore(raw, { mode: 'sw', keepClean: false });
  assert.equal(full.cleanShare, 0);
  // output = p·input + (1 − p)·restored
  for (let i = 0; i < kept.image.data.length; i++) {
    const expected = 0.75 * kept.input.data[i]! + 0.25 * full.image.data[i]!;
    assert.ok(Math.abs(kept.image.data[i]! - expected) < 1e-6, `pixel value ${i}`);
  }
  assert.ok(maxAbsDiff(full.image.data, full.input.data) > 0.01, 'the restoration changes the image (else the blend tests nothing)');
});

test('map computes a colour map, in the same tile pass, when the runner can map', async () => {
  const restorer = createRestorer({ runner: createFakeRunner() });
  const calls: Array<[number, number]> = [];
  const raw = { data: randomBytes(30 * 20 * 3, 5), width: 30, height: 20, channels: 3 as const };
  const result = await restorer.restore(raw, { map: true, tileSize: 16, overlap: 4, onProgress: (d, n) => calls.push([d, n]) });
  assert.ok(result.map);
  assert.equal(result.map.data.length, 30 * 20 * 3);
  assert.deepEqual(calls.at(-1), [6, 6]); // 3×2 tiles, each giving pixels and map
  // the pixels are those of a restore without the map
  assert.deepEqual(result.image.data, (await restorer.restore(raw, { tileSize: 16, overlap: 4 })).image.data);
  // every map pixel is a mix of the palette (fake logits are pointwise, so no seams either)
  assert.ok(result.map.data.every((v) => v >= 0 && v <= 1));
  const noSeg = createRestorer({ runner: createFakeRunner({ segment: false }) });
  assert.equal((await noSeg.restore({ data: randomBytes(12, 6), width: 2, height: 2, channels: 3 }, { map: true })).map, null);
});

test('abort via signal rejects with AbortError', async () => {
  const restorer = createRestorer({ runner: createFakeRunner() });
  const controller = new AbortController();
  await assert.rejects(
    restorer.restore({ data: randomBytes(64 * 64 * 3, 7), width: 64, height: 64, channels: 3 }, {
      tileSize: 16, overlap: 4, signal: controller.signal, onProgress: (d) => d === 3 && controller.abort(),
    }),
    (err: Error) => err.name === 'AbortError',
  );
  // the restorer is still usable afterwards
  await restorer.restore({ data: randomBytes(12, 8), width: 2, height: 2, channels: 3 });
});

test('without a runner and no model in the default folder: a clear error, not random weights', async () => {
  const empty = await mkdtemp(path.join(tmpdir(), 'abair-no-model-'));
  const saved = process.env['ABAIR_WEIGHTS'];
  process.env['ABAIR_WEIGHTS'] = empty;
  try {
    const restorer = createRestorer();
    await assert.rejects(restorer.restore({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }),
      (err: Error) => err instanceof UserError && /ABAIR_WEIGHTS=.*: no model there/.test(err.message));
    await assert.rejects(createRestorer({ weights: 'x.abair' }).load(), UserError);
  } finally {
    if (saved === undefined) delete process.env['ABAIR_WEIGHTS'];
    else process.env['ABAIR_WEIGHTS'] = saved;
    await rm(empty, { recursive: true, force: true });
  }
});

test('bad raw input is refused', async () => {
  const restorer = createRestorer({ runner: createFakeRunner() });
  await assert.rejects(restorer.restore({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }), /expected 2×2×3/);
});

test('the library runs the shipped model on ONNX Runtime; runtime wasm gives the same result as the default', async () => {
  const byDefault = createRestorer();
  const runner = (await byDefault.load()) as { ortPackage?: string };
  assert.ok(runner.ortPackage === 'onnxruntime-node' || runner.ortPackage === 'onnxruntime-web', String(runner.ortPackage));
  const small = { data: randomBytes(64 * 48 * 3, 3), width: 64, height: 48, channels: 3 as const };
  const a = await byDefault.restore(small, { mode: 'adapter:noise' });
  byDefault.dispose();
  const wasm = createRestorer({ runtime: 'wasm' });
  assert.equal(((await wasm.load()) as { ortPackage?: string }).ortPackage, 'onnxruntime-web');
  const b = await wasm.restore(small, { mode: 'adapter:noise' });
  wasm.dispose();
  let maxDiff = 0;
  for (let i = 0; i < a.image.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.image.data[i]! - b.image.data[i]!));
  assert.ok(maxDiff <= 1e-4, `onnxruntime-node and -web outputs differ by ${maxDiff}`);
  assert.ok(maxAbsDiff(a.image.data, a.input.data) > 1e-3, 'the model changes the image (else the comparison tests nothing)');
});

test('an abort is honoured in the middle of a tile', async () => {
  const engine = createFakeRunner({ tileDelayMs: 5000 });
  const restorer = createRestorer({ runner: engine });
  const controller = new AbortController();
  const started = performance.now();
  const run = restorer.restore({ data: randomBytes(40 * 30 * 3, 9), width: 40, height: 30, channels: 3 }, { tileSize: 32, overlap: 4, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(run, { name: 'AbortError' });
  const took = performance.now() - started;
  assert.ok(took < 1000, `abort took ${took.toFixed(0)} ms; one tile takes 5000`);
  assert.equal(engine.tilesRestored, 0);
  restorer.dispose();
});

test('a slow runner (tiles after a timer) gives the same result as a quick one', async () => {
  const raw = { data: randomBytes(40 * 30 * 3, 10), width: 40, height: 30, channels: 3 as const };
  const a = await createRestorer({ runner: createFakeRunner({ tileDelayMs: 0 }) }).restore(raw, { tileSize: 16, overlap: 4 });
  const b = await createRestorer({ runner: createFakeRunner() }).restore(raw, { tileSize: 16, overlap: 4 });
  assert.deepEqual(a.image.data, b.image.data);
});

test('non-finite model outputs are a UserError naming the pixel, not a black image', async () => {
  const restorer = createRestorer({ runner: createFakeRunner({ fill: Number.NaN }) });
  await assert.rejects(restorer.restore({ data: randomBytes(40 * 30 * 3, 11), width: 40, height: 30, channels: 3 }, { tileSize: 16, overlap: 4 }),
    (err: Error) => err instanceof UserError && /non-finite values \(NaN\/Inf; first at pixel 0,0\)/.test(err.message));
  const badEstimate = createRestorer({ runner: createFakeRunner({ probabilities: [0.5, Number.NaN, 0.1] }) });
  await assert.rejects(badEstimate.restore({ data: randomBytes(12, 12), width: 2, height: 2, channels: 3 }), /non-finite probabilities/);
});
