import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { publishFolder, recoverSwap } from './publish.js';

test('publishFolder replaces a folder as a whole, or writes a new one; recoverSwap undoes a half-done swap', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'abair-publish-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const model = path.join(root, 'model');
  await mkdir(model);
  await writeFile(path.join(model, 'a.txt'), 'a');
  await writeFile(path.join(model, 'old.txt'), 'old');
  const extra = path.join(root, 'extra.bin');
  await writeFile(extra, 'x');
  await publishFolder(model, model, { copy: { 'b.bin': extra }, write: { 'c.json': '{}' }, remove: ['old.txt'] });
  assert.deepEqual((await readdir(model)).sort(), ['a.txt', 'b.bin', 'c.json']);
  assert.deepEqual((await readdir(root)).sort(), ['extra.bin', 'model'], 'no staging or replaced folder left');
  await publishFolder(model, path.join(root, 'copy'), { write: { 'd.txt': 'd' } });
  assert.deepEqual((await readdir(path.join(root, 'copy'))).sort(), ['a.txt', 'b.bin', 'c.json', 'd.txt']);
  assert.deepEqual((await readdir(model)).sort(), ['a.txt', 'b.bin', 'c.json'], 'the source is only read');
  // a crash between the two renames: the model is missing, its old self set aside
  await rename(model, path.join(root, '.model.replaced-1-2'));
  await mkdir(path.join(root, '.model.staging-1-2'));
  assert.match((await recoverSwap(model))!, /restored/);
  assert.equal(await readFile(path.join(model, 'a.txt'), 'utf8'), 'a');
  assert.deepEqual((await readdir(root)).sort(), ['copy', 'extra.bin', 'model']);
  assert.equal(await recoverSwap(model), null);
  // a failure while preparing leaves the destination as it was
  await assert.rejects(publishFolder(model, model, { copy: { 'e.bin': path.join(root, 'missing') } }), /nothing was changed/);
  assert.deepEqual((await readdir(model)).sort(), ['a.txt', 'b.bin', 'c.json']);
  assert.deepEqual((await readdir(root)).sort(), ['copy', 'extra.bin', 'model']);
});
