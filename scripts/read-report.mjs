/**
 * Shared by the compare scripts: read a JSON report, or print why not and exit 1 (a script's
 * user gets one line, not a stack trace).
 */
import { readFileSync } from 'node:fs';

/** The parsed file if `accept(json)` holds; else prints `<file>: <what>` and exits 1. */
export function readReport(file, accept, what) {
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    process.exit(1);
  }
  if (!accept(json)) {
    console.error(`${file}: ${what}`);
    process.exit(1);
  }
  return json;
}
