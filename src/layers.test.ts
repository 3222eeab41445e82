/**
 * The house rule: a file imports only what stands below it. The command line (src/cli) and the
 * benchmarks (src/bench) stand on top, so no library file imports them; tests may (they exercise
 * the whole stack). Checked on the sources, so a new upward import fails here.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

test('no library file imports the command line or the benchmarks', () => {
  const upward: string[] = [];
  for (const file of sources(root)) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    const top = rel.split('/')[0];
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\()\s*['"](\.[^'"]+)['"]/g)) {
      const target = path.relative(root, path.resolve(path.dirname(file), match[1]!)).split(path.sep).join('/');
      const layer = target.split('/')[0];
      if ((layer === 'cli' && top !== 'cli') || (layer === 'bench' && top !== 'bench' && top !== 'cli')) upward.push(`${rel} → ${target}`);
    }
  }
  assert.deepEqual(upward, []);
});
