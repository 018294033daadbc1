/** Read-only SQL for power users: one statement, a query, no writes, no file access. */
import type { Store } from '../store/open.js';
import { StatementType } from '../store/duckdb.js';
import { UsageError } from '../errors.js';
import { isOutOfMemory, OutOfMemoryError, storeFailure } from '../store/failure.js';

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN, StatementType.PRAGMA]);

/** DuckDB settings for the `sql` command's connection: no reading or writing files. */
export const SQL_SANDBOX = { enable_external_access: 'false' };

/**
 * DuckDB refused the query (a usage error), unless it ran out of memory (exit 4: raise
 * --memory-limit) or the database itself failed (corrupt, disk full).
 */
const refused = (store: Store, e: unknown): Error =>
  (isOutOfMemory(e)
    ? new OutOfMemoryError(
        `SQL: DuckDB ran out of memory (${String((e as Error).message)
          .split('\n')[0]!
          .slice(0, 300)}); raise --memory-limit (e.g. --memory-limit 1GB)`,
      )
    : undefined) ??
  storeFailure(e, store.path) ??
  new UsageError(`SQL: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`);

/** The one statement of `text`, prepared, if it is a query. */
async function prepareQuery(store: Store, text: string) {
  let extracted;
  try {
    extracted = await store.conn.extractStatements(text);
  } catch (e) {
    throw refused(store, e);
  }
  if (extracted.count !== 1) throw new UsageError(`SQL: give exactly one statement (got ${extracted.count})`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (e) {
    throw refused(store, e);
  }
  if (!ALLOWED.has(prepared.statementType)) {
    throw new UsageError(
      `SQL: only queries are allowed (SELECT, WITH, EXPLAIN); the store is read-only here`,
    );
  }
  return prepared;
}

export async function runReadOnlySql(store: Store, text: string, limit?: number): Promise<SqlResult> {
  const prepared = await prepareQuery(store, text);
  let reader;
  try {
    reader = limit === undefined ? await prepared.runAndReadAll() : await prepared.runAndReadUntil(limit);
  } catch (e) {
    throw refused(store, e);
  }
  const columns = reader.deduplicatedColumnNames();
  let rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  if (limit !== undefined) rows = rows.slice(0, limit);
  return { columns, rows };
}

/** A query's rows as they come, in chunks (DuckDB's vectors of 2,048 rows), as JSON values. */
export interface SqlStream {
  columns: string[];
  /** Per column: does it hold numbers (DuckDB's integer, decimal and floating types)? */
  numeric: boolean[];
  chunks: AsyncGenerator<Record<string, unknown>[]>;
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;

/**
 * Run a read-only query and stream its rows (at most `limit`): memory holds one chunk, whatever
 * the size of the result. The rows are those of runReadOnlySql, chunk by chunk.
 */
export async function streamReadOnlySql(store: Store, text: string, limit?: number): Promise<SqlStream> {
  const prepared = await prepareQuery(store, text);
  const result = await prepared.stream().catch((e: unknown) => {
    throw refused(store, e);
  });
  const columns = result.deduplicatedColumnNames();
  const numeric = result.columnTypes().map((t) => NUMERIC.test(t.toString()));
  async function* chunks(): AsyncGenerator<Record<string, unknown>[]> {
    let left = limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    try {
      for await (const rows of result.yieldRowObjectJson()) {
        const take = rows.length > left ? rows.slice(0, left) : rows;
        left -= take.length;
        yield take as Record<string, unknown>[];
        if (left <= 0) return;
      }
    } catch (e) {
      throw refused(store, e);
    }
  }
  return { columns, numeric, chunks: chunks() };
}
