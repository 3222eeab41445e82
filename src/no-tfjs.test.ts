/**
 * Restoring runs on ONNX Runtime: importing the library, starting the CLI and a restore must not
 * load TensorFlow.js (65 MB, and types the public API must not name). Checked in a child process,
 * whose require cache lists every CommonJS module it loaded (tfjs's packages are CommonJS, so an
 * ESM import of them lands there too); importing `abair/model` is the control that it would show.
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

test('control: abair/model (the tfjs side) does load @tensorflow', () => {
  const loaded = tfjsLoadedBy(`await import(${JSON.stringify(dist('model-api.js'))});`);
  assert.ok(loaded.some((f) => f.includes('tfjs-core')), `loaded: ${loaded.join(', ')}`);
});
