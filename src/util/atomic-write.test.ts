import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from './errors.js';
import { spawnSync } from 'node:child_process';
import { assertFolderWritable, assertWritableTarget, pendingTempFiles, removePendingTempFilesSync, removeStaleTempFiles, writeFileAtomic } from './atomic-write.js';

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

test('exclusive writers to one target: exactly one publishes, the others fail with "already exists (use --overwrite"', async () => {
  const file = path.join(dir, 'exclusive.txt');
  const contents = Array.from({ length: 6 }, (_, i) => String(i).repeat(5000));
  const results = await Promise.allSettled(contents.map((c) => writeFileAtomic(file, c, { exclusive: true })));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof UserError && /^cannot write .*exclusive\.txt: it already exists \(use --overwrite/.test(r.reason.message), String(r.reason));
  }
  const winner = contents[results.findIndex((r) => r.status === 'fulfilled')]!;
  assert.equal(await fs.readFile(file, 'utf8'), winner);
  // and an existing file is never replaced by an exclusive write
  await assert.rejects(writeFileAtomic(file, 'other', { exclusive: true }), /already exists/);
  assert.equal(await fs.readFile(file, 'utf8'), winner);
  assert.deepEqual(await tempFiles(), []);
  assert.deepEqual(pendingTempFiles(), []);
});

test('write failures name the target, not the hidden temp file', async () => {
  const target = path.join(dir, 'nowhere', 'x.png');
  await assert.rejects(writeFileAtomic(target, 'x'), (err: Error) => err instanceof UserError && err.message.startsWith(`cannot write ${target}:`) && !/\.tmp/.test(err.message));
});

/** A folder this process cannot create files in: a read-only one (0555) unless root, whom permissions do not stop; then /sys. */
async function unwritableFolder(): Promise<string | null> {
  if (process.getuid?.() !== 0) {
    const ro = path.join(dir, 'read-only');
    await fs.mkdir(ro, { recursive: true });
    await fs.chmod(ro, 0o555);
    return ro;
  }
  const probe = await fs.writeFile('/sys/.abair-probe', 'x').then(() => true, () => false);
  return probe ? null : '/sys';
}

test('assertWritableTarget finds a folder that cannot be written before anything is computed', async (t) => {
  const ro = await unwritableFolder();
  if (!ro) return t.skip('no unwritable folder available on this machine');
  const target = path.join(ro, 'out.png');
  await assert.rejects(assertWritableTarget(target), (err: Error) => err instanceof UserError && err.message.startsWith(`cannot write ${target}:`) && !/\.tmp/.test(err.message));
  await assert.rejects(assertFolderWritable(ro), /cannot write/);
  await assertFolderWritable(dir);
  assert.deepEqual(await tempFiles(), []);
});

test('removeStaleTempFiles deletes temp files of writers that no longer run, keeps live ones and other files', async () => {
  const sub = path.join(dir, 'stale');
  await fs.mkdir(sub);
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // has exited by now
  const staleA = path.join(sub, `.a.png.${dead}.0123456789ab.tmp`);
  const staleB = path.join(sub, `.b.png.${dead}.0123456789ab.tmp`);
  const live = path.join(sub, `.a.png.${process.pid}.0123456789ab.tmp`);
  const other = path.join(sub, '.a.png.notes.tmp');
  for (const f of [staleA, staleB, live, other]) await fs.writeFile(f, 'x');
  assert.deepEqual(await removeStaleTempFiles(sub, ['a.png']), [staleA]);
  assert.deepEqual(await removeStaleTempFiles(sub), [staleB]);
  assert.deepEqual((await fs.readdir(sub)).sort(), [path.basename(other), path.basename(live)].sort());
  assert.deepEqual(await removeStaleTempFiles(path.join(dir, 'no-such-folder')), []);
});

test('removePendingTempFilesSync deletes a temp file whose write has not been published (what a signal handler runs)', async () => {
  const file = path.join(dir, 'pending.bin');
  const write = writeFileAtomic(file, new Uint8Array(1 << 20));
  // let the write open its temp file, then clean up as a SIGINT handler would
  while (pendingTempFiles().length === 0) await new Promise((r) => setImmediate(r));
  const [temp] = pendingTempFiles();
  removePendingTempFilesSync();
  assert.equal(await fs.stat(temp!).then(() => true, () => false), false);
  await write.catch(() => {}); // its rename now fails (the temp is gone) or it already happened
  assert.deepEqual(await tempFiles(), []);
});
