/**
 * The package as a user gets it: `npm pack`, installed into an empty folder outside the repo,
 * then the CLI (--help and a tiny restore, on onnxruntime-node and on the onnxruntime-web
 * fallback), an ESM consumer and a strict TypeScript consumer (tsc --strict, no skipLibCheck).
 *
 * No network: npm installs from its local cache only (npm ci --offline, from a lockfile made of
 * abair's own) and the test skips, with the reason, when the cache lacks a package. onnxruntime-node's install step (a CUDA download on
 * linux-x64, see src/ort/runtime.ts) is skipped through its own environment switch here, since a
 * test must not reach out; without it npm drops the optional package and the fallback serves.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { packageRoot } from './util/paths.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = path.join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000, ...options });
  return { status: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), error: result.error };
}

const npmWorks = run(npm, ['--version']).status === 0;

interface LockEntry {
  [key: string]: unknown;
  dev?: boolean;
}

/**
 * A consumer's package-lock.json: abair from `tarball`, @types/node for the TypeScript check, and
 * every non-dev entry of abair's own lockfile (the runtime tree, laid out as npm resolved it).
 */
function consumerLock(tarball: string): { lockfileVersion: 3; requires: true; packages: Record<string, LockEntry> } {
  const repo = (JSON.parse(readFileSync(path.join(packageRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const typesNode = repo['node_modules/@types/node']!;
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { abair: `file:${tarball}`, '@types/node': typesNode['version'] } },
    'node_modules/abair': {
      version: pkg['version'],
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dependencies: pkg['dependencies'],
      optionalDependencies: pkg['optionalDependencies'],
      bin: pkg['bin'],
      engines: pkg['engines'],
    },
  };
  const typesTree = new Set(['node_modules/@types/node', ...Object.keys((typesNode['dependencies'] as Record<string, string> | undefined) ?? {}).map((d) => `node_modules/${d}`)]);
  for (const [key, entry] of Object.entries(repo)) {
    if (key === '' || (entry.dev && !typesTree.has(key))) continue;
    const { dev: _dev, ...rest } = entry;
    packages[key] = rest;
  }
  return { lockfileVersion: 3, requires: true, packages };
}

test('packed abair installs from the npm cache and works for the CLI, ESM and strict TypeScript consumers', { skip: npmWorks ? false : 'npm is not on PATH', timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'abair-package-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // --ignore-scripts: pack the dist/ this test run built (prepack would rebuild it under the running tests).
  const pack = run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: packageRoot });
  assert.equal(pack.status, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const shipped = info!.files.map((f) => f.path);
  // bench/restore-report is the report format `abair eval --results-md` reads, not a benchmark.
  const benchCode = (f: string) => /^(dist|src)\/bench\/|^bench\//.test(f) && !/\/bench\/restore-report\./.test(f);
  assert.deepEqual(shipped.filter((f) => /\.test\./.test(f) || benchCode(f)), [], 'no tests or benchmarks in the package');
  // every module a shipped module imports is shipped too (the files list leaves the dev side out)
  const missingImports = shipped.filter((f) => f.startsWith('dist/') && f.endsWith('.js')).flatMap((f) =>
    [...readFileSync(path.join(packageRoot, f), 'utf8').matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)]
      .map((m) => path.posix.join(path.posix.dirname(f), m[1]!))
      .filter((target) => !shipped.includes(target))
      .map((target) => `${f} → ${target}`));
  assert.deepEqual(missingImports, [], 'shipped modules import files the package leaves out');
  const maps = shipped.filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 0 && maps.every((m) => shipped.includes(m.replace(/^dist\//, 'src/').replace(/\.js\.map$/, '.ts').replace(/\.d\.ts\.map$/, '.ts'))), 'every source map has its source');

  const consumer = path.join(dir, 'consumer');
  mkdirSync(consumer);
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_onnxruntime_node_install: 'skip' };
  // npm ci from a lockfile built from abair's own (its runtime entries), so npm needs only the
  // package tarballs in its cache, not registry metadata: `npm ci --offline` works after any
  // `npm ci` of this repo.
  const tarball = path.join(dir, info!.filename);
  const lock = consumerLock(tarball);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(lock.packages['']));
  writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify(lock));
  const install = run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: consumer, env });
  if (install.status !== 0 && /ENOTCACHED|only-if-cached/i.test(install.stderr)) {
    t.skip(`the npm cache lacks a package abair needs (${install.stderr.split('\n').find((l) => /ENOTCACHED|only-if-cached/i.test(l) && l.includes('request'))?.replace(/^npm error /, '').trim() ?? 'ENOTCACHED'})`);
    return;
  }
  assert.equal(install.status, 0, install.stderr);
  // TensorFlow.js is a development tool of the repo (cross-checks, the training bench): a user's
  // install has none of it, and no shipped module imports it.
  assert.ok(!existsSync(path.join(consumer, 'node_modules', '@tensorflow')), 'the install brought @tensorflow packages');
  const importsTfjs = shipped.filter((f) => /\.js$/.test(f) && /(?:from|import\()\s*['"]@tensorflow\//.test(readFileSync(path.join(consumer, 'node_modules', 'abair', f), 'utf8')));
  assert.deepEqual(importsTfjs, [], 'shipped modules that import @tensorflow');

  // CLI: --help, then a tiny restore on each ONNX Runtime package.
  const bin = path.join(consumer, 'node_modules', '.bin', 'abair');
  const help = run(bin, ['--help'], { cwd: consumer });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /restore/);
  const pixels = Buffer.alloc(20 * 16 * 3).map((_, i) => (i * 29) % 256);
  await sharp(pixels, { raw: { width: 20, height: 16, channels: 3 } }).png().toFile(path.join(consumer, 'in.png'));
  for (const ortPackage of ['onnxruntime-node', 'onnxruntime-web']) {
    const out = `out-${ortPackage}.png`;
    const restore = run(bin, ['restore', 'in.png', '-o', out, '--no-progress'], { cwd: consumer, env: { ...process.env, ABAIR_ORT: ortPackage } });
    assert.equal(restore.status, 0, `${ortPackage}: ${restore.stderr}`);
    const meta = await sharp(path.join(consumer, out)).metadata();
    assert.deepEqual([meta.width, meta.height], [20, 16], ortPackage);
  }

  // ESM consumer: the entries resolve, and the library entry loads no tfjs.
  writeFileSync(
    path.join(consumer, 'esm.mjs'),
    `import { createRequire } from 'node:module';
import { createRestorer, psnr, DEGRADATION_NAMES } from 'abair';
import { createBrowserRestorer } from 'abair/browser';
const require = createRequire(import.meta.url);
if (typeof createRestorer !== 'function' || typeof psnr !== 'function' || typeof createBrowserRestorer !== 'function' || DEGRADATION_NAMES.length === 0) throw new Error('missing exports');
const tfjs = Object.keys(require.cache).filter((f) => f.includes('@tensorflow'));
if (tfjs.length > 0) throw new Error('tfjs loaded: ' + tfjs[0]);
console.log('esm ok');
`,
  );
  const esm = run(process.execPath, ['esm.mjs'], { cwd: consumer });
  assert.equal(esm.status, 0, esm.stderr);
  assert.match(esm.stdout, /esm ok/);

  // Strict TypeScript consumer, without skipLibCheck.
  writeFileSync(
    path.join(consumer, 'consumer.ts'),
    `import { createRestorer, psnr, type RestoreResult, type ModelRunner } from 'abair';
import { createBrowserRestorer, type BrowserRestoreResult, type OrtLike } from 'abair/browser';
const restorer = createRestorer({ runtime: 'node' });
const score: number = psnr({ width: 1, height: 1, data: new Float32Array(3) }, { width: 1, height: 1, data: new Float32Array(3) });
export async function run(file: string): Promise<Buffer> {
  const result: RestoreResult = await restorer.restore(file, { mode: 'sw', tileSize: 256, overlap: 16, map: true, onProgress: () => undefined });
  const names: string[] = [...Object.keys(result.probabilities), ...Object.keys(result.weights), result.map ? 'map' : ''];
  void names;
  return result.toBuffer('jpg', { quality: 90 });
}
// the same result names in the browser face
export const sameNames = (r: BrowserRestoreResult): [Record<string, number>, Record<string, number>, number] => [r.probabilities, r.weights, r.toImageData().width];
export type Runner = ModelRunner;
export const browserRestorer: typeof createBrowserRestorer = createBrowserRestorer;
export function ortOf(ort: OrtLike): OrtLike {
  return ort;
}
void score;
`,
  );
  writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['consumer.ts'] }),
  );
  const check = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer });
  assert.equal(check.status, 0, `tsc --strict: ${check.stdout}${check.stderr}`);
});
