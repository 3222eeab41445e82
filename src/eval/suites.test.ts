import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import type { RGBImage } from '../image/types.js';
import { readImage } from '../io/image-io.js';
import { centerCrop, psnr } from '../metrics/index.js';
import { sharedDataDir } from '../util/paths.js';
import { listBenchImages } from './datasets.js';
import { CROP_MULTIPLE, measure, PSNR_CAP_DB, quantise8, rngFor, seedFor } from './protocol.js';
import { datasetsOf, resolveSuites, SUITE_NAMES, type EvalDataset } from './suites.js';
import { needsData } from '../util/test-data.js';

const dataSkip = needsData('bench');

const bench = path.join(sharedDataDir(), 'bench');

function bytesOf(img: RGBImage): Buffer {
  return Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
}

test('datasets have the expected image counts and pairs', { skip: dataSkip }, async () => {
  const expected: Record<string, [number, boolean]> = {
    CBSD68: [68, false],
    Rain100H: [100, true],
    Rain100L_sample: [5, true],
    SOTS_outdoor_sample: [2, true],
    LIVE1: [29, false],
    Kodak24: [24, false],
  };
  for (const [folder, [count, paired]] of Object.entries(expected)) {
    const images = await listBenchImages(bench, folder, paired);
    assert.equal(images.length, count, folder);
    if (paired) for (const img of images) assert.equal(path.basename(img.input!).split('.')[0], path.basename(img.target).split('.')[0]);
  }
  // natural order: "the first 10" of Rain100H are 1..10 everywhere
  const rain = await listBenchImages(bench, 'Rain100H', true);
  assert.deepEqual(rain.slice(0, 10).map((r) => r.name), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
});

test('suites list their datasets; all expands; unknown names are usage errors', () => {
  const counts = Object.fromEntries(SUITE_NAMES.map((s) => [s, datasetsOf(s).length]));
  assert.deepEqual(counts, { denoise: 3, derain: 2, dehaze: 2, unseen: 3, synthetic: 8, mixed: 3, clean: 2, probe: 16 });
  assert.ok(datasetsOf('probe').every((d) => d.source === 'probe' && d.truth.length === 1), 'probe sets are single degradations from the probe family');
  assert.deepEqual(resolveSuites('all'), [...SUITE_NAMES]);
  assert.deepEqual(resolveSuites('derain, denoise,derain'), ['derain', 'denoise']);
  assert.throws(() => resolveSuites('deblur'), UsageError);
  for (const suite of SUITE_NAMES) {
    const ids = datasetsOf(suite).map((d) => d.id);
    assert.equal(new Set(ids).size, ids.length, `${suite} dataset ids are unique`);
    for (const d of datasetsOf(suite)) {
      // only the clean suite's inputs have no degradation
      assert.equal(d.truth.length === 0, suite === 'clean', d.id);
      assert.equal(d.source === 'none', suite === 'clean', d.id);
      assert.equal(Boolean(d.synthesise), d.source !== 'real', `${d.id}: real pairs are read, the rest synthesised`);
    }
  }
  assert.deepEqual(datasetsOf('mixed').map((d) => d.truth.join('+')), ['blur+noise', 'blur+jpeg', 'haze+snow']);
});

// a small crop of a real image keeps the generator tests fast
async function smallClean(folder: string, file: string): Promise<RGBImage> {
  return quantise8(centerCrop((await readImage(path.join(bench, folder, 'target', file))).image, 96, 64));
}

test('seeded degradations are reproducible byte for byte and depend on the image name', { skip: dataSkip }, async () => {
  const kodak = await smallClean('Kodak24', 'kodim03.png');
  const synthesised = SUITE_NAMES.flatMap((s) => datasetsOf(s)).filter((d): d is EvalDataset & Required<Pick<EvalDataset, 'synthesise'>> => Boolean(d.synthesise));
  assert.ok(synthesised.length >= 15);
  for (const d of synthesised) {
    const a = await d.synthesise(kodak, rngFor(d.suite, d.id, 'kodim03'));
    const b = await d.synthesise(kodak, rngFor(d.suite, d.id, 'kodim03'));
    assert.ok(bytesOf(quantise8(a.image)).equals(bytesOf(quantise8(b.image))), `${d.suite}/${d.id} reproducible`);
    assert.deepEqual(a.params, b.params);
    // every input is degraded except the clean suite's, which is the clean image byte for byte
    assert.equal(bytesOf(quantise8(a.image)).equals(bytesOf(kodak)), d.source === 'none', `${d.suite}/${d.id} degrades (or, clean, does not)`);
  }
  assert.equal(seedFor('denoise', 'CBSD68-sigma25', '3096'), 'denoise:CBSD68-sigma25:3096');
  const noisy = datasetsOf('denoise')[1]!;
  const other = await noisy.synthesise!(kodak, rngFor('denoise', noisy.id, 'kodim04'));
  const same = await noisy.synthesise!(kodak, rngFor('denoise', noisy.id, 'kodim03'));
  assert.ok(!bytesOf(other.image).equals(bytesOf(same.image)), 'another image name draws other noise');
});

test('JPEG Q20 input is a real round trip: same size, 8-bit values, different from the clean image', { skip: dataSkip }, async () => {
  const clean = await smallClean('LIVE1', 'bikes.png');
  const live1 = datasetsOf('unseen').find((d) => d.id === 'LIVE1-jpeg-q20')!;
  const { image } = await live1.synthesise!(clean, rngFor('unseen', live1.id, 'bikes'));
  assert.equal(image.width, clean.width);
  assert.equal(image.height, clean.height);
  assert.ok(image.data.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), 'decoded bytes');
  const p = psnr(image, clean);
  assert.ok(p > 18 && p < 35, `JPEG Q20 PSNR ${p}`);
  // 4-bit: exactly the top four bits of every 8-bit value
  const fourBit = datasetsOf('unseen').find((d) => d.id === 'Kodak24-4bit')!;
  const reduced = (await fourBit.synthesise!(clean, rngFor('unseen', fourBit.id, 'x'))).image;
  for (let i = 0; i < clean.data.length; i += 97) assert.equal(Math.round(reduced.data[i]! * 255), Math.round(clean.data[i]! * 255) & 0xf0);
});

test('measure crops both images to a multiple of 16 about the centre', () => {
  const width = 37;
  const height = 29; // → 32×16, offsets (2, 6)
  const target = { width, height, data: new Float32Array(width * height * 3).map((_, i) => ((i * 7) % 256) / 255) };
  const image = { width, height, data: new Float32Array(target.data) };
  // change only pixels the crop removes: the scores must be those of identical images
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const inside = x >= 2 && x < 34 && y >= 6 && y < 22;
    if (!inside) image.data[(y * width + x) * 3] = 1 - image.data[(y * width + x) * 3]!;
  }
  assert.equal(CROP_MULTIPLE, 16);
  const same = measure(image, target, 'rgb');
  assert.equal(same.psnr, PSNR_CAP_DB);
  assert.equal(same.ssim, 1);
  // one changed pixel inside the crop is seen
  image.data[(10 * width + 10) * 3 + 1] = 0;
  target.data[(10 * width + 10) * 3 + 1] = 1;
  const changed = measure(image, target, 'rgb');
  assert.ok(changed.psnr < 40);
  assert.equal(changed.psnr, psnr(centerCrop(image, 32, 16), centerCrop(target, 32, 16)));
});

test('quantise8 rounds to 8-bit codes and clips', () => {
  const q = quantise8({ width: 1, height: 2, data: Float32Array.from([0.5, -0.2, 1.3, 0.1234, Number.NaN, 0.998]) });
  assert.deepEqual(Array.from(q.data).map((v) => Math.round(v * 255)), [128, 0, 255, 31, 0, 254]);
  assert.ok(q.data.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-5));
});
