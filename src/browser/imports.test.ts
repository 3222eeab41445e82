/**
 * src/browser must run in a page or Web Worker: neither it nor any module it imports (followed
 * transitively) may import Node built-ins, tfjs, sharp or an ONNX Runtime package (the caller
 * passes its `ort` in), or use Node-only globals. Checked on the sources (type imports count: the
 * web app type-checks them with DOM libs only) and on the compiled JS (what actually loads).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/paths.js';

/** Bare packages the browser closure may import (none today: add one only if it is browser-safe). */
const ALLOWED_PACKAGES: readonly string[] = [];
const FORBIDDEN = [/^node:/, /^@tensorflow\//, /^sharp$/, /^onnxruntime-/, /^commander$/];
const NODE_GLOBALS = /\b(process\.|Buffer\b|setImmediate\b|__dirname\b|__filename\b|require\()/;

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Module specifiers of static imports/exports-from, side-effect imports and dynamic imports. */
function importSpecifiers(code: string): string[] {
  const text = stripComments(code);
  const found: string[] = [];
  for (const pattern of [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const match of text.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

function problemsOf(specifier: string): string | null {
  if (specifier.startsWith('.')) return null;
  const bare = specifier.replace(/^node:/, '').split('/')[0]!;
  if (FORBIDDEN.some((re) => re.test(specifier)) || builtinModules.includes(bare)) return `imports '${specifier}'`;
  if (!ALLOWED_PACKAGES.includes(specifier)) return `imports package '${specifier}' (not in ALLOWED_PACKAGES)`;
  return null;
}

/** Walks the relative imports from `entries`; returns the files reached and every problem found. */
function scan(entries: string[], resolveRelative: (from: string, specifier: string) => string): { files: string[]; problems: string[] } {
  const seen = new Set<string>();
  const problems: string[] = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    const where = path.relative(packageRoot, file);
    for (const specifier of importSpecifiers(code)) {
      const problem = problemsOf(specifier);
      if (problem) problems.push(`${where} ${problem}`);
      else if (specifier.startsWith('.')) queue.push(resolveRelative(file, specifier));
    }
    const global = NODE_GLOBALS.exec(stripComments(code).replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, '""'));
    if (global) problems.push(`${where} uses the Node global '${global[1]}'`);
  }
  return { files: [...seen].map((f) => path.relative(packageRoot, f)).sort(), problems };
}

function entriesIn(dir: string, extension: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(extension) && !name.endsWith(`.test${extension}`) && !name.endsWith('.d.ts'))
    .map((name) => path.join(dir, name));
}

test('the scanner sees static, type, side-effect and dynamic imports, and skips comments', () => {
  const code = `// import x from 'node:fs'\nimport type { A } from 'onnxruntime-web';\nexport { b } from\n  './b.js';\nimport 'sharp';\nconst m = await import('node:path');\n/* import y from 'fs' */`;
  assert.deepEqual(importSpecifiers(code).sort(), ['./b.js', 'node:path', 'onnxruntime-web', 'sharp']);
  assert.match(problemsOf('fs') ?? '', /imports 'fs'/);
  assert.match(problemsOf('@tensorflow/tfjs-core') ?? '', /imports/);
  assert.match(problemsOf('left-pad') ?? '', /not in ALLOWED_PACKAGES/);
  assert.equal(problemsOf('../restore/modes.js'), null);
});

test('src/browser and everything it imports are free of Node, tfjs, sharp and ONNX Runtime imports', () => {
  const source = scan(entriesIn(path.join(packageRoot, 'src', 'browser'), '.ts'), (from, spec) => path.resolve(path.dirname(from), spec.replace(/\.js$/, '.ts')));
  assert.deepEqual(source.problems, []);
  // the walk really follows imports out of src/browser
  for (const shared of ['src/restore/tile-plan.ts', 'src/restore/modes.ts', 'src/restore/palette.ts', 'src/restore/estimator-input.ts', 'src/util/errors.ts']) {
    assert.ok(source.files.includes(shared), `${shared} not reached (reached: ${source.files.join(', ')})`);
  }

  const compiledDir = path.join(packageRoot, 'dist', 'browser');
  assert.ok(existsSync(compiledDir), 'dist/browser is missing: build first');
  const compiled = scan(entriesIn(compiledDir, '.js'), (from, spec) => path.resolve(path.dirname(from), spec));
  assert.deepEqual(compiled.problems, []);
  assert.ok(compiled.files.includes(path.join('dist', 'restore', 'tile-plan.js')));
});
