import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../tfjs/backend.js';
import { encodeSafetensors, WeightsFormatError } from '../io/safetensors.js';
import { createBackbone, loraTargets } from './backbone.js';
import { presetConfig } from './config.js';
import { createEstimator, estimatorConfig } from './estimator.js';
import { createAdapter } from './lora.js';
import { disposeParams, hostValues, type Params } from './params.js';
import { randomize } from './test-helpers.js';
import { hostWeights, loadAdapter, loadBackbone, loadEstimator, listWeights, saveAdapter, saveBackbone, saveEstimator, setEstimatorBlend } from './weights.js';
import { modelSpecs } from './backbone.js';
import { estimatorSpecs } from './estimator.js';
import { loraSpecs } from './lora.js';

const config = presetConfig('tiny');

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'abair-weights-'));
}

function assertBitExact(a: Params, b: Params): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    const x = a[name]!.dataSync() as Float32Array;
    const y = b[name]!.dataSync() as Float32Array;
    assert.deepEqual(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), new Uint8Array(y.buffer, y.byteOffset, y.byteLength), name);
  }
}

test('backbone, adapter and estimator round-trip bit-exactly with their configs', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  const base = createBackbone(config, 9);
  const adapter = createAdapter('rain', loraTargets(config), { rank: 2, alpha: 4 });
  randomize(adapter.params, '.B', 0.3);
  const estConfig = estimatorConfig(['rain', 'haze'], { inputSize: 32, widths: [4, 8] });
  const estimator = createEstimator(estConfig);
  await saveBackbone(dir, config, base, { preset: 'tiny', provenance: { steps: 3 } });
  await saveAdapter(dir, adapter, config, { data: 'synthetic' });
  await saveEstimator(dir, estConfig, estimator);

  const files = await listWeights(dir);
  assert.equal(files.adapters.length, 1);
  const loaded = await loadBackbone(dir, config);
  assert.equal(loaded.preset, 'tiny');
  assert.deepEqual(loaded.provenance, { steps: 3 });
  assertBitExact(base, loaded.params);
  const loadedAdapter = await loadAdapter(files.adapters[0]!, config);
  assert.deepEqual(loadedAdapter.config, adapter.config);
  assertBitExact(adapter.params, loadedAdapter.params);
  const loadedEst = await loadEstimator(dir);
  assert.deepEqual(loadedEst.config, estConfig);
  assertBitExact(estimator, loadedEst.params);
  [base, adapter.params, estimator, loaded.params, loadedAdapter.params, loadedEst.params].forEach(disposeParams);
  await fs.rm(dir, { recursive: true });
});

test('a truncated weights file is refused naming the file', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  const base = createBackbone(config, 1);
  const file = await saveBackbone(dir, config, base);
  const bytes = await fs.readFile(file);
  await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  await assert.rejects(loadBackbone(dir), (err: Error) => {
    assert.ok(err instanceof WeightsFormatError, String(err));
    assert.ok(err.message.includes(file), err.message);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  disposeParams(base);
  await fs.rm(dir, { recursive: true });
});

test('a shape-mismatched tensor, an extra tensor and a different architecture are refused', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  const base = createBackbone(config, 1);
  const file = await saveBackbone(dir, config, base);
  const tensors = Object.fromEntries(Object.entries(base).map(([n, t]) => [n, { shape: [...t.shape], data: t.dataSync() as Float32Array }]));
  const metadata = { 'abair.kind': 'backbone', 'abair.config': JSON.stringify(config) };

  const wrongShape = { ...tensors, 'enc1.0.attn.qkv.w': { shape: [config.dim, 2 * config.dim], data: new Float32Array(2 * config.dim * config.dim) } };
  await fs.writeFile(file, encodeSafetensors(wrongShape, metadata));
  await assert.rejects(loadBackbone(file), /backbone\.safetensors: tensor 'enc1\.0\.attn\.qkv\.w' has shape \[8, 16\], the config needs \[8, 24\]/);

  const extra = { ...tensors, 'stray.w': { shape: [1], data: new Float32Array(1) } };
  await fs.writeFile(file, encodeSafetensors(extra, metadata));
  await assert.rejects(loadBackbone(file), /unexpected tensor 'stray\.w'/);

  const { ['out.w']: _dropped, ...missing } = tensors;
  await fs.writeFile(file, encodeSafetensors(missing, metadata));
  await assert.rejects(loadBackbone(file), /missing tensor 'out\.w'/);

  await fs.writeFile(file, encodeSafetensors(tensors, metadata));
  await assert.rejects(loadBackbone(dir, presetConfig('small')), /architecture mismatch \(file dim 8.*expected dim 16/);
  const adapter = createAdapter('rain', loraTargets(config));
  const adapterPath = await saveAdapter(dir, adapter, config);
  await assert.rejects(loadAdapter(adapterPath, presetConfig('small')), /made for a different backbone/);
  await assert.rejects(loadAdapter(file), /is a backbone file, expected a LoRA adapter/);
  [base, adapter.params].forEach(disposeParams);
  await fs.rm(dir, { recursive: true });
});

test('an estimator saved before the high-pass option existed loads as one without it; a changed architecture is still refused', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  try {
    const current = estimatorConfig(['rain', 'haze'], { inputSize: 32, widths: [4, 8], highPass: false });
    const params = createEstimator(current, 3);
    const file = await saveEstimator(dir, current, params);
    // Rewrite both records of the architecture the way the older version wrote them: no highPass
    // (and no swExponent, which came later still).
    const { highPass: _dropped, swExponent: _later, ...old } = current;
    const sidecar = JSON.parse(await fs.readFile(file.replace(/\.safetensors$/, '.json'), 'utf8')) as { config: unknown };
    sidecar.config = old;
    await fs.writeFile(file.replace(/\.safetensors$/, '.json'), JSON.stringify(sidecar));
    const { loadSafetensors, saveSafetensors } = await import('../io/safetensors.js');
    const content = await loadSafetensors(file);
    const tensors = Object.fromEntries(Object.entries(content.tensors).map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
    await saveSafetensors(file, tensors, { ...content.metadata, 'abair.config': JSON.stringify(old) });
    const loaded = await loadEstimator(dir);
    assert.equal(loaded.config.highPass, false);
    assert.equal(loaded.config.swExponent, 1);
    assertBitExact(loaded.params, params);
    disposeParams(loaded.params);
    // The upgrade does not excuse a real difference between the two records.
    await saveSafetensors(file, tensors, { ...content.metadata, 'abair.config': JSON.stringify({ ...old, widths: [4, 16] }) });
    await assert.rejects(loadEstimator(dir), /architecture recorded in the weights does not match/);
    disposeParams(params);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('set-blend: the SW exponent is rewritten in the sidecar alone; the weights file is untouched and still loads', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  try {
    const current = estimatorConfig(['rain', 'haze'], { inputSize: 32, widths: [4, 8] });
    const params = createEstimator(current, 4);
    const file = await saveEstimator(dir, current, params);
    const weightsBefore = await fs.readFile(file);
    assert.deepEqual(await setEstimatorBlend(dir, { swExponent: 2 }), { file: path.join(dir, 'estimator.json'), previous: { swExponent: 1, keepClean: false }, current: { swExponent: 2, keepClean: false } });
    assert.deepEqual(await fs.readFile(file), weightsBefore);
    const loaded = await loadEstimator(dir);
    assert.equal(loaded.config.swExponent, 2);
    assert.deepEqual({ ...loaded.config, swExponent: 1 }, current);
    assertBitExact(loaded.params, params);
    disposeParams(loaded.params);
    assert.equal((await setEstimatorBlend(file, { swExponent: 0.5 })).previous.swExponent, 2);
    // keep-clean alone leaves the exponent, and the weights, as they are
    assert.deepEqual((await setEstimatorBlend(dir, { keepClean: true })).current, { swExponent: 0.5, keepClean: true });
    const again = await loadEstimator(dir);
    assert.equal(again.config.keepClean, true);
    disposeParams(again.params);
    assert.deepEqual(await fs.readFile(file), weightsBefore);

    // A bad exponent is refused and the sidecar stays as it was; so is a file of another kind.
    const sidecarBefore = await fs.readFile(path.join(dir, 'estimator.json'), 'utf8');
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(setEstimatorBlend(dir, { swExponent: bad }), (err: Error) => err instanceof WeightsFormatError && /swExponent must be a finite number > 0/.test(err.message));
    }
    assert.equal(await fs.readFile(path.join(dir, 'estimator.json'), 'utf8'), sidecarBefore);
    const base = createBackbone(config, 1);
    const backboneFile = await saveBackbone(dir, config, base);
    await assert.rejects(setEstimatorBlend(backboneFile, { swExponent: 2 }), /is a backbone file, expected an estimator/);
    [params, base].forEach(disposeParams);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('weight files written from host values (the training engine) are byte-identical to those from tfjs Params', async () => {
  await initEngine({ backend: 'wasm' });
  const dir = await tempDir();
  try {
    const backbone = createBackbone(config, 'host-save');
    const adapter = createAdapter('rain', loraTargets(config), { rank: 2, alpha: 4, seed: 'host-save' });
    const estConfig = estimatorConfig(['rain', 'haze'], { inputSize: 16, widths: [4, 8], clean: true });
    const est = createEstimator(estConfig, 'host-save');
    randomize(adapter.params, '.B');
    const provenance = { note: 'same' };
    for (const [side, params] of [['tf', null], ['host', true]] as const) {
      const at = path.join(dir, side);
      await saveBackbone(at, config, params ? hostWeights(hostValues(backbone), modelSpecs(config)) : backbone, { preset: 'tiny', provenance });
      await saveAdapter(at, params ? { config: adapter.config, params: hostWeights(hostValues(adapter.params), loraSpecs(adapter.config, loraTargets(config))) } : adapter, config, provenance);
      await saveEstimator(at, estConfig, params ? hostWeights(hostValues(est), estimatorSpecs(estConfig)) : est, provenance);
    }
    const files = (await fs.readdir(path.join(dir, 'tf'))).sort();
    assert.equal(files.length, 6);
    assert.deepEqual((await fs.readdir(path.join(dir, 'host'))).sort(), files);
    for (const f of files) assert.ok((await fs.readFile(path.join(dir, 'tf', f))).equals(await fs.readFile(path.join(dir, 'host', f))), f);
    assert.throws(() => hostWeights({ ...hostValues(est), extra: new Float32Array(1) }, estimatorSpecs(estConfig)), /'extra' is not a weight/);
    disposeParams(backbone);
    disposeParams(adapter.params);
    disposeParams(est);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
