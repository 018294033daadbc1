/**
 * Typed errors of the library, each with its exit code; library code never exits. Commands end
 * with these codes in one place (BaseCommand: catch, checkFailed, inputProblem).
 */

/**
 * The exit codes (README "Exit codes"). 1 is for bugs only: every mistake or condition a user
 * can act on has its own code.
 */
export const EXIT = {
  ok: 0,
  /** A bug: an error nobody anticipated (DEBUG=* shows its stack). */
  unexpected: 1,
  /** The command line is wrong: a flag, an argument, a value out of range, a name that names nothing. */
  usage: 2,
  /** A check or threshold failed (the full result is still printed). */
  checkFailed: 3,
  /** Input could not be read: a file, a device, the database; a full disk. */
  input: 4,
  /** Busy or too slow: the store was locked past --lock-timeout, or a query ran past --timeout. */
  busy: 5,
  /** Not a command (as in a shell). */
  notFound: 127,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class KcloudError extends Error {
  readonly exitCode: number = EXIT.unexpected;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A user's flags or arguments are wrong (exit 2). */
export class UsageError extends KcloudError {
  override readonly exitCode: number = EXIT.usage;
}

/** A check or threshold failed (exit 3). */
export class CheckFailedError extends KcloudError {
  override readonly exitCode = EXIT.checkFailed;
}

/** Input could not be read: a file, a database (exit 4). */
export class InputError extends KcloudError {
  override readonly exitCode = EXIT.input;
}

/** The database is locked by another process for longer than we were willing to wait (exit 5). */
export class LockTimeoutError extends KcloudError {
  override readonly exitCode = EXIT.busy;
  constructor(
    message: string,
    readonly holder?: string,
  ) {
    super(message);
  }
}

/** The store is kept open by a running service, and what was asked cannot go through it (exit 5, busy). */
export class StoreServedError extends KcloudError {
  override readonly exitCode = EXIT.busy;
}

/** A query ran past --timeout and was interrupted (exit 5, like a lock held too long). */
export class QueryTimeoutError extends KcloudError {
  override readonly exitCode = EXIT.busy;
}

/** An argument names nothing stored (exit 2), e.g. an unknown workload id; the message suggests close matches. */
export class NotFoundError extends UsageError {}
