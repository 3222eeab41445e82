/** An error whose message is meant for the user as is (no stack trace); exit code 1 by default. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad usage detected after argument parsing (invalid value, conflicting options): exit code 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
