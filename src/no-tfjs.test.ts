/**
 * Restoring and training run on ONNX Runtime: importing the library, starting the CLI, a restore,
 * the training commands (`abair train pretrain`, `train export`, `add-degradation`) must not load
 * TensorFlow.js (65 MB, and types the public API must not name). Checked in a child process,
 * whose require cache lists every CommonJS module it loaded (tfjs's packages are CommonJS, so an
 * ESM import of them lands there too); importing the repo's own tfjs side (src/tfjs, a development
 * tool for cross-checks and the training bench) is the control that it would show.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { packageRoot } from './util/paths.js';

const dist = (file: string) => pathToFileURL(path.join(packageRoot, 'dist', file)).href;

/** Runs `body` (an ES module) in a child and returns the @tensorflow files it loaded. */
function tfjsLoadedBy(body: string): string[] {
  const script = `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${body}\nconsole.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('@tensorflow'))));`;
  // A file, not `node -e`: the ONNX engine's worker thread inherits execArgv, and with -e it would run the script again.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'abair-no-tfjs-'));
  const file = path.join(dir, 'probe.mjs');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, [file], { cwd: packageRoot, encoding: 'utf8', timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as string[];
}

test('import abair, the CLI and a restore with the shipped model load no @tensorflow module', () => {
  const loaded = tfjsLoadedBy(`
const abair = await import(${JSON.stringify(dist('index.js'))});
await import(${JSON.stringify(dist('browser/index.js'))});
const { buildProgram } = await import(${JSON.stringify(dist('cli/main.js'))});
buildProgram();
const restorer = abair.createRestorer();
const data = new Uint8Array(24 * 20 * 3).map((_, i) => (i * 37) % 256);
const out = await restorer.restore({ data, width: 24, height: 20, channels: 3 }, { map: true });
if (out.image.width !== 24 || !out.map) throw new Error('restore gave no result');
restorer.dispose();`);
  assert.deepEqual(loaded, []);
});

test('abair train pretrain, train export and add-degradation load no @tensorflow module', () => {
  const loaded = tfjsLoadedBy(`
const os = await import('node:os');
const fs = await import('node:fs');
const path = await import('node:path');
const { main } = await import(${JSON.stringify(dist('cli/main.js'))});
const { writeTestImages } = await import(${JSON.stringify(dist('train/test-images.js'))});
const { presetConfig } = await import(${JSON.stringify(dist('model/config.js'))});
const { modelSpecs, loraTargets } = await import(${JSON.stringify(dist('model/backbone.js'))});
const { estimatorConfig, estimatorSpecs } = await import(${JSON.stringify(dist('model/estimator.js'))});
const { loraSpecs } = await import(${JSON.stringify(dist('model/lora.js'))});
const { hostWeights, saveAdapter, saveBackbone, saveEstimator } = await import(${JSON.stringify(dist('model/weights.js'))});
// small deterministic weights (the values do not matter here, only that the files load)
const initialHost = (specs, salt) => Object.fromEntries(specs.map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + String(salt).length) * 0.05)]));
// the engine runs in a worker thread (engine-worker.js), whose modules this thread's require cache
// does not list: the engine it builds is imported here as well, so its module graph is
await import(${JSON.stringify(dist('train/ort-engine.js'))});
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'abair-no-tfjs-train-'));
const run = async (args) => {
  process.exitCode = undefined;
  await main(['node', 'abair', ...args]);
  if (process.exitCode) throw new Error('abair ' + args.join(' ') + ' exited ' + process.exitCode);
};
try {
  const images = await writeTestImages(path.join(root, 'images'), 4, 32);
  const small = ['--steps', '1', '--batch', '2', '--patch', '16', '--val-count', '2', '--threads', '1', '--progress', 'silent'];
  await run(['train', 'pretrain', '--images', images, '--preset', 'tiny', ...small, '--out', path.join(root, 'pretrain')]);
  await run(['train', 'export', path.join(root, 'pretrain'), '-o', path.join(root, 'interim')]);
  // a two-class model from host values (the save functions take plain arrays too)
  const config = presetConfig('tiny');
  const model = path.join(root, 'model');
  await saveBackbone(model, config, hostWeights(initialHost(modelSpecs(config), 1), modelSpecs(config)), { preset: 'tiny' });
  for (const name of ['rain', 'haze']) {
    const adapter = { name, rank: 2, alpha: 2, targets: loraTargets(config).map((t) => t.layer) };
    const specs = loraSpecs(adapter, loraTargets(config));
    await saveAdapter(model, { config: adapter, params: hostWeights(initialHost(specs, name), specs) }, config);
  }
  const est = estimatorConfig(['rain', 'haze'], { inputSize: 16, widths: [4, 8] });
  await saveEstimator(model, est, hostWeights(initialHost(estimatorSpecs(est), 2), estimatorSpecs(est)));
  await run(['add-degradation', 'noise', '--model', model, '--synthetic', 'noise', '--images', images, '--adapter-steps', '1', '--estimator-steps', '1',
    '--batch', '2', '--patch', '16', '--estimator-batch', '2', '--estimator-patch', '16', '--threads', '1', '--progress', 'silent', '--runs', path.join(root, 'runs')]);
  if (!fs.existsSync(path.join(model, 'lora-noise.safetensors'))) throw new Error('add-degradation wrote no adapter');
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}`);
  assert.deepEqual(loaded, []);
});

test('control: the tfjs side (src/tfjs) does load @tensorflow', () => {
  const loaded = tfjsLoadedBy(`await import(${JSON.stringify(dist('tfjs/backend.js'))});`);
  assert.ok(loaded.some((f) => f.includes('tfjs-core')), `loaded: ${loaded.join(', ')}`);
});
