/**
 * The one JS LoRA merge against the tfjs one (src/model/lora.ts mergeAdapters) on random adapters,
 * fed from both sources: a model folder's weights (the Node face) and a web model's lora.bin (the
 * browser face), which must give the same merged weights to the bit.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, tf } from '../tfjs/backend.js';
import { createAdapter, createBackbone, disposeMerged, disposeParams, loraTargets, mergeAdapters, presetConfig } from '../model/index.js';
import { randomize } from '../model/test-helpers.js';
import { packLora } from '../onnx/export-web.js';
import { HostWeight } from '../model/host-weights.js';
import { loraFromManifest } from '../browser/restorer.js';
import { float32FromLittleEndian, mergeLora } from './lora-merge.js';
import { loraFromWeights } from './node-runner.js';

await initEngine({ backend: 'wasm' });

test('mergeLora equals mergeAdapters within 1e-5 (two adapters, one on a subset of layers, scales ≠ 1)', () => {
  const config = presetConfig('tiny');
  const base = createBackbone(config, 3);
  const targets = loraTargets(config);
  const adapters = [
    createAdapter('rain', targets, { rank: 4, alpha: 6, seed: 1 }),
    createAdapter('haze', targets, { rank: 2, alpha: 5, seed: 2, targets: targets.slice(3, 11).map((t) => t.layer) }),
  ];
  adapters.forEach((a, i) => randomize(a.params, '.B', 0.5, 20 + i));
  const loaded = adapters.map((a) => ({ ...a, file: '', backbone: config, provenance: {} }));
  try {
    const packed = packLora(base, config, loaded);
    const lora = float32FromLittleEndian(packed.bytes);
    const manifest = { weightInputs: packed.weightInputs, adapters: packed.adapters };
    const fromWeb = loraFromManifest(lora, manifest);
    const host = (params: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(params).map(([k, t]) => [k, new HostWeight(Float32Array.from(t.dataSync()), t.shape)]));
    const fromFolder = loraFromWeights(host(base), config, loaded.map((a) => ({ config: a.config, params: host(a.params) })));
    for (const weights of [[0.3, 0.7], [1, 0], [0, 1], [0, 0], [2.5, -0.4]]) {
      const mine = mergeLora(fromWeb, weights);
      assert.deepEqual(mergeLora(fromFolder, weights), mine, 'the two faces merge to the same weights');
      const reference = mergeAdapters(base, adapters, weights);
      try {
        assert.equal(mine.size, packed.weightInputs.length);
        let worst = 0;
        for (const [name, values] of mine) {
          const expected = reference[name]!.dataSync();
          assert.equal(values.length, expected.length, name);
          for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - expected[i]!));
        }
        assert.ok(worst <= 1e-5, `weights ${weights}: differs by ${worst}`);
        // the blend really changes the weights (so the comparison above can fail)
        if (weights.some((w) => w !== 0)) {
          const name = packed.weightInputs[4]!.name;
          const baseValues = base[name]!.dataSync();
          assert.ok(mine.get(name)!.some((v, i) => Math.abs(v - baseValues[i]!) > 1e-3), `weights ${weights}: ${name} unchanged`);
        }
      } finally {
        disposeMerged(reference, base);
      }
    }
    assert.throws(() => mergeLora(fromWeb, [1]), /2 adapters but 1 weights/);
  } finally {
    disposeParams(base);
    adapters.forEach((a) => disposeParams(a.params));
  }
});

test('float32FromLittleEndian reads unaligned and aligned bytes alike', () => {
  const values = Float32Array.from([1.5, -2.25, 3e-8, 1e30]);
  const bytes = new Uint8Array(17);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(1 + i * 4, v, true));
  assert.deepEqual(float32FromLittleEndian(bytes.subarray(1)), values);
  assert.deepEqual(float32FromLittleEndian(new Uint8Array(bytes.subarray(1))), values);
  assert.throws(() => float32FromLittleEndian(bytes), /multiple of 4/);
});
