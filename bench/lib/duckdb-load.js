/**
 * DuckDB's own load of a JSONL file, without validation, for comparison with
 * `kcloud-log ingest`: a fresh file database, one statement.
 *
 *   node bench/lib/duckdb-load.js FILE.jsonl DB.duckdb
 *
 * Prints {"rows": N, "seconds": S} (S: the statement alone, process start excluded).
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [file, db] = process.argv.slice(2);
if (!file || !db) {
  process.stderr.write('usage: duckdb-load.js FILE DB\n');
  process.exit(2);
}
const t0 = performance.now();
const instance = await DuckDBInstance.create(db);
const conn = await instance.connect();
const quoted = file.replaceAll("'", "''");
await conn.run(`CREATE TABLE t AS SELECT * FROM read_ndjson_objects('${quoted}', ignore_errors = true)`);
const r = await conn.runAndReadAll('SELECT count(*) FROM t');
const rows = Number(r.getRows()[0][0]);
conn.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify({ rows, seconds: (performance.now() - t0) / 1000 }) + '\n');
