import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** Short content hash of a file (16 hex digits of its sha256): what a derived file records of the file it was made from. */
export async function fileDigest(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16);
}
