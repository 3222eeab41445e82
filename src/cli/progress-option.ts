/**
 * The one progress flag every long-running command shares: `--progress auto|lines|silent`, with
 * `--no-progress` kept as the older spelling of `--progress silent`.
 */
import { Option, type Command } from 'commander';

const PROGRESS_CHOICES = ['auto', 'lines', 'silent'] as const;
export type ProgressChoice = (typeof PROGRESS_CHOICES)[number];

export function addProgressOption(command: Command): Command {
  return command
    .addOption(
      new Option('--progress <mode>', 'progress on stderr: auto (a bar on a terminal, a line every few seconds otherwise), lines or silent')
        .choices(PROGRESS_CHOICES)
        .default('auto'),
    )
    .addOption(new Option('--no-progress', 'same as --progress silent'));
}

/** The parsed option value (a choice, or false from --no-progress) as a progress mode. */
export function progressChoice(value: unknown): ProgressChoice {
  if (value === false) return 'silent';
  return PROGRESS_CHOICES.includes(value as ProgressChoice) ? (value as ProgressChoice) : 'auto';
}
