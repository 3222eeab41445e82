/**
 * Replacing a model folder as a whole, so a reader (or a crash) never sees it half updated: the
 * new folder is built beside it (a copy of the source plus the changes), then swapped in with two
 * renames. Between them the old folder is kept under a ".replaced" name; {@link recoverSwap}
 * (run before the next change) puts it back if a crash left the model missing.
 */
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';

interface FolderChanges {
  /** file name → bytes or text to write */
  write?: Record<string, string | Uint8Array>;
  /** file name → an existing file to copy in */
  copy?: Record<string, string>;
  /** file names of the source not to carry over */
  remove?: readonly string[];
}

const stagingPrefix = (dest: string) => `.${path.basename(dest)}.staging-`;
const replacedPrefix = (dest: string) => `.${path.basename(dest)}.replaced-`;

async function siblings(dest: string, prefix: string): Promise<string[]> {
  const names = await fs.readdir(path.dirname(dest)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix)).sort().map((n) => path.join(path.dirname(dest), n));
}

/**
 * Finishes or undoes a swap that a crash interrupted: a missing `dest` with a ".replaced" sibling
 * gets it back; leftover staging folders are removed. Returns a line saying what was done, if anything.
 */
export async function recoverSwap(dest: string): Promise<string | null> {
  const target = path.resolve(dest);
  let note: string | null = null;
  const replaced = await siblings(target, replacedPrefix(target));
  if (!existsSync(target) && replaced.length > 0) {
    await fs.rename(replaced.at(-1)!, target);
    note = `${target}: restored the folder an interrupted update had set aside`;
  }
  for (const dir of [...(await siblings(target, stagingPrefix(target))), ...(existsSync(target) ? await siblings(target, replacedPrefix(target)) : [])]) {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return note;
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes `dest` a copy of `source` (which may be `dest` itself) with `changes` applied, atomically
 * as far as readers of `dest` can tell. `source`'s own files are only read.
 */
export async function publishFolder(source: string, dest: string, changes: FolderChanges): Promise<void> {
  const target = path.resolve(dest);
  const stamp = `${process.pid}-${Date.now()}`;
  const staging = path.join(path.dirname(target), `${stagingPrefix(target)}${stamp}`);
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.cp(path.resolve(source), staging, { recursive: true, errorOnExist: true, force: false });
    for (const name of changes.remove ?? []) await fs.rm(path.join(staging, name), { force: true });
    for (const [name, from] of Object.entries(changes.copy ?? {})) await fs.copyFile(from, path.join(staging, name));
    for (const [name, content] of Object.entries(changes.write ?? {})) await fs.writeFile(path.join(staging, name), content);
    for (const name of [...Object.keys(changes.copy ?? {}), ...Object.keys(changes.write ?? {})]) await syncFile(path.join(staging, name));
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot prepare the new ${target} beside it (${e.code ?? e.message}); nothing was changed`);
  }
  if (!existsSync(target)) {
    await fs.rename(staging, target);
    return;
  }
  const replaced = path.join(path.dirname(target), `${replacedPrefix(target)}${stamp}`);
  try {
    await fs.rename(target, replaced);
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new UserError(`cannot replace ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was changed`);
  }
  try {
    await fs.rename(staging, target);
  } catch (err) {
    await fs.rename(replaced, target);
    await fs.rm(staging, { recursive: true, force: true });
    throw new UserError(`cannot move the new folder into place as ${target} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the old one was kept`);
  }
  await fs.rm(replaced, { recursive: true, force: true });
}
