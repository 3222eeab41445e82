import test from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram } from './main.js';
import { progressChoice } from './progress-option.js';
import { progressModeFrom } from '../util/progress.js';

function find(program: Command, names: string[]): Command {
  let command = program;
  for (const name of names) command = command.commands.find((c) => c.name() === name)!;
  assert.ok(command, names.join(' '));
  return command;
}

test('every command that shows progress spells it --progress auto|lines|silent, with --no-progress as the old alias', () => {
  const program = buildProgram();
  for (const names of [['restore'], ['eval'], ['train', 'pretrain'], ['train', 'adapter'], ['train', 'estimator'], ['add-degradation']]) {
    const flags = find(program, names).options.map((o) => o.flags);
    assert.ok(flags.includes('--progress <mode>'), `${names.join(' ')}: ${flags.join(' ')}`);
    assert.ok(flags.includes('--no-progress'), names.join(' '));
  }
});

test('progress values: choices, the --no-progress false, --quiet', () => {
  assert.equal(progressChoice(false), 'silent');
  assert.equal(progressChoice('lines'), 'lines');
  assert.equal(progressChoice(undefined), 'auto');
  assert.equal(progressModeFrom('auto', 'lines'), 'lines');
  assert.equal(progressModeFrom(undefined, 'tty'), 'tty');
  assert.equal(progressModeFrom('lines', 'tty'), 'lines');
  assert.equal(progressModeFrom(false), 'silent');
  assert.equal(progressModeFrom('lines', 'auto', true), 'silent');
});
