/**
 * Opening the DuckDB store: one writer or many readers, never both.
 *
 * DuckDB takes an exclusive file lock for a read-write open and a shared one
 * for read-only opens. Both sides retry with backoff while the other holds the
 * lock, up to a bounded wait, then fail naming the process that holds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from './duckdb.js';
import { InputError, LockTimeoutError } from '../errors.js';
import { notRegular } from '../input-file.js';
import { sleep } from '../sleep.js';
import { corruptStore, storeFailure } from './failure.js';
import { ID_HASH_PROBE_KEY, ID_HASH_PROBE_SQL, MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export const DEFAULT_DB = 'kcloud-log.duckdb';
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** `--db`, else `KCLOUD_LOG_DB`, else `./kcloud-log.duckdb`. */
export function resolveDbPath(flag?: string): string {
  return path.resolve(flag || process.env.KCLOUD_LOG_DB || DEFAULT_DB);
}

export interface OpenOptions {
  readOnly?: boolean;
  /** How long to wait for another process's lock, in ms (default 10 s). */
  lockTimeoutMs?: number;
  /** Extra DuckDB settings. */
  config?: Record<string, string>;
}

export interface Store {
  path: string;
  readOnly: boolean;
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  close(): void;
}

const LOCK_RE = /Could not set lock on file|Conflicting lock is held/i;

/** Text naming the process that holds the lock, from DuckDB's message. */
function lockHolder(message: string): string | undefined {
  const m = /held in (.+?) \(PID (\d+)\)/.exec(message);
  return m ? `PID ${m[2]} (${m[1]})` : undefined;
}

/**
 * Writer priority. DuckDB's shared read locks would let a stream of
 * overlapping readers starve the writer, so a writer that finds the file
 * locked announces itself in `<db>.writer-waiting` (its pid), and readers
 * hold back while that announcement is fresh and its process alive.
 */
const waitFile = (db: string) => `${db}.writer-waiting`;

function writerWaiting(db: string): boolean {
  try {
    const text = fs.readFileSync(waitFile(db), 'utf8');
    const pid = Number.parseInt(text, 10);
    if (!Number.isFinite(pid) || pid === process.pid) return false;
    const age = Date.now() - fs.statSync(waitFile(db)).mtimeMs;
    if (age > 60_000) return false;
    process.kill(pid, 0); // throws if the process is gone
    return true;
  } catch {
    return false;
  }
}

/** A zero-length file where the database should be: left by a crash or a full disk at creation. */
function isEmptyFile(dbPath: string): boolean {
  try {
    const st = fs.statSync(dbPath);
    return st.isFile() && st.size === 0;
  } catch {
    return false;
  }
}

/** Remove the zero-length file (and any WAL beside it: it belongs to no database) so DuckDB creates the store. */
function discardEmptyFile(dbPath: string): void {
  try {
    if (!isEmptyFile(dbPath)) return; // another process initialised it meanwhile
    fs.rmSync(`${dbPath}.wal`, { force: true });
    fs.rmSync(dbPath, { force: true });
  } catch (e) {
    throw new InputError(
      `cannot initialise database ${dbPath} (an empty file): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** How every DuckDB WAL begins: its version entry (field 100, the type WAL_VERSION; field 101, ...). */
const WAL_START = Buffer.from([0x64, 0x00, 0x62, 0x65, 0x00]);

/**
 * A WAL beside the database that is not one (overwritten, garbage): DuckDB would ignore it, and
 * with it any commits it held, so it is reported instead. A WAL cut short (a crash while writing)
 * is fine: DuckDB replays what is complete.
 */
function checkWal(dbPath: string): void {
  const wal = `${dbPath}.wal`;
  const head = Buffer.alloc(WAL_START.length);
  let n: number;
  try {
    const fd = fs.openSync(wal, 'r');
    try {
      n = fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return; // no WAL (or unreadable: DuckDB will say)
  }
  if (!head.subarray(0, n).equals(WAL_START.subarray(0, n)))
    throw corruptStore(
      dbPath,
      `its write-ahead log ${wal} is damaged (it does not begin as a DuckDB WAL; moving it away loses the commits since the last checkpoint)`,
    );
}

/**
 * The DuckDB client (~120 ms to load, its native library included), loaded by the first open:
 * a command's --help, a usage error, or a command that never opens the store does without it.
 */
const duckdb = () => import('./duckdb.js');

export async function openStore(dbPath: string, opts: OpenOptions = {}): Promise<Store> {
  const readOnly = opts.readOnly ?? false;
  const timeout = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (readOnly && !fs.existsSync(dbPath)) {
    throw new InputError(`no database at ${dbPath}: run \`kcloud-log ingest\` first, or pass --db`);
  }
  const kind = fs.existsSync(dbPath) ? notRegular(fs.statSync(dbPath)) : undefined;
  if (kind) throw new InputError(`cannot open database ${dbPath}: it is ${kind}, not a database file`);
  if (isEmptyFile(dbPath)) {
    // A crash (or a full disk) while DuckDB created the file: nothing was stored; start afresh.
    if (readOnly) {
      (await openStore(dbPath, { ...opts, readOnly: false })).close();
      return openStore(dbPath, opts);
    }
    discardEmptyFile(dbPath);
  }
  checkWal(dbPath);
  if (!readOnly) fs.mkdirSync(path.dirname(dbPath), { recursive: true });
  const config: Record<string, string> = {
    access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
    autoinstall_known_extensions: 'false',
    // The storage format a new file is written in (an existing file keeps its own): v1.2.0 is the
    // first with ZSTD for text, which `raw` uses (a quarter of the size, and written 2.7x faster
    // than FSST: 1.2 s against 3.1 s for a million events, bench/proto measurement in issue 13).
    storage_compatibility_version: 'v1.2.0',
    ...opts.config,
  };
  const { DuckDBInstance } = await duckdb();
  const started = Date.now();
  let delay = 10;
  let announced = false;
  const unannounce = () => {
    if (announced) {
      announced = false;
      try {
        fs.rmSync(waitFile(dbPath), { force: true });
      } catch {
        /* another writer's */
      }
    }
  };
  for (;;) {
    if (readOnly && writerWaiting(dbPath) && Date.now() - started < timeout) {
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
      continue;
    }
    try {
      const instance = await DuckDBInstance.create(dbPath, config);
      unannounce();
      let conn;
      try {
        conn = await instance.connect();
      } catch (e) {
        instance.closeSync();
        throw e;
      }
      const store: Store = {
        path: dbPath,
        readOnly,
        instance,
        conn,
        close() {
          conn.closeSync();
          instance.closeSync();
        },
      };
      try {
        await migrate(store);
      } catch (e) {
        store.close();
        if (e instanceof NeedsMigration) {
          // An older store opened for reading: migrate it once (a short write), then read.
          (await openStore(dbPath, { ...opts, readOnly: false })).close();
          return openStore(dbPath, opts);
        }
        throw e;
      }
      return store;
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (LOCK_RE.test(msg)) {
        if (!readOnly && !announced) {
          try {
            fs.writeFileSync(waitFile(dbPath), String(process.pid));
            announced = true;
          } catch {
            /* read-only directory: no priority */
          }
        } else if (announced && Date.now() - started > 30_000) {
          fs.utimesSync(waitFile(dbPath), new Date(), new Date()); // stay fresh
        }
        if (Date.now() - started >= timeout) {
          unannounce();
          const holder = lockHolder(msg);
          throw new LockTimeoutError(
            `database ${dbPath} is locked by ${holder ?? 'another process'}; waited ${((Date.now() - started) / 1000).toFixed(1)} s (--lock-timeout)`,
            holder,
          );
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 250);
        continue;
      }
      unannounce();
      if (e instanceof InputError || e instanceof LockTimeoutError) throw e;
      const failure = storeFailure(e, dbPath);
      if (failure) throw failure;
      if (/Unable to open|IO Error/i.test(msg)) {
        throw new InputError(`cannot open database ${dbPath}: ${msg.split('\n')[0]}`);
      }
      throw e;
    }
  }
}

class NeedsMigration extends Error {
  constructor(readonly version: number) {
    super(`schema version ${version} is older than ${SCHEMA_VERSION}`);
  }
}

/** Run pending migrations (read-write), or check the version (read-only). */
/**
 * id_hash is DuckDB's hash(event_id); should a DuckDB upgrade change that
 * function, the column is rebuilt before anything is written, so the
 * duplicate check never compares hashes of two different functions.
 */
async function checkIdHash(store: Store): Promise<void> {
  const r = await store.conn.runAndReadAll(
    `SELECT (SELECT value FROM meta WHERE key = '${ID_HASH_PROBE_KEY}') = ${ID_HASH_PROBE_SQL}`,
  );
  if (r.getRows()[0]![0] === true) return;
  await store.conn.run('BEGIN TRANSACTION');
  try {
    await store.conn.run('UPDATE events SET id_hash = hash(event_id)');
    await store.conn.run(`DELETE FROM meta WHERE key = '${ID_HASH_PROBE_KEY}'`);
    await store.conn.run(`INSERT INTO meta VALUES ('${ID_HASH_PROBE_KEY}', ${ID_HASH_PROBE_SQL})`);
    await store.conn.run('COMMIT');
  } catch (e) {
    await store.conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function migrate(store: Store): Promise<void> {
  const { conn } = store;
  const state = await schemaState(store);
  if (state === 'foreign') {
    throw new InputError(
      `${store.path} is a DuckDB database but not a kcloud-log one; refusing to ${store.readOnly ? 'read' : 'modify'} it`,
    );
  }
  const current = state === 'new' ? 0 : state;
  if (current > SCHEMA_VERSION) {
    throw new InputError(
      `database ${store.path} has schema version ${current}, newer than this kcloud-log understands (${SCHEMA_VERSION}); upgrade kcloud-log`,
    );
  }
  if (current === SCHEMA_VERSION) {
    if (!store.readOnly) await checkIdHash(store);
    return;
  }
  // An older store, or a new one (its creation may have been interrupted): written once, then read.
  if (store.readOnly) throw new NeedsMigration(current);
  // A new store is created in one transaction, so a crash leaves nothing half made; an older
  // store's migrations each commit on their own.
  const steps = current === 0 ? [MIGRATIONS] : MIGRATIONS.filter((m) => m.version > current).map((m) => [m]);
  for (const [i, step] of steps.entries()) {
    await conn.run('BEGIN TRANSACTION');
    try {
      if (current === 0 && i === 0) {
        await conn.run('DROP TABLE IF EXISTS schema_version');
        await conn.run(
          'CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
        );
      }
      for (const m of step) {
        for (const s of m.statements) await conn.run(s);
        await conn.run('INSERT INTO schema_version VALUES ($1, $2, now()::TIMESTAMP)', [
          m.version,
          m.description,
        ]);
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
  await checkIdHash(store);
}

/**
 * What the file holds: its schema version; 'new' when it has no tables, or only the empty
 * `schema_version` table a crash during creation left (by a kcloud-log from before creation was
 * one transaction); 'foreign' when it holds other tables.
 */
async function schemaState(store: Store): Promise<number | 'new' | 'foreign'> {
  const { conn } = store;
  const tables = (
    await conn.runAndReadAll(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()",
    )
  ).getRows();
  const hasVersion = tables.some((t) => t[0] === 'schema_version');
  if (hasVersion) {
    const r = await conn.runAndReadAll('SELECT max(version) FROM schema_version');
    const v = r.getRows()[0]![0];
    if (v !== null) return Number(v);
  }
  return tables.length === (hasVersion ? 1 : 0) ? 'new' : 'foreign';
}

/** Open, run `fn`, always close. */
export async function withStore<T>(
  dbPath: string,
  opts: OpenOptions,
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(dbPath, opts);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}
