/** Read-only SQL for power users: one statement, a query, no writes, no file access. */
import type { Store } from '../store/open.js';
import { StatementType } from '../store/duckdb.js';
import { UsageError } from '../errors.js';
import { storeFailure } from '../store/failure.js';

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

const ALLOWED = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN, StatementType.PRAGMA]);

/** DuckDB settings for the `sql` command's connection: no reading or writing files. */
export const SQL_SANDBOX = { enable_external_access: 'false' };

/** DuckDB refused the query (a usage error), unless the database itself failed (corrupt, disk full). */
const refused = (store: Store, e: unknown): Error =>
  storeFailure(e, store.path) ??
  new UsageError(`SQL: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`);

export async function runReadOnlySql(store: Store, text: string, limit?: number): Promise<SqlResult> {
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
