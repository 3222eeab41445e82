import type { Command } from 'commander';

/** Registers `abair model` (placeholder until its issue lands: registers nothing yet). */
export function register(_program: Command): void {}
