import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandGlob, expandInputs, isCandidateImage, segmentPattern } from './inputs.js';

test('segment patterns and candidate names', () => {
  assert.ok(segmentPattern('*.png').test('a.b.png'));
  assert.ok(!segmentPattern('*.png').test('a.pngx'));
  assert.ok(segmentPattern('img?.jpg').test('img1.jpg'));
  assert.ok(!segmentPattern('img?.jpg').test('img12.jpg'));
  assert.ok(segmentPattern('a+(b).png').test('a+(b).png')); // regex characters are literal
  assert.ok(isCandidateImage('x.JPG'));
  assert.ok(!isCandidateImage('x.restored.png'));
  assert.ok(!isCandidateImage('x.explain.png'));
  assert.ok(!isCandidateImage('.hidden.png'));
  assert.ok(!isCandidateImage('notes.txt'));
});

test('files, folders and globs (also in folder segments), in order, without duplicates', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'abair-inputs-'));
  for (const sub of ['s1', 's2']) {
    mkdirSync(path.join(dir, sub));
    for (const name of ['b.png', 'a.jpg', 'a.restored.jpg', 'c.txt']) writeFileSync(path.join(dir, sub, name), 'x');
  }
  assert.deepEqual(await expandGlob(path.join(dir, 's?', '*.*')), [
    path.join(dir, 's1', 'a.jpg'), path.join(dir, 's1', 'b.png'), path.join(dir, 's2', 'a.jpg'), path.join(dir, 's2', 'b.png'),
  ]);
  const { files, problems } = await expandInputs([
    path.join(dir, 's1', 'c.txt'), // explicit files are taken as given
    path.join(dir, 's1'),
    path.join(dir, 's1', '*.png'), // duplicate of the folder's b.png
    path.join(dir, 'missing.png'),
    path.join(dir, 'zz*'),
  ]);
  assert.deepEqual(files, [path.join(dir, 's1', 'c.txt'), path.join(dir, 's1', 'a.jpg'), path.join(dir, 's1', 'b.png')]);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /no such file/);
  assert.match(problems[1]!, /no images match/);
});
