import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from './errors.js';
import { assertWritableTarget, writeFileAtomic } from './atomic-write.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'abair-atomic-'));
after(() => fs.rm(dir, { recursive: true, force: true }));

async function tempFiles(): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'));
}

test('writes bytes and strings, replacing an existing file, leaving no temp file', async () => {
  const file = path.join(dir, 'a.bin');
  await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await fs.readFile(file))], [1, 2, 3]);
  await writeFileAtomic(file, 'hello');
  assert.equal(await fs.readFile(file, 'utf8'), 'hello');
  assert.deepEqual(await tempFiles(), []);
});

test('a failed rename removes the temp file and keeps the target intact', async () => {
  const target = path.join(dir, 'occupied');
  await fs.mkdir(path.join(target, 'child'), { recursive: true }); // rename over a non-empty folder fails
  await assert.rejects(writeFileAtomic(target, 'data'));
  assert.ok((await fs.stat(target)).isDirectory());
  assert.deepEqual(await tempFiles(), []);
  await assert.rejects(writeFileAtomic(path.join(dir, 'no', 'such', 'folder.txt'), 'x'), /ENOENT/);
});

test('concurrent writers to one target each complete with whole content', async () => {
  const file = path.join(dir, 'race.txt');
  const contents = Array.from({ length: 8 }, (_, i) => String(i).repeat(10000));
  await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
  assert.ok(contents.includes(await fs.readFile(file, 'utf8')));
  assert.deepEqual(await tempFiles(), []);
});

test('assertWritableTarget refuses existing files unless overwrite, folders, and missing parents', async () => {
  const file = path.join(dir, 'exists.txt');
  await fs.writeFile(file, 'x');
  await assert.rejects(assertWritableTarget(file), (err: Error) => err instanceof UserError && /already exists.*--overwrite/.test(err.message));
  await assertWritableTarget(file, { overwrite: true });
  await assertWritableTarget(path.join(dir, 'new.txt'));
  await assert.rejects(assertWritableTarget(dir, { overwrite: true }), /is a folder/);
  await assert.rejects(assertWritableTarget(path.join(dir, 'missing', 'x.txt')), /folder .*missing does not exist/);
  await assert.rejects(assertWritableTarget(path.join(file, 'x.txt')), /is not a folder/);
});
