import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { UserError } from '../../util/errors.js';
import { sharedDataDir } from '../../util/paths.js';
import { splitByPathHash } from './holdout.js';
import { listImages, openImageFolders } from './image-source.js';
import { openPairFolders } from './pairs.js';

test('splitByPathHash: deterministic, disjoint, complete, ~fraction, at least one held out', () => {
  const names = Array.from({ length: 1000 }, (_, i) => `dir${i % 7}/img_${i}.jpg`);
  const a = splitByPathHash(names, 0.05);
  const b = splitByPathHash([...names], 0.05);
  assert.deepEqual(a, b);
  const all = new Set([...a.train, ...a.holdout]);
  assert.equal(all.size, names.length);
  assert.equal(a.train.length + a.holdout.length, names.length);
  assert.ok(a.holdout.length >= 30 && a.holdout.length <= 75, `held out ${a.holdout.length} of 1000`);
  // membership depends on the path only, not on the list it is in
  const heldNames = new Set(a.holdout.map((i) => names[i]));
  const sub = names.filter((_, i) => i % 3 === 0);
  const s = splitByPathHash(sub, 0.05);
  assert.ok(s.holdout.length > 0);
  for (const i of s.holdout) assert.ok(heldNames.has(sub[i]), `${sub[i]} held out only in the sub-list`);
  // tiny sets: at least one held out, at least one kept
  const two = splitByPathHash(['a.png', 'b.png'], 0.05);
  assert.equal(two.holdout.length, 1);
  assert.equal(two.train.length, 1);
  assert.deepEqual(splitByPathHash(['a.png'], 0.05).train, [0]);
  assert.equal(splitByPathHash(names, 0).holdout.length, 0);
});

test('openImageFolders: recursive listing, lazy cached decode, clear errors', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'abair-src-'));
  try {
    await mkdir(path.join(dir, 'sub'));
    const img = (w: number, h: number, v: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: 255 - v, b: 7 } } });
    await img(20, 12, 10).png().toFile(path.join(dir, 'a.png'));
    await img(16, 16, 99).jpeg().toFile(path.join(dir, 'sub', 'b.JPG'));
    await img(9, 5, 128).toColourspace('b-w').png().toFile(path.join(dir, 'sub', 'gray.png'));
    await writeFile(path.join(dir, 'notes.txt'), 'not an image');
    const listed = await listImages(dir);
    assert.deepEqual(listed.map((l) => l.relative), ['a.png', 'sub/b.JPG', 'sub/gray.png']);
    const { train, holdout } = await openImageFolders([dir]);
    assert.equal(train.size + holdout.size, 3);
    assert.ok(holdout.size >= 1 && train.size >= 1);
    const names = new Set([...train.names, ...holdout.names]);
    assert.equal(names.size, 3, 'train and holdout are disjoint');
    for (const source of [train, holdout]) {
      for (let i = 0; i < source.size; i++) {
        const raw = await source.getRaw(i);
        assert.equal(raw.data.length, raw.width * raw.height * 3);
        assert.equal(await source.getRaw(i), raw, 'decoded once, then cached');
        const f = await source.get(i);
        assert.equal(f.data[0], Math.fround(raw.data[0]! / 255));
      }
    }
    const empty = await mkdtemp(path.join(os.tmpdir(), 'abair-empty-'));
    await assert.rejects(openImageFolders([empty]), (e: unknown) => e instanceof UserError && /no images found/.test((e as Error).message));
    await rm(empty, { recursive: true });
    await assert.rejects(openImageFolders([path.join(dir, 'missing')]), /folder not found/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('openPairFolders: matches by name across extensions and lists the unmatched', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'abair-pairs-'));
  try {
    const inDir = path.join(dir, 'in'), outDir = path.join(dir, 'out');
    await mkdir(inDir);
    await mkdir(outDir);
    const make = (file: string) => sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(file);
    await make(path.join(inDir, '001.png'));
    await make(path.join(outDir, '001.webp'));
    const pairs = await openPairFolders(inDir, outDir);
    assert.equal(pairs.size, 1);
    assert.deepEqual(pairs.names, ['001']);
    const p = await pairs.get(0);
    assert.equal(p.input.width, 8);
    await make(path.join(inDir, '002.png'));
    await make(path.join(outDir, '003.png'));
    await assert.rejects(openPairFolders(inDir, outDir), (e: unknown) => e instanceof UserError && /only: 002/.test((e as Error).message) && /only: 003/.test((e as Error).message));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('the shared training folders split without overlap (listing only, no decoding)', { skip: !existsSync(path.join(sharedDataDir(), 'train', 'clean')) }, async () => {
  const root = path.join(sharedDataDir(), 'train', 'clean');
  const a = await openImageFolders([root]);
  const b = await openImageFolders([root]);
  assert.deepEqual(a.holdout.names, b.holdout.names);
  const held = new Set(a.holdout.names);
  assert.ok(a.train.names.every((n) => !held.has(n)));
  const total = a.train.size + a.holdout.size;
  assert.ok(a.holdout.size >= 0.02 * total && a.holdout.size <= 0.1 * total, `${a.holdout.size} of ${total} held out`);
});
