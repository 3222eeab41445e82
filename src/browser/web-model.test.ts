/** loadWebModel: a good folder loads; a wrong or inconsistent one is refused with a message that names the problem. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../util/errors.js';
import type { WebModelManifest } from './manifest.js';
import { loadWebModel } from './web-model.js';

/** One weight input [2,3] and one rank-1 adapter: 6 + 2 + 3 floats. */
function goodManifest(): WebModelManifest {
  return {
    format: 'abair-web-model',
    version: 1,
    classes: ['rain'],
    estimatorInputSize: 16,
    swExponent: 2,
    keepClean: true,
    cleanOutput: false,
    cleanGate: null,
    segmentationClasses: ['rain', 'haze'],
    padMultiple: 8,
    loraBytes: 44,
    weightInputs: [{ name: 'enc1.0.ffn.in.w', shape: [2, 3], byteOffset: 0, byteLength: 24 }],
    adapters: [{ name: 'rain', scale: 2, layers: [{ input: 'enc1.0.ffn.in.w', rank: 1, a: { byteOffset: 24, byteLength: 8 }, b: { byteOffset: 32, byteLength: 12 } }] }],
    provenance: { preset: 'tiny', steps: { backbone: 100, estimator: null, adapters: { rain: 5 } } },
  };
}

function folder(manifest: unknown, overrides: Record<string, Uint8Array | null> = {}): (name: string) => Promise<Uint8Array> {
  const files: Record<string, Uint8Array | null> = {
    'model.json': new TextEncoder().encode(typeof manifest === 'string' ? manifest : JSON.stringify(manifest)),
    'backbone.onnx': new Uint8Array([1, 2, 3]),
    'estimator.onnx': new Uint8Array([4, 5]),
    'lora.bin': new Uint8Array(new Float32Array(11).map((_, i) => i).buffer),
    ...overrides,
  };
  return async (name) => {
    const bytes = files[name];
    if (!bytes) throw new Error(`ENOENT: no such file '${name}'`);
    return bytes;
  };
}

test('a good folder loads: manifest checked, lora.bin as float32', async () => {
  const model = await loadWebModel(folder(goodManifest()));
  assert.deepEqual(model.manifest, goodManifest());
  assert.deepEqual([...model.lora], Array.from({ length: 11 }, (_, i) => i));
  assert.deepEqual([...model.estimator!], [4, 5]);
  const noEstimator = await loadWebModel(folder({ ...goodManifest(), estimatorInputSize: null }, { 'estimator.onnx': null }));
  assert.equal(noEstimator.estimator, null);
  // Manifests exported before swExponent existed blend by the plain softmax.
  const { swExponent: _absent, ...older } = goodManifest();
  assert.equal((await loadWebModel(folder(older))).manifest.swExponent, 1);
  // ... and those exported before keepClean existed restore without it.
  const { keepClean: _none, ...beforeKeepClean } = goodManifest();
  assert.equal((await loadWebModel(folder(beforeKeepClean))).manifest.keepClean, false);
  // ... and those exported before the clean gate existed have none.
  const { cleanGate: _noGate, ...beforeGate } = goodManifest();
  assert.equal((await loadWebModel(folder(beforeGate))).manifest.cleanGate, null);
  // A model with a clean gate carries it in the manifest (the gate reads 3·classes + 2 features).
  // Written before the optional statistics and the veto, it reads none of either.
  const gate = { classes: ['rain'], hidden: 1, mean: [0, 0, 0, 0, 0], scale: [1, 1, 1, 1, 1], w1: [1, 0, 0, 0, 0], b1: [0], w2: [1], b2: 0 };
  assert.deepEqual((await loadWebModel(folder({ ...goodManifest(), cleanGate: gate }))).manifest.cleanGate, { ...gate, statistics: [], hazeVeto: null });
});

test('a wrong version, missing file or inconsistent manifest is refused clearly', async () => {
  const cases: Array<[string, (name: string) => Promise<Uint8Array>, RegExp]> = [
    ['version', folder({ ...goodManifest(), version: 2 }), /model\.json: unsupported version 2 \(this abair reads version 1; export the model again/],
    ['format', folder({ ...goodManifest(), format: 'something' }), /not an abair web model/],
    ['not JSON', folder('{"format": '), /model\.json: not valid JSON/],
    ['no manifest', folder(goodManifest(), { 'model.json': null }), /model file model\.json could not be read \(ENOENT.*abair model export-web/],
    ['no lora.bin', folder(goodManifest(), { 'lora.bin': null }), /model file lora\.bin could not be read/],
    ['no estimator', folder(goodManifest(), { 'estimator.onnx': null }), /model file estimator\.onnx could not be read/],
    ['lora size', folder(goodManifest(), { 'lora.bin': new Uint8Array(40) }), /lora\.bin: 40 bytes, model\.json says 44/],
    ['range beyond', folder({ ...goodManifest(), loraBytes: 40 }), /lie beyond lora\.bin's 40/],
    ['shape vs bytes', folder({ ...goodManifest(), weightInputs: [{ ...goodManifest().weightInputs[0]!, shape: [3, 3] }] }), /36 bytes|needs 36/],
    ['adapters vs classes', folder({ ...goodManifest(), classes: ['haze'] }), /adapters \(rain\) do not match classes \(haze\)/],
    ['unknown layer', folder({ ...goodManifest(), adapters: [{ ...goodManifest().adapters[0]!, layers: [{ ...goodManifest().adapters[0]!.layers[0]!, input: 'x.w' }] }] }), /layer x\.w is not one of the weight inputs/],
    ['estimator size', folder({ ...goodManifest(), estimatorInputSize: 0 }), /estimatorInputSize/],
    ['sw exponent', folder({ ...goodManifest(), swExponent: 0 }), /swExponent must be a finite number > 0/],
    ['sw exponent type', folder({ ...goodManifest(), swExponent: '2' }), /swExponent must be a finite number > 0/],
    ['keep clean type', folder({ ...goodManifest(), keepClean: 'yes' }), /keepClean must be true or false/],
    ['clean gate of other classes', folder({ ...goodManifest(), cleanGate: { classes: ['haze'], hidden: 1 } }), /the clean gate reads classes \[haze\], the estimator has \[rain\]/],
  ];
  for (const [label, readFile, message] of cases) {
    await assert.rejects(loadWebModel(readFile), (err: Error) => {
      assert.ok(err instanceof UserError, `${label}: ${err.name}`);
      assert.match(err.message, message, label);
      return true;
    });
  }
});
