/**
 * Errors that are input problems rather than bugs: a damaged database file, a
 * full disk. Some corruption shows only when a query reads a damaged block, so
 * these can come from any query; `storeFailure` turns DuckDB's into an
 * InputError (exit 4) naming the database, and leaves every other error alone
 * (a genuine bug stays an unexpected error). `writeFailure` does the same for
 * the files commands write (reports, keys).
 */
import { InputError, KcloudError } from '../errors.js';

/**
 * DuckDB's messages for a damaged file (its block checksums, short reads,
 * header checks, decoders that find impossible values). DuckDB's own
 * "INTERNAL Error"s are not among them: they are its bugs as often as damage.
 */
const CORRUPT_RE = new RegExp(
  [
    String.raw`Corrupt(?:ed)? (?:database|WAL|\w+ segment)`,
    String.raw`computed checksum \d+ does not match stored checksum`,
    String.raw`Could not read enough bytes from file`,
    String.raw`not a valid DuckDB database`,
    String.raw`database file (?:may be|appears to be) corrupt`,
    String.raw`corrupt database file`,
    String.raw`Data corruption detected`,
  ].join('|'),
  'i',
);

/** The device is full (or a quota or DuckDB's temp-space limit is reached). */
const DISK_FULL_RE =
  /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT|disk is full|max_temp_directory_size/i;

const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim();

/**
 * DuckDB errors about the query itself (a name, a value, a statement the user wrote): whatever
 * text they quote, the file is not at fault.
 */
const QUERY_ERROR_RE = /^(?:Catalog|Parser|Binder|Conversion|Invalid Input|Constraint|Permission) Error:/;

/** The first line of a DuckDB error that may be about the file, or undefined. */
function duckdbFileError(e: unknown): string | undefined {
  if (e instanceof KcloudError) return undefined;
  const msg = firstLine(e);
  return QUERY_ERROR_RE.test(msg) ? undefined : msg;
}

/**
 * The store itself failed (exit 4): damaged, out of disk or memory. Unlike an unreadable log
 * file, which is reported and skipped, this stops an ingest: nothing more can be committed.
 */
export class StoreFailure extends InputError {}

/** The database file is damaged (exit 4). */
export class CorruptStoreError extends StoreFailure {}

/** The device the database is on is full (exit 4). */
export class DiskFullError extends StoreFailure {}

/** DuckDB could not get the memory a batch needs (exit 4). */
export class OutOfMemoryError extends StoreFailure {}

/** DuckDB ran out of buffer memory (no row is to blame: the batch, not the data, is too big). */
export const isOutOfMemory = (e: unknown): boolean =>
  /Out of Memory|failed to pin block|failed to allocate|could not allocate/i.test(duckdbFileError(e) ?? '');

export const isCorruption = (e: unknown): boolean => CORRUPT_RE.test(duckdbFileError(e) ?? '');

export const isDiskFull = (e: unknown): boolean =>
  DISK_FULL_RE.test(duckdbFileError(e) ?? '') || (e as NodeJS.ErrnoException)?.code === 'ENOSPC';

/** A corrupt file or a full disk: an input problem, never a rule's or a query's fault. */
export const isStoreFailure = (e: unknown): boolean => isCorruption(e) || isDiskFull(e);

export function corruptStore(dbPath: string, detail: string): CorruptStoreError {
  return new CorruptStoreError(
    `database ${dbPath}: the database file is corrupt: ${detail}; restore it from a backup, or ingest the logs again into a new --db`,
  );
}

export function diskFull(file: string, detail: string): DiskFullError {
  return new DiskFullError(
    `${file}: no space left on the device (${detail}); free disk space there, then run the same command again`,
  );
}

/** Writing `file` (a report, a key) failed: an input problem, the full disk named as such. */
export function writeFailure(file: string, e: unknown): InputError {
  const why = (e as NodeJS.ErrnoException).code ?? firstLine(e);
  return isDiskFull(e)
    ? diskFull(`cannot write ${file}`, why)
    : new InputError(`cannot write ${file}: ${why}`);
}

/**
 * A DuckDB error while using the database at `dbPath`, as the input problem it is (corrupt file,
 * full disk), or undefined when it is neither. A corrupt file is named as such even when another
 * input error carries DuckDB's message (a failed ingest commit is reported as a lack of memory or
 * disk): it is the cause to fix.
 */
export function storeFailure(e: unknown, dbPath: string): InputError | undefined {
  if (e instanceof StoreFailure) return e;
  if (e instanceof InputError) {
    const m = CORRUPT_RE.exec(e.message);
    return m ? corruptStore(dbPath, e.message.slice(m.index).replace(/\).*$/s, '')) : undefined;
  }
  const msg = duckdbFileError(e);
  if (msg === undefined) return undefined;
  if (CORRUPT_RE.test(msg)) return corruptStore(dbPath, msg);
  if (isDiskFull(e)) return diskFull(`database ${dbPath}`, msg);
  if (isOutOfMemory(e)) {
    return new OutOfMemoryError(
      `database ${dbPath}: DuckDB ran out of memory (${msg}); nothing of the batch was committed. Raise --memory-limit or lower --batch-size, then run the same command again: it resumes where the last commit ended`,
    );
  }
  return undefined;
}
