/**
 * Test helper, preloaded into a child process with `node --import` (never imported by the product):
 * makes the Nth publish (rename or link) of a file named $ABAIR_TEST_HANG_ON hang forever, after
 * writing $ABAIR_TEST_HANG_MARKER, so a test can kill the process exactly while a complete temp
 * file waits to be published: the moment a real kill during a write is most likely to leave one.
 * $ABAIR_TEST_HANG_AFTER (default 0) publishes of that name go through first.
 */
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';

const name = process.env['ABAIR_TEST_HANG_ON'];
const marker = process.env['ABAIR_TEST_HANG_MARKER'];
let allowed = Number(process.env['ABAIR_TEST_HANG_AFTER'] ?? 0);

if (name && marker) {
  for (const method of ['rename', 'link'] as const) {
    const original = fs[method].bind(fs) as (from: string, to: string) => Promise<void>;
    (fs as unknown as Record<string, unknown>)[method] = async (from: string, to: string) => {
      if (path.basename(String(to)) === name && allowed-- <= 0) {
        writeFileSync(marker, String(from));
        setInterval(() => {}, 1 << 30); // keep the process alive until it is killed
        return new Promise<void>(() => {});
      }
      return original(from, to);
    };
  }
}
