/**
 * Typed errors of the library. Commands map them to exit codes in one place
 * (src/lib/exit.ts); library code never exits.
 *
 * Exit codes (README "Exit codes"):
 *   0 success, 1 unexpected error, 2 usage error,
 *   3 a threshold or check failed, 4 input problem (unreadable file, corrupt database).
 */
export class KcloudError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A user's flags or arguments are wrong (exit 2). */
export class UsageError extends KcloudError {
  override readonly exitCode = 2;
}

/** A check or threshold failed (exit 3). */
export class CheckFailedError extends KcloudError {
  override readonly exitCode = 3;
}

/** Input could not be read: a file, a database (exit 4). */
export class InputError extends KcloudError {
  override readonly exitCode = 4;
}

/** The database is locked by another process for longer than we were willing to wait (exit 1). */
export class LockTimeoutError extends KcloudError {
  constructor(
    message: string,
    readonly holder?: string,
  ) {
    super(message);
  }
}

/** A query ran past --timeout and was interrupted (exit 1, like a lock held too long). */
export class QueryTimeoutError extends KcloudError {}

/** Something the user asked for does not exist (exit 1), e.g. an unknown workload id. */
export class NotFoundError extends KcloudError {}
