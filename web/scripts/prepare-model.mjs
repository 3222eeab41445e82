#!/usr/bin/env node
/**
 * Puts the model the browser app serves into web/public/model/ (git-ignored), exporting it with
 * `abair model export-web` when it is missing or stale: stale means the source folder's files
 * (names, sizes, modification times) or the exporter's compiled code changed since the last export.
 *
 *   ABAIR_WEB_MODEL=<model folder>   use this model instead of weights/default
 *
 * Run after `npm run build` (it calls bin/abair.js, which runs dist/). Exit 1 with one line when
 * the model folder does not exist.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(repoRoot, 'web', 'public', 'model');
const stampFile = path.join(repoRoot, 'node_modules', '.cache', 'abair-web', 'model-stamp.json');
// The compiled modules that decide what export-web writes: a change in any of them re-exports.
const EXPORTER_FILES = ['onnx/export-web.js', 'onnx/export.js', 'onnx/graph-builder.js', 'onnx/proto.js', 'browser/manifest.js'];

function fail(message) {
  console.error(`abair web: ${message}`);
  process.exit(1);
}

const fromEnv = process.env.ABAIR_WEB_MODEL;
const source = path.resolve(repoRoot, fromEnv || path.join('weights', 'default'));
if (!existsSync(source)) {
  if (fromEnv) fail(`ABAIR_WEB_MODEL=${fromEnv}: no such folder`);
  fail(
    'no model at weights/default (the trained default model is not in the repository yet). ' +
      'Point ABAIR_WEB_MODEL at a model folder, e.g. ABAIR_WEB_MODEL=runs/my-model npm run web',
  );
}
if (!statSync(source).isDirectory()) fail(`${source} is not a model folder`);
if (!existsSync(path.join(repoRoot, 'dist', 'onnx', 'export-web.js'))) fail('dist/ is not built or lacks export-web: run npm run build first');

function fingerprint() {
  const files = readdirSync(source, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const stat = statSync(path.join(source, entry.name));
      return { name: entry.name, size: stat.size, mtimeMs: stat.mtimeMs };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const exporter = createHash('sha256');
  for (const file of EXPORTER_FILES) {
    const full = path.join(repoRoot, 'dist', file);
    exporter.update(file).update(existsSync(full) ? readFileSync(full) : '');
  }
  return { source, files, exporter: exporter.digest('hex') };
}

const wanted = JSON.stringify(fingerprint());
const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : null;
if (current === wanted && existsSync(path.join(outDir, 'model.json'))) {
  console.log(`abair web: model up to date (${path.relative(repoRoot, outDir)} from ${source})`);
  process.exit(0);
}

// Export beside the target and swap, so the served folder is never half old, half new.
const staging = `${outDir}.export-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
console.log(`abair web: exporting ${source} → ${path.relative(repoRoot, outDir)}`);
const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'abair.js'), 'model', 'export-web', source, '-o', staging], {
  stdio: 'inherit',
});
if (result.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  fail(`abair model export-web failed (exit ${result.status ?? result.signal})`);
}
rmSync(outDir, { recursive: true, force: true });
renameSync(staging, outDir);
mkdirSync(path.dirname(stampFile), { recursive: true });
writeFileSync(stampFile, wanted);
