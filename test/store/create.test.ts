/**
 * Creating a store is all or nothing, and a store whose creation was interrupted (a crash, a full
 * disk) is initialised by the next run, read or write; a DuckDB file holding anything else is
 * never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDBInstance } from '../../src/lib/store/duckdb.js';
import { openStore } from '../../src/lib/store/open.js';
import { SCHEMA_VERSION } from '../../src/lib/store/schema.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { InputError } from '../../src/lib/errors.js';
import { FIXTURES, tmpDir } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-create-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Run statements on a DuckDB file directly (no kcloud-log). */
async function duck(db: string, ...sql: string[]): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(db);
  const conn = await inst.connect();
  let rows: unknown[][] = [];
  try {
    for (const s of sql) rows = (await conn.runAndReadAll(s)).getRows();
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  return rows;
}

const tables = async (db: string) =>
  (await duck(db, 'SELECT table_name FROM information_schema.tables ORDER BY 1')).map((r) => r[0]);

/** The store works: the fixtures go in, and the schema is the current one. */
async function expectWorkingStore(db: string): Promise<void> {
  const s = await openStore(db);
  try {
    const r = await ingestPaths(s, [path.join(FIXTURES, 'spec-events.jsonl')]);
    expect(r.stored).toBe(5);
    const v = await s.conn.runAndReadAll('SELECT max(version) FROM schema_version');
    expect(v.getRows()[0]![0]).toBe(SCHEMA_VERSION);
  } finally {
    s.close();
  }
}

describe('store creation', () => {
  it('is one transaction: a failure halfway leaves nothing, and the next open creates the store', async () => {
    const db = path.join(dir, 'halfway.duckdb');
    const probe = await DuckDBInstance.create(':memory:');
    const proto = Object.getPrototypeOf(await probe.connect()) as { run: (sql: string) => Promise<unknown> };
    probe.closeSync();
    const run = proto.run;
    vi.spyOn(proto, 'run').mockImplementation(function (this: unknown, sql: string, ...rest: unknown[]) {
      if (/^\s*CREATE TABLE rejects/.test(sql)) throw new Error('simulated crash');
      return (run as (...a: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
    });
    await expect(openStore(db)).rejects.toThrow('simulated crash');
    vi.restoreAllMocks();
    expect(await tables(db)).toEqual([]);
    await expectWorkingStore(db);
  });

  it('a file left with only an empty schema_version table is initialised, by a reader too', async () => {
    const db = path.join(dir, 'leftover.duckdb');
    await duck(
      db,
      'CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
    );
    const reader = await openStore(db, { readOnly: true });
    const n = await reader.conn.runAndReadAll('SELECT count(*) FROM events');
    reader.close();
    expect(Number(n.getRows()[0]![0])).toBe(0);
    await expectWorkingStore(db);
  });

  it('a zero-length file (a crash or a full disk at creation) is initialised, by a reader too', async () => {
    const db = path.join(dir, 'empty.duckdb');
    fs.writeFileSync(db, '');
    fs.writeFileSync(`${db}.wal`, ''); // nothing in it either
    const reader = await openStore(db, { readOnly: true });
    reader.close();
    expect(fs.statSync(db).size).toBeGreaterThan(0);
    fs.writeFileSync(db, '');
    await expectWorkingStore(db);
  });

  it('a DuckDB file with other tables is refused and left as it was', async () => {
    const db = path.join(dir, 'foreign.duckdb');
    await duck(
      db,
      'CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
      'CREATE TABLE inventory (item VARCHAR)',
    );
    for (const readOnly of [false, true]) {
      const err = await openStore(db, { readOnly }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/is a DuckDB database but not a kcloud-log one; refusing/);
    }
    expect(await tables(db)).toEqual(['inventory', 'schema_version']);
  });
});
