/**
 * Atomic file writes: a reader (or a crash) never sees a half-written output. The data goes to a
 * uniquely named temp file in the target's own folder (same filesystem, so rename is atomic), is
 * fsync'ed, then renamed over the target. Any failure removes the temp file.
 */
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError } from './errors.js';

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  // Leading dot hides it from casual listings; pid + random bytes keep concurrent writers apart.
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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

/** Writes `data` to `target` atomically (replacing any existing file). */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const temp = tempPathFor(target);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.rm(temp, { force: true }).catch(() => {});
    throw err;
  }
  await syncFolder(path.dirname(target));
}

export interface WritableTargetOptions {
  /** Replace an existing file instead of refusing. */
  overwrite?: boolean;
}

/**
 * Refuses (UserError) a target that cannot or should not be written: an existing file without
 * `overwrite`, a folder, or a path whose parent folder does not exist. Call before the expensive
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
    return;
  }
  const dir = path.dirname(path.resolve(target));
  const dirStat = await fs.stat(dir).catch(() => null);
  if (!dirStat) throw new UserError(`cannot write ${target}: folder ${path.dirname(target)} does not exist`);
  if (!dirStat.isDirectory()) throw new UserError(`cannot write ${target}: ${path.dirname(target)} is not a folder`);
}
