/**
 * Turning `abair restore` arguments into image files: plain files (taken as given), folders
 * (their image files, not recursive) and glob patterns with * and ? in any path segment (quoted
 * globs that the shell did not expand; Node 20 has no fs.glob). Folders and globs skip hidden
 * files and abair's own outputs (*.restored.*, *.explain.*), so re-running on a folder does not
 * restore the restorations.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif']);

interface ExpandedInputs {
  /** files in argument order (folder and glob matches sorted by name), duplicates removed */
  files: string[];
  /** one line per argument that produced nothing: missing path, empty folder, unmatched glob */
  problems: string[];
}

function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

/** A path segment pattern → RegExp: * = any run of characters, ? = one character, no '/'. */
// @testSeam: tested directly (inputs.test.ts)
export function segmentPattern(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Whether a file found in a folder or by a glob is a restorable image (not one of our outputs). */
// @testSeam: tested directly (inputs.test.ts)
export function isCandidateImage(name: string): boolean {
  if (name.startsWith('.')) return false;
  const ext = path.extname(name).toLowerCase();
  if (!IMAGE_EXTENSIONS.has(ext)) return false;
  const stem = name.slice(0, -ext.length);
  return !/\.(restored|explain)$/i.test(stem);
}

async function isFile(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => null))?.isFile() ?? false;
}

/** All files matching a glob, sorted. */
// @testSeam: tested directly (inputs.test.ts)
export async function expandGlob(pattern: string): Promise<string[]> {
  const segments = pattern.split(/[\\/]/);
  const firstWild = segments.findIndex(hasWildcard);
  const base = firstWild === 0 ? '' : segments.slice(0, firstWild).join('/') || '/';
  let candidates = [base];
  for (let i = firstWild; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of candidates) {
      if (!hasWildcard(segment)) {
        next.push(dir ? path.join(dir, segment) : segment);
        continue;
      }
      const regex = segmentPattern(segment);
      const entries = await fs.readdir(dir || '.', { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.name.startsWith('.') && !segment.startsWith('.')) continue; // like shells: * skips dotfiles
        if (!regex.test(entry.name)) continue;
        const full = dir ? path.join(dir, entry.name) : entry.name;
        if (last || entry.isDirectory() || entry.isSymbolicLink()) next.push(full);
      }
    }
    candidates = next;
  }
  const files: string[] = [];
  for (const file of candidates) if (isCandidateImage(path.basename(file)) && (await isFile(file))) files.push(file);
  return files.sort();
}

export async function expandInputs(args: readonly string[]): Promise<ExpandedInputs> {
  const files: string[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const key = path.resolve(file);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  for (const arg of args) {
    const stat = await fs.stat(arg).catch(() => null);
    if (stat?.isDirectory()) {
      const names = (await fs.readdir(arg)).filter(isCandidateImage).sort();
      const found = [];
      for (const name of names) if (await isFile(path.join(arg, name))) found.push(path.join(arg, name));
      if (found.length === 0) problems.push(`${arg}: no images in this folder`);
      found.forEach(add);
    } else if (stat) {
      add(arg);
    } else if (hasWildcard(arg)) {
      const found = await expandGlob(arg);
      if (found.length === 0) problems.push(`${arg}: no images match`);
      found.forEach(add);
    } else {
      problems.push(`${arg}: no such file or folder`);
    }
  }
  return { files, problems };
}
