import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { packageRoot } from '../../util/paths.js';

const bin = path.join(packageRoot, 'bin', 'abair.js');

test('abair restore without a trained model: one clear line, exit 1, nothing written', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-cli-restore-'));
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(path.join(dir, 'x.png'));
  const r = spawnSync(process.execPath, [bin, 'restore', 'x.png'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^abair: no trained default model is shipped yet: .*\n$/);
  assert.deepEqual(readdirSync(dir), ['x.png']);
});

test('abair restore usage errors exit 2', () => {
  const r = spawnSync(process.execPath, [bin, 'restore', 'a.png', 'b.png', '-o', 'c.png'], { cwd: tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /-o\/--output needs exactly one input/);
  const help = spawnSync(process.execPath, [bin, 'restore', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--explain/);
});
