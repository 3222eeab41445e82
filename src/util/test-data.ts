/**
 * For tests that read the shared data folder (benchmark images, training photos, metric fixtures):
 * a fresh clone has none, so such tests skip with this one-line reason instead of failing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDataDir } from './paths.js';

/** false when every path (relative to the data folder) exists, else the skip reason naming the first missing one. */
export function needsData(...relative: string[]): string | false {
  const root = sharedDataDir();
  const missing = relative.find((r) => !existsSync(path.join(root, r)));
  return missing === undefined ? false : `needs the shared data folder (${path.join(root, missing)} not found; set ABAIR_DATA)`;
}
