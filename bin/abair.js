#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled TypeScript (npm ci runs `prepare`, which builds dist/).
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(`abair: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
