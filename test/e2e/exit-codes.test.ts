/**
 * Exit codes and one-line messages through the real binary: usage errors (2) with and without
 * --json, however long the message; a store whose creation was interrupted is initialised by the
 * next run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '../../src/lib/store/duckdb.js';
import { FIXTURES, cli, cliJson, tmpDir } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-exit-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('usage errors: exit 2 and one line', () => {
  const cases: string[][] = [
    ['events', '--limit', 'abc'],
    ['events', '--bogus'],
    ['events', '--since', 'garbage'],
    ['ingest', 'x', '--memory-limit', '0'],
    [
      'alerts',
      'rules',
      'add',
      'r',
      '--metric',
      'event_count',
      '--type',
      'policy_change',
      '--threshold',
      '1',
      '--window',
      '100000d',
    ],
    ['alerts', '--backtest', '100000d'],
  ];

  it.each(cases.map((c) => [c.join(' '), c]))('%s', (_name, args) => {
    const db = path.join(dir, 'never.duckdb');
    const r = cli(args, { db });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^› {3}Error: /);
    const j = cli([...args, '--json'], { db });
    expect(j.code, j.stdout).toBe(2);
    expect((JSON.parse(j.stdout) as { error: { message: string } }).error.message).not.toContain('\n');
    expect(j.stderr).toBe('');
    expect(fs.existsSync(db)).toBe(false);
  });
});

describe('user input quoting DuckDB words is not a damaged store', () => {
  it('a query naming a table "Corrupt database file" is refused (2), the store is fine', () => {
    const db = path.join(dir, 'words.duckdb');
    expect(cli(['ingest', path.join(FIXTURES, 'spec-events.jsonl')], { db }).code).toBe(0);
    for (const q of [
      'SELECT * FROM "Corrupt database file"',
      "SELECT * FROM read_text('No space left on device')",
    ]) {
      const r = cli(['sql', q], { db });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/SQL: /);
    }
  });
});

describe('a store whose creation was interrupted is initialised on the next run', () => {
  const spec = path.join(FIXTURES, 'spec-events.jsonl');

  it('a zero-length file: a writing command, and a reading one', () => {
    const db = path.join(dir, 'zero.duckdb');
    fs.writeFileSync(db, '');
    const read = cliJson<{ total: number }>(['events'], { db });
    expect(read.code, read.stderr).toBe(0);
    expect(read.json.total).toBe(0);
    fs.writeFileSync(db, '');
    const r = cliJson<{ stored: number }>(['ingest', spec], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.stored).toBe(5);
    expect(cli(['verify'], { db }).code).toBe(0);
  });

  it('a DuckDB file holding only an empty schema_version table', async () => {
    const db = path.join(dir, 'leftover.duckdb');
    const inst = await DuckDBInstance.create(db);
    const conn = await inst.connect();
    await conn.run(
      'CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR, applied_at TIMESTAMP NOT NULL)',
    );
    conn.closeSync();
    inst.closeSync();
    const r = cliJson<{ stored: number }>(['ingest', spec], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.stored).toBe(5);
    expect(cli(['sources'], { db }).code).toBe(0);
  });
});
