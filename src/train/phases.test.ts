import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initEngine } from '../tfjs/backend.js';
import { DEFAULT_LORA_RANK } from '../model/lora.js';
import { loadBackbone, loadEstimator, readBackbone, readEstimator, readSidecar } from '../model/weights.js';
import { initialBackbone } from '../train-ort/ort-trainer.js';
import { loadSafetensors } from '../io/safetensors.js';
import { presetConfig } from '../model/config.js';
import { checkpointPath, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { exportRunWeights } from './export.js';
import { addDegradation, modelAdapterRank } from './phases/add-degradation.js';
import { trainAdapter } from './phases/adapter.js';
import type { CommonTrainOptions } from './phases/common.js';
import { trainEstimator } from './phases/estimator.js';
import { trainPretrain } from './phases/pretrain.js';
import { parseLog, type ValRecord } from './run-log.js';
import { writeTestImages } from './test-images.js';

function common(out: string, steps: number, overrides: Partial<CommonTrainOptions> = {}): CommonTrainOptions {
  return { steps, batch: 4, patch: 32, lr: 5e-3, warmup: 1, threads: 1, out, resume: false, checkpointEvery: 100, valEvery: steps, valCount: 4, seed: 5, progress: 'silent', say: () => undefined, handleSignals: false, ...overrides };
}

async function vals(logFile: string): Promise<ValRecord[]> {
  return parseLog(await readFile(logFile, 'utf8')).filter((r): r is ValRecord => r.type === 'val');
}

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

test('the three phases train (validation improves) and add-degradation grows the estimator without touching earlier files', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-phases-'));
  try {
    await initEngine({ backend: 'wasm' });
    const images = [await writeTestImages(path.join(root, 'images'))];
    const model = path.join(root, 'model');

    // Phase I: validation PSNR on the fixed held-out batch rises.
    const pre = await trainPretrain({ ...common(model, 12), images, preset: 'tiny', segWeight: 0.1, loss: 'l1' });
    let v = await vals(pre.logFile);
    assert.equal(v[0]!.step, 0);
    assert.ok(v.at(-1)!.psnr! > v[0]!.psnr! + 0.5, `pretrain PSNR ${v[0]!.psnr} → ${v.at(-1)!.psnr}`);
    assert.deepEqual(pre.outputs, [path.join(model, 'backbone.safetensors')]);

    // `abair train export`: the final checkpoint's weights are the final backbone file's.
    const exported = path.join(root, 'exported');
    await mkdir(exported);
    const [exportedFile] = await exportRunWeights(model, exported);
    const [finalTensors, exportedTensors] = await Promise.all([loadSafetensors(pre.outputs[0]!), loadSafetensors(exportedFile!)]);
    assert.deepEqual(Object.keys(exportedTensors.tensors).sort(), Object.keys(finalTensors.tensors).sort());
    for (const [name, t] of Object.entries(finalTensors.tensors)) assert.deepEqual(exportedTensors.tensors[name]!.data, t.data, name);
    assert.equal((await loadBackbone(exported)).config.dim, 8);

    // A specialist from scratch (phase 'finetune-probe' from a preset) exports the same way: its
    // architecture is its preset's. One fine-tuned from a backbone file names no preset: refused.
    const ckpt = await loadCheckpoint(checkpointPath(model));
    const probeRun = { phase: 'finetune-probe', synthetic: ['noise'], steps: 12, batch: 4, patch: 32, seed: 5 };
    for (const [name, run] of [['probe', { ...probeRun, preset: 'tiny' }], ['probe-from-file', { ...probeRun, backboneDigest: 'x' }]] as const) {
      await mkdir(path.join(root, name));
      await saveCheckpoint(checkpointPath(path.join(root, name)), { ...ckpt, run });
    }
    const probeOut = path.join(root, 'probe-exported');
    await mkdir(probeOut);
    const [probeFile] = await exportRunWeights(path.join(root, 'probe'), probeOut);
    const probeTensors = await loadSafetensors(probeFile!);
    for (const [name, t] of Object.entries(finalTensors.tensors)) assert.deepEqual(probeTensors.tensors[name]!.data, t.data, name);
    assert.deepEqual((await loadBackbone(probeOut)).config, presetConfig('tiny'));
    assert.deepEqual((await readSidecar(probeFile!)).provenance.synthetic, ['noise']);
    await assert.rejects(exportRunWeights(path.join(root, 'probe-from-file'), probeOut), /probe fine-tuned from a backbone file/);

    // Phase II: two adapters into the model folder; each improves its validation PSNR. Their ranks
    // differ (and one is not the default) so that add-degradation's rank rule is seen below.
    assert.equal(await modelAdapterRank(model), DEFAULT_LORA_RANK);
    for (const [name, rank] of [['noise', DEFAULT_LORA_RANK], ['haze', DEFAULT_LORA_RANK + 2]] as const) {
      const r = await trainAdapter({ ...common(path.join(root, `run-${name}`), 10, { lr: 1e-2 }), name, backbone: model, synthetic: name, images, rank, loss: 'l1', into: model });
      v = await vals(r.logFile);
      assert.ok(v.at(-1)!.psnr! > v[0]!.psnr! + 0.2, `adapter ${name} PSNR ${v[0]!.psnr} → ${v.at(-1)!.psnr}`);
    }

    // Phase III: classes from the adapters present; validation BCE falls.
    const est = await trainEstimator({ ...common(path.join(root, 'run-est'), 12, { patch: 32, batch: 8, valCount: 8 }), model, images, mixedFraction: 0.3 });
    v = await vals(est.logFile);
    assert.ok(v.at(-1)!.bce! < v[0]!.bce!, `estimator BCE ${v[0]!.bce} → ${v.at(-1)!.bce}`);
    assert.deepEqual((await loadEstimator(model)).config.classes, ['haze', 'noise']);

    // --widths: a narrower/deeper estimator is trained and saved with its own config.
    const narrow = path.join(root, 'narrow');
    await trainEstimator({ ...common(path.join(root, 'run-narrow'), 2, { patch: 32, batch: 4, valCount: 4 }), model, images, mixedFraction: 0.3, widths: [4, 8, 8], into: narrow });
    assert.deepEqual((await loadEstimator(narrow)).config.widths, [4, 8, 8]);

    // add-degradation: earlier files byte-identical, estimator grown with its old rows as the start;
    // no rank given, so the new adapter takes the model's adapters' rank (a tie of 4 and 6: the larger).
    const keep = ['backbone.safetensors', 'backbone.json', 'lora-noise.safetensors', 'lora-noise.json', 'lora-haze.safetensors', 'lora-haze.json'];
    const before = await Promise.all(keep.map((f) => sha(path.join(model, f))));
    const added = await addDegradation({
      name: 'blur',
      model,
      runs: path.join(root, 'add-blur'),
      resume: false,
      adapter: { ...common('', 3), synthetic: 'blur', images, loss: 'l1' },
      estimator: { ...common('', 3), images, mixedFraction: 0.3 },
    });
    assert.equal(added.adapter!.outputs.length, 1);
    assert.deepEqual(added.outputs, [path.join(model, 'lora-blur.safetensors'), path.join(model, 'estimator.safetensors')]);
    const blurSidecar = await readSidecar(path.join(model, 'lora-blur.safetensors'));
    assert.equal(blurSidecar.kind === 'lora' && blurSidecar.adapter.rank, DEFAULT_LORA_RANK + 2);
    assert.deepEqual(await Promise.all(keep.map((f) => sha(path.join(model, f)))), before);
    const grown = await loadEstimator(model);
    assert.deepEqual(grown.config.classes, ['haze', 'noise', 'blur']);
    const meta = parseLog(await readFile(added.estimator!.logFile, "utf8"))[0] as unknown as { identity: { warmStart: boolean } };
    assert.equal(meta.identity.warmStart, true);
    await assert.rejects(addDegradation({
      name: 'blur', model, runs: path.join(root, 'again'), resume: false,
      adapter: { ...common('', 1), synthetic: 'blur', images, rank: 4, loss: 'l1' },
      estimator: { ...common('', 1), images, mixedFraction: 0.3 },
    }), /already has 'blur' \(lora-blur\.safetensors\); add --force/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('Phase I with segWeight 0 and the Charbonnier loss carries the seg head untrained; an estimator with the clean output trains its extra label', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-phases-'));
  try {
    const images = [await writeTestImages(path.join(root, 'images'), 6, 48)];
    const model = path.join(root, 'model');
    const pre = await trainPretrain({ ...common(model, 3, { batch: 2, patch: 16, valCount: 2 }), images, preset: 'tiny', segWeight: 0, loss: 'charbonnier' });
    const initial = initialBackbone(presetConfig('tiny'), 5);
    const trained = await readBackbone(model);
    const seg = Object.keys(initial).filter((n) => n.startsWith('seg.'));
    assert.ok(seg.length > 0);
    for (const name of seg) assert.deepEqual(trained.params[name]!.data, initial[name], `${name} is carried at its initial value`);
    assert.notDeepEqual(trained.params['embed.w']!.data, initial['embed.w'], 'the backbone itself trained');
    assert.ok(Number.isFinite(pre.lastValidation!.psnr!));
    const meta = parseLog(await readFile(pre.logFile, 'utf8'))[0] as unknown as { loss: string; engine: string; threads: number };
    assert.deepEqual([meta.loss, meta.engine, meta.threads], ['charbonnier', 'onnxruntime', 1]);

    const into = path.join(root, 'clean-est');
    const est = await trainEstimator({ ...common(path.join(root, 'run-clean'), 3, { batch: 4, patch: 16, valCount: 4 }), model, classes: ['rain', 'noise'], images, mixedFraction: 0.3, cleanOutput: true, widths: [4, 8], into });
    const saved = await readEstimator(into);
    assert.equal(saved.config.clean, true);
    assert.deepEqual(saved.params['est.head.b']!.shape, [3], 'two classes and p(clean)');
    assert.ok(est.lastValidation!.accuracy! >= 0 && est.lastValidation!.accuracy! <= 1 && Number.isFinite(est.lastValidation!.bce!));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
