/**
 * Atomic file writes: a reader (or a crash) never sees a half-written output. The data goes to a
 * uniquely named temp file in the target's own folder (same filesystem, so the final step is
 * atomic), is fsync'ed, then published:
 *
 * - replacing (the default, and `--overwrite`): rename over the target;
 * - exclusive (`exclusive: true`): hard-link the temp file to the target, which fails with EEXIST
 *   when the target exists, then unlink the temp. Checking first and renaming afterwards would let
 *   a second writer silently replace the first one's file; link cannot. Filesystems without hard
 *   links fall back to an exclusive copy (COPYFILE_EXCL: still never replaces, though a reader may
 *   then see the copy while it is being made).
 *
 * Temp files are `.<name>.<pid>.<12 hex>.tmp`. Those of this process are tracked until published
 * or removed, so a signal handler can delete them (removePendingTempFilesSync); those left by a
 * killed process (pid no longer running) are deleted by removeStaleTempFiles, which the restore
 * and training commands run on their output folders. Failures are UserErrors naming the target,
 * never the hidden temp file.
 */
import { constants as fsConstants, promises as fs, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from './errors.js';

const TEMP_PATTERN = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Temp files this process has created and not yet published or removed. */
const pending = new Set<string>();

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  // Leading dot hides it from casual listings; pid + random bytes keep concurrent writers apart
  // and let a later run tell whether the writer is still alive.
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Deletes this process's unpublished temp files (synchronous: safe in a signal or exit handler). */
export function removePendingTempFilesSync(): void {
  for (const file of pending) rmSync(file, { force: true });
  pending.clear();
}

/** This process's unpublished temp files (for tests and diagnostics). */
// @testSeam: tested directly (atomic-write.test.ts)
export function pendingTempFiles(): string[] {
  return [...pending];
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Removes temp files in `dir` that a writer which no longer runs left behind (killed mid-write);
 * with `names`, only those of these target file names. Returns the removed paths. A missing or
 * unreadable folder removes nothing.
 */
export async function removeStaleTempFiles(dir: string, names?: readonly string[]): Promise<string[]> {
  const entries = await fs.readdir(dir).catch(() => [] as string[]);
  const wanted = names ? new Set(names) : null;
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMP_PATTERN.exec(entry);
    if (!match) continue;
    if (wanted && !wanted.has(match[1]!)) continue;
    const file = path.join(dir, entry);
    if (processIsAlive(Number(match[2]))) continue; // still being written (or this process's own)
    if (await fs.rm(file, { force: true }).then(() => true, () => false)) removed.push(file);
  }
  return removed;
}

/** Best-effort fsync of a folder so the rename itself survives a crash (not supported everywhere). */
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the data itself is already synced.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** One line saying why `target` could not be written, for a filesystem error code. */
function writeFailure(target: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const folder = path.dirname(target);
  const reason: Record<string, string> = {
    EEXIST: 'it already exists (use --overwrite to replace it)',
    ENOENT: `folder ${folder} does not exist (ENOENT)`,
    ENOTDIR: `${folder} is not a folder (ENOTDIR)`,
    EISDIR: 'it is a folder (EISDIR)',
    EROFS: `folder ${folder} is on a read-only file system (EROFS)`,
    EACCES: `no permission to write in ${folder} (EACCES)`,
    EPERM: `not permitted to write in ${folder} (EPERM)`,
    ENOSPC: 'no space left on the device (ENOSPC)',
    EDQUOT: 'disk quota exceeded (EDQUOT)',
  };
  const text = (code && reason[code]) ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
  const error = new UserError(`cannot write ${target}: ${text}`);
  (error as UserError & { code?: string }).code = code;
  return error;
}

/** Publishes `temp` as `target` without ever replacing an existing file. */
async function publishExclusive(temp: string, target: string): Promise<void> {
  try {
    await fs.link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // No hard links here (FAT, some network and container filesystems): copy, still exclusively.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
    await fs.copyFile(temp, target, fsConstants.COPYFILE_EXCL);
  }
  await fs.rm(temp, { force: true });
}

interface AtomicWriteOptions {
  /** Never replace an existing target: fail with "already exists (use --overwrite …)" instead. */
  exclusive?: boolean;
}

/**
 * Writes `data` to `target` atomically: replacing an existing file, or with `exclusive` failing
 * (UserError) when the target exists, even if another writer creates it meanwhile.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(target);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    pending.add(temp);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.exclusive) await publishExclusive(temp, target);
    else await fs.rename(temp, target);
    pending.delete(temp);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.rm(temp, { force: true }).catch(() => {});
    pending.delete(temp);
    throw writeFailure(target, err);
  }
  await syncFolder(path.dirname(target));
}

interface WritableTargetOptions {
  /** Replace an existing file instead of refusing. */
  overwrite?: boolean;
}

/**
 * Refuses (UserError) a target that cannot or should not be written: an existing file without
 * `overwrite`, a folder, a path whose parent folder does not exist, or a folder this process
 * cannot create files in (read-only mount, no permission: found by creating and removing a probe
 * temp file, which also catches what permission bits do not show). Call before the expensive
 * work, so a run does not fail only at the very end.
 */
export async function assertWritableTarget(target: string, options: WritableTargetOptions = {}): Promise<void> {
  const stat = await fs.stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw new UserError(`cannot write ${target}: ${err.message}`);
  });
  if (stat) {
    if (stat.isDirectory()) throw new UserError(`cannot write ${target}: it is a folder`);
    if (!options.overwrite) throw new UserError(`${target} already exists (use --overwrite to replace it)`);
  } else {
    const dir = path.dirname(path.resolve(target));
    const dirStat = await fs.stat(dir).catch(() => null);
    if (!dirStat) throw new UserError(`cannot write ${target}: folder ${path.dirname(target)} does not exist`);
    if (!dirStat.isDirectory()) throw new UserError(`cannot write ${target}: ${path.dirname(target)} is not a folder`);
  }
  await assertFolderWritable(path.dirname(target), target);
}

/** Refuses (UserError) a folder in which a file cannot be created; `forTarget` names it in the message. */
export async function assertFolderWritable(dir: string, forTarget = path.join(dir, 'output')): Promise<void> {
  const probe = tempPathFor(forTarget);
  try {
    const handle = await fs.open(probe, 'wx');
    await handle.close();
  } catch (err) {
    throw writeFailure(forTarget, err);
  } finally {
    await fs.rm(probe, { force: true }).catch(() => {});
  }
}
