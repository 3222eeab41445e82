/** `abair model export-onnx`: files written, loadable by ONNX Runtime, with the documented inputs/outputs. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initEngine } from '../../tfjs/backend.js';
import { createAdapter, createBackbone, createEstimator, disposeParams, estimatorConfig, loraTargets, presetConfig, saveAdapter, saveBackbone, saveEstimator } from '../../model/index.js';
import { exportModelFolder } from './export-onnx.js';
import { createSession } from '../../ort/runtime.js';

test('export-onnx writes a backbone and an estimator graph that ONNX Runtime loads', async () => {
  await initEngine({ backend: 'cpu' });
  const config = presetConfig('tiny');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-export-onnx-'));
  try {
    const base = createBackbone(config, 1);
    await saveBackbone(dir, config, base, { preset: 'tiny' });
    const adapter = createAdapter('rain', loraTargets(config));
    await saveAdapter(dir, adapter, config);
    const est = createEstimator(estimatorConfig(['rain'], { inputSize: 16, widths: [4] }));
    await saveEstimator(dir, estimatorConfig(['rain'], { inputSize: 16, widths: [4] }), est);
    [base, adapter.params, est].forEach(disposeParams);

    for (const adaptersAs of ['inputs', 'branches'] as const) {
      const out = path.join(dir, `model-${adaptersAs}.onnx`);
      const written = await exportModelFolder(dir, out, { adaptersAs, segmentation: true });
      assert.deepEqual(written.map((f) => path.basename(f)), [`model-${adaptersAs}.onnx`, `model-${adaptersAs}.estimator.onnx`, `model-${adaptersAs}.json`]);
      const session = await createSession(out);
      assert.deepEqual(session.outputNames, ['restored', 'seg_logits']);
      assert.equal(session.inputNames[0], 'image');
      assert.equal(session.inputNames.length, adaptersAs === 'inputs' ? 1 + loraTargets(config).length : 2);
      await session.release();
      const estimator = await createSession(written[1]!);
      assert.deepEqual(estimator.outputNames, ['probabilities']);
      await estimator.release();
    }
    await assert.rejects(exportModelFolder(path.join(dir, 'missing'), path.join(dir, 'x.onnx')), /model folder not found/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
