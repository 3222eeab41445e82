/**
 * add-degradation with the user's own types, at test scale (tiny preset, 64² synthetic photos):
 * a vignette from a 10-line generator module, then a colour cast learnt from a handful of pairs.
 * Each must restore its own held-out samples better than their input, the estimator must pick
 * it on them, and every earlier adapter's (oracle) output must stay byte-identical.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { initEngine } from '../../tfjs/backend.js';
import { loadGenerator } from '../../degrade/custom.js';
import { psnr } from '../../metrics/index.js';
import { readCustomDegradations } from '../../model/custom-degradations.js';
import { formatSummary, summarizeWeights } from '../../model/summary.js';
import { loadEstimator } from '../../model/weights.js';
import { createRestorer, type Restorer } from '../../restore/restorer.js';
import type { RGBImage } from '../../image/types.js';
import { Rng } from '../../util/rng.js';
import { runEvaluation } from '../../eval/runner.js';
import { exportWebModel } from '../../onnx/export-web.js';
import { PAIR_HOLDOUT } from '../class-sources.js';
import { openPairFolders, splitPairs } from '../data/index.js';
import { decodeUint8, toFloatImage } from '../data/raw-image.js';
import { writeTestImages } from '../test-images.js';
import { addDegradation, type AddDegradationOptions } from './add-degradation.js';
import { trainAdapter } from './adapter.js';
import type { CommonTrainOptions } from './common.js';
import { trainEstimator } from './estimator.js';
import { trainPretrain } from './pretrain.js';

function common(out: string, steps: number, overrides: Partial<CommonTrainOptions> = {}): CommonTrainOptions {
  return { steps, batch: 4, patch: 32, lr: 5e-3, warmup: 1, threads: 1, out, resume: false, checkpointEvery: 100, valEvery: steps, valCount: 4, seed: 5, progress: 'silent', say: () => undefined, handleSignals: false, ...overrides };
}

/** The toy generator module: a vignette, ten lines. */
const VIGNETTE = `export default {
  name: 'vignette',
  severity: [0.5, 1],
  apply({ width, height, data }, rng, severity) {
    const cx = width * rng.uniform(0.4, 0.6), cy = height * rng.uniform(0.4, 0.6), r2 = (width * width + height * height) / 4;
    const out = new Float32Array(data.length);
    for (let i = 0; i < width * height; i++) {
      const dx = (i % width) - cx, dy = Math.floor(i / width) - cy, gain = 1 - 0.8 * severity * Math.min(1, (dx * dx + dy * dy) / r2);
      for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * 3 + c] * gain;
    }
    return { width, height, data: out };
  },
};
`;

/** The pairs' degradation (a colour cast), known only to this test: abair learns it from the pairs. */
function tint(img: RGBImage, strength: number): RGBImage {
  const gains = [1 - 0.1 * strength, 1 - 0.35 * strength, 1 - 0.6 * strength];
  const data = img.data.map((v, i) => v * gains[i % 3]! + 0.08 * strength);
  return { width: img.width, height: img.height, data: data.map((v) => Math.min(1, v)) };
}

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const toPixels = (img: RGBImage) => ({ data: Uint8Array.from(img.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)), width: img.width, height: img.height, channels: 3 as const });
const q8 = (img: RGBImage): RGBImage => ({ ...img, data: Float32Array.from(img.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255) });

async function readFloat(file: string): Promise<RGBImage> {
  return toFloatImage(await decodeUint8(file));
}

/** Mean input and output PSNR of `mode` on the samples, and how often the estimator's top-1 is `name`. */
async function scoreOn(restorer: Restorer, samples: { input: RGBImage; target: RGBImage }[], name: string) {
  let inputDb = 0;
  let outputDb = 0;
  let picked = 0;
  for (const s of samples) {
    const restored = await restorer.restore(toPixels(s.input), { mode: `adapter:${name}` });
    inputDb += psnr(q8(s.input), s.target) / samples.length;
    outputDb += psnr(q8(restored.image), s.target) / samples.length;
    const sw = await restorer.restore(toPixels(s.input), { mode: 'sw' });
    const top = Object.entries(sw.probabilities).sort((a, b) => b[1] - a[1])[0]![0];
    if (top === name) picked++;
  }
  return { inputDb, outputDb, picked };
}

/** The oracle (adapter:<name>) output bytes of each earlier adapter on a fixed degraded image. */
async function oracleBytes(model: string, names: string[], probe: RGBImage): Promise<string[]> {
  const restorer = createRestorer({ weights: model });
  try {
    const out: string[] = [];
    for (const name of names) out.push(createHash('sha256').update((await restorer.restore(toPixels(probe), { mode: `adapter:${name}` })).image.data).digest('hex'));
    return out;
  } finally {
    restorer.dispose();
  }
}

test('add-degradation: a generator type and a pairs type, each learnt, picked, and earlier oracle outputs unchanged', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-add-custom-'));
  try {
    await initEngine({ backend: 'wasm' });
    const images = [await writeTestImages(path.join(root, 'images'), 12)];
    const model = path.join(root, 'model');
    await trainPretrain({ ...common(model, 12), images, preset: 'tiny', segWeight: 0.1, loss: 'l1' });
    for (const name of ['noise', 'haze']) {
      await trainAdapter({ ...common(path.join(root, `run-${name}`), 10, { lr: 1e-2 }), name, backbone: model, synthetic: name, images, rank: 4, loss: 'l1', into: model });
    }
    await trainEstimator({ ...common(path.join(root, 'run-est'), 12, { batch: 8, valCount: 8 }), model, images, mixedFraction: 0.3 });
    const probe = toFloatImage(await decodeUint8(path.join(images[0]!, "img0.png")));
    const oracleBefore = await oracleBytes(model, ['noise', 'haze'], probe);
    const keep = (await readdir(model)).filter((f) => f !== 'estimator.safetensors' && f !== 'estimator.json');
    const keptBefore = await Promise.all(keep.map((f) => sha(path.join(model, f))));

    // ---- 1. a vignette from a generator module
    const generator = path.join(root, 'vignette.mjs');
    await writeFile(generator, VIGNETTE);
    const steps = (n: number, more: Partial<CommonTrainOptions> = {}) => common('', n, { lr: 1e-2, valEvery: n, ...more });
    const vignette: AddDegradationOptions = {
      name: 'vignette', model, runs: path.join(root, 'add-vignette'), resume: false, generator,
      adapter: { ...steps(40), images, loss: 'l1' },
      estimator: { ...steps(60, { batch: 8, valCount: 8, lr: 5e-3 }), images, mixedFraction: 0.2 },
    };
    const added = await addDegradation(vignette);
    assert.deepEqual(added.outputs, [path.join(model, 'lora-vignette.safetensors'), path.join(model, 'estimator.safetensors')]);
    assert.deepEqual((await loadEstimator(model)).config.classes, ['haze', 'noise', 'vignette']);
    // the generator travels with the model, and its provenance is recorded and listed
    assert.equal(await sha(path.join(model, 'degradation-vignette.mjs')), await sha(generator));
    const record = await readCustomDegradations(model);
    const entry = record.types.vignette!;
    assert.equal(entry.generator!.sha256_16, (await loadGenerator(generator, 'vignette')).digest);
    assert.equal(entry.adapter.steps, 40);
    assert.equal(entry.estimator.steps, 60);
    assert.ok(entry.cpuHours > 0 && entry.wallSec > 0 && entry.cpuSec! > 0);
    assert.match(formatSummary(await summarizeWeights(model)), /added degradation types[^]*vignette: generator degradation-vignette\.mjs/);
    // no staging or replaced folders left beside the model
    assert.deepEqual((await readdir(root)).filter((n) => n.startsWith('.model.')), []);

    // the backbone and earlier adapters are untouched, and so are their oracle outputs
    assert.deepEqual(await Promise.all(keep.map((f) => sha(path.join(model, f)))), keptBefore);
    assert.deepEqual(await oracleBytes(model, ['noise', 'haze'], probe), oracleBefore);

    // held-out samples: photos training never saw, vignetted by the same module
    const fresh = await writeTestImages(path.join(root, 'fresh'), 6, 64, 'held-out');
    const { degradation } = await loadGenerator(generator, 'vignette');
    const vignetteSamples = [];
    for (let i = 0; i < 6; i++) {
      const target = q8(await readFloat(path.join(fresh, `img${i}.png`)));
      const rng = new Rng(`held-out:vignette:${i}`);
      vignetteSamples.push({ input: q8(await degradation.apply(target, degradation.sample(rng, 0.8), rng)), target });
    }
    let restorer = createRestorer({ weights: model });
    const v = await scoreOn(restorer, vignetteSamples, 'vignette');
    restorer.dispose();
    t.diagnostic(`vignette (generator): held-out ${v.inputDb.toFixed(2)} → ${v.outputDb.toFixed(2)} dB, picked ${v.picked}/6`);
    assert.ok(v.outputDb > v.inputDb + 0.3, `vignette adapter on held-out samples: input ${v.inputDb.toFixed(2)} dB → ${v.outputDb.toFixed(2)} dB`);
    assert.ok(v.picked >= 5, `the estimator picked vignette on ${v.picked}/6 held-out samples`);

    // ---- 2. a colour cast from a handful of real pairs (the model now has vignette too)
    const pairsDir = path.join(root, 'tint-pairs');
    const source = await writeTestImages(path.join(root, 'tint-clean'), 10, 64, 'pairs');
    await mkdir(path.join(pairsDir, 'input'), { recursive: true });
    await mkdir(path.join(pairsDir, 'target'), { recursive: true });
    for (let i = 0; i < 10; i++) {
      const clean = await readFloat(path.join(source, `img${i}.png`));
      const write = (img: RGBImage, dir: string) => sharp(Buffer.from(toPixels(img).data), { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(path.join(pairsDir, dir, `p${i}.png`));
      await write(clean, 'target');
      await write(tint(clean, 0.6 + 0.04 * i), 'input');
    }
    const tintRun: AddDegradationOptions = {
      name: 'tint', model, runs: path.join(root, 'add-tint'), resume: false, pairs: pairsDir,
      adapter: { ...steps(40, { stopAfter: 5 }), images, loss: 'l1' },
      estimator: { ...steps(60, { batch: 8, valCount: 8, lr: 5e-3 }), images, mixedFraction: 0.2 },
    };
    const modelBefore = await Promise.all((await readdir(model)).map((f) => sha(path.join(model, f))));
    // interrupted in Phase II: the model is untouched, a plain re-run is refused, --resume finishes it
    const stopped = await addDegradation(tintRun);
    assert.equal(stopped.adapter!.interrupted, true);
    assert.deepEqual(await Promise.all((await readdir(model)).map((f) => sha(path.join(model, f)))), modelBefore);
    const { stopAfter: _, ...adapterSteps } = tintRun.adapter;
    const resumed = { ...tintRun, adapter: adapterSteps };
    await assert.rejects(addDegradation(resumed), /holds an earlier run adding 'tint'; add --resume/);
    await addDegradation({ ...resumed, resume: true });
    assert.deepEqual((await loadEstimator(model)).config.classes, ['haze', 'noise', 'vignette', 'tint']);
    assert.equal((await readCustomDegradations(model)).types.tint!.pairs!.count, 10);
    // done: --resume has nothing left to do; without it (or --force) the name is taken
    assert.equal((await addDegradation({ ...resumed, resume: true })).published, path.resolve(model));
    await assert.rejects(addDegradation({ ...resumed, runs: path.join(root, 'again') }), /already has 'tint'.*--force/);
    assert.deepEqual(await oracleBytes(model, ['noise', 'haze'], probe), oracleBefore);

    // its held-out pairs (the ones training left out) are restored better, and recognised
    const all = await openPairFolders(path.join(pairsDir, 'input'), path.join(pairsDir, 'target'));
    const { holdout } = splitPairs(all, PAIR_HOLDOUT);
    assert.ok(holdout.size >= 1);
    const tintSamples = [];
    for (let i = 0; i < holdout.size; i++) tintSamples.push(await holdout.get(i));
    restorer = createRestorer({ weights: model });
    const c = await scoreOn(restorer, tintSamples, 'tint');
    restorer.dispose();
    t.diagnostic(`tint (pairs): held-out ${c.inputDb.toFixed(2)} → ${c.outputDb.toFixed(2)} dB, picked ${c.picked}/${holdout.size}`);
    assert.ok(c.outputDb > c.inputDb + 0.3, `tint adapter on held-out pairs: input ${c.inputDb.toFixed(2)} dB → ${c.outputDb.toFixed(2)} dB`);
    assert.equal(c.picked, holdout.size, `the estimator picked tint on ${c.picked}/${holdout.size} held-out pairs`);

    // eval --suite custom on the held-out pairs: the oracle is the new adapter
    const heldOutDir = path.join(root, 'tint-held-out');
    await mkdir(path.join(heldOutDir, 'input'), { recursive: true });
    await mkdir(path.join(heldOutDir, 'target'), { recursive: true });
    for (const n of holdout.names) {
      for (const side of ['input', 'target']) await writeFile(path.join(heldOutDir, side, `${n}.png`), await readFile(path.join(pairsDir, side, `${n}.png`)));
    }
    restorer = createRestorer({ weights: model });
    const report = await runEvaluation({ suites: ['custom'], dataRoot: root, mode: 'oracle', restorer, model: { kind: 'injected', label: 'test' }, customPairs: { dir: heldOutDir, truth: ['tint'] } });
    restorer.dispose();
    const dataset = report.suites[0]!.datasets[0]!;
    assert.equal(dataset.images, holdout.size);
    assert.equal(dataset.perImage[0]!.restoreMode, 'adapter:tint');
    assert.ok(dataset.mean!.output.psnr > dataset.mean!.input.psnr, `eval custom: ${dataset.mean!.input.psnr} → ${dataset.mean!.output.psnr}`);
    assert.equal(existsSync(path.join(model, 'degradation-tint.mjs')), false);

    // the browser export takes both new types as they are
    const web = await exportWebModel(model, path.join(root, 'web'));
    assert.deepEqual(web.manifest.classes, ['haze', 'noise', 'vignette', 'tint']);
    assert.deepEqual(web.manifest.adapters.map((a) => a.name).sort(), ['haze', 'noise', 'tint', 'vignette']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
