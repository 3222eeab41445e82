import { promises as fs } from 'node:fs';
import { UserError } from './errors.js';

/** Parses a JSON file; a missing or malformed file is a one-line UserError naming it. */
export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'file not found' : err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message}`);
  }
}
