/**
 * A damaged store is an input problem (exit 4) for every command, with one line naming the
 * database and what is wrong, never an unexpected error (1), a refused query (2) or a failed
 * check (3). Damage DuckDB sees when it opens the file (truncation, a garbage header, a text file,
 * a garbage WAL) and damage it sees only when a query reads a damaged block.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, query, tmpDir } from '../helpers.js';

let dir: string;
let good: string;
let workload: string;

/** Every command, as run against the store under test (`db`). */
const commands = (dir: string): [string, string[]][] => [
  ['events', ['events', '--output', 'jsonl']],
  ['sources', ['sources']],
  ['rejects', ['rejects']],
  ['sql', ['sql', 'SELECT * FROM events']],
  ['trace', ['trace', workload]],
  ['analyze scheduling', ['analyze', 'scheduling']],
  ['analyze cost', ['analyze', 'cost']],
  ['analyze sla', ['analyze', 'sla']],
  ['alerts', ['alerts']],
  ['alerts rules list', ['alerts', 'rules', 'list']],
  ['alerts rules add', ['alerts', 'rules', 'add', 'another', '--type', 'policy_change']],
  ['report audit', ['report', 'audit', '--out', path.join(dir, 'report.md')]],
  ['verify', ['verify']],
  ['tail', ['tail', '--last', '1', '--limit', '1', '--interval', '50ms']],
  ['ingest', ['ingest', path.join(ROOT, 'examples', 'logs', 'scheduler.jsonl')]],
];

interface Ran {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Run the CLI without blocking the others (two at a time keeps the 2-core machine usable). */
function run(args: string[], db: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--db', db], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function runAll<T>(jobs: (() => Promise<T>)[], parallel = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

/**
 * Each command (or those named in `only`) against a fresh copy of the damaged store: exit 4 and
 * one line matching `re`.
 */
async function expectEveryCommandFails(
  name: string,
  damage: (db: string) => void,
  re: RegExp,
  only?: string[],
) {
  const cases = commands(dir).filter(([cmd]) => !only || only.includes(cmd));
  const results = await runAll(
    cases.map(([cmd, args]) => async () => {
      const db = path.join(dir, `${name}-${cmd.replaceAll(' ', '-')}.duckdb`);
      fs.copyFileSync(good, db);
      damage(db);
      return { cmd, db, r: await run(args, db) };
    }),
  );
  for (const { cmd, db, r } of results) {
    const what = `${name}: ${cmd}: exit ${r.code}\n${r.stderr}`;
    expect(r.code, what).toBe(4);
    const lines = r.stderr.trim().split('\n');
    expect(lines, what).toHaveLength(1);
    expect(lines[0], what).toContain(db);
    expect(lines[0], what).toMatch(re);
    expect(lines[0], what).not.toMatch(/unexpected error|\bat .*\.js:\d+/);
  }
}

function overwrite(db: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(db, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
}

/** Deterministic garbage (not zeros, not a valid anything). */
const garbage = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 17) & 0xff));

const CORRUPT = /the database file is corrupt: /;

beforeAll(async () => {
  dir = tmpDir('kcl-corrupt-');
  good = path.join(dir, 'good.duckdb');
  expect(cli(['ingest', path.join(ROOT, 'examples', 'logs'), '-q'], { db: good }).code).toBe(0);
  expect(
    cli(['alerts', 'rules', 'add', 'severe', '--type', 'inefficiency_detected'], { db: good }).code,
  ).toBe(0);
  const [row] = await query(good, 'SELECT workload_id FROM events WHERE workload_id IS NOT NULL LIMIT 1');
  workload = String(row!.workload_id);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a damaged store: exit 4 and one line from every command', () => {
  // Cut after its first block (DuckDB's three 4 KiB headers, then 256 KiB blocks): what the header
  // points at is gone. (Cut at half, a store whose raw text is ZSTD-compressed can still hold every
  // block the commands read: damage in a block shows in the commands that read it, see below.)
  it('truncated after its first block', async () => {
    await expectEveryCommandFails('half', (db) => fs.truncateSync(db, 3 * 4096 + 256 * 1024), CORRUPT);
  }, 120_000);

  // The same open as for the truncated file: a read command, verify and a writing command.
  const SOME = ['events', 'verify', 'ingest'];

  it('a garbage file header', async () => {
    await expectEveryCommandFails('header', (db) => overwrite(db, 0, garbage(4096)), CORRUPT, SOME);
  }, 120_000);

  it('a zeroed database header (the block after the file header)', async () => {
    await expectEveryCommandFails('dbheader', (db) => overwrite(db, 4096, Buffer.alloc(4096)), CORRUPT, SOME);
  }, 120_000);

  it('a text file where the database should be', async () => {
    await expectEveryCommandFails(
      'text',
      (db) => fs.writeFileSync(db, 'hello, I am not a database\n'),
      CORRUPT,
      SOME,
    );
  }, 120_000);

  it('a garbage WAL beside a good store', async () => {
    await expectEveryCommandFails(
      'wal',
      (db) => fs.writeFileSync(`${db}.wal`, garbage(10_000)),
      /the database file is corrupt: its write-ahead log .*\.wal is damaged/,
      SOME,
    );
  }, 120_000);

  it('4 KiB of zeros in every block of table data (seen only when a query reads it)', async () => {
    // Where each table's data is: DuckDB's blocks of 256 KiB after the 12 KiB of file headers.
    const blocks = new Set<number>();
    for (const t of ['events', 'sources', 'rejects', 'commits', 'alert_rules']) {
      for (const r of await query(
        good,
        `SELECT DISTINCT block_id FROM pragma_storage_info('${t}') WHERE block_id >= 0`,
      ))
        blocks.add(Number(r.block_id));
    }
    expect(blocks.size).toBeGreaterThan(3);
    await expectEveryCommandFails(
      'blocks',
      (db) => {
        for (const b of blocks) overwrite(db, 12_288 + b * 262_144 + 8, Buffer.alloc(4096));
      },
      CORRUPT,
    );
  }, 120_000);

  it('a DuckDB database of something else is refused, not changed', async () => {
    const other = path.join(dir, 'other.duckdb');
    const { DuckDBInstance } = await import('../../src/lib/store/duckdb.js');
    const inst = await DuckDBInstance.create(other);
    const conn = await inst.connect();
    await conn.run('CREATE TABLE inventory (item VARCHAR)');
    conn.closeSync();
    inst.closeSync();
    good = other; // every command gets a copy of it
    try {
      await expectEveryCommandFails(
        'foreign',
        () => undefined,
        /is a DuckDB database but not a kcloud-log one/,
        ['events', 'alerts rules add', 'ingest'],
      );
    } finally {
      good = path.join(dir, 'good.duckdb');
    }
    // The copies that `ingest` and `alerts rules add` were given still hold only their own table.
    for (const cmd of ['alerts-rules-add', 'ingest']) {
      const copy = await DuckDBInstance.create(path.join(dir, `foreign-${cmd}.duckdb`));
      const c = await copy.connect();
      const names = (await c.runAndReadAll('SELECT table_name FROM information_schema.tables')).getRows();
      c.closeSync();
      copy.closeSync();
      expect(names).toEqual([['inventory']]);
    }
  }, 120_000);

  it('--json: the error document with exit 4, its message one line', async () => {
    const db = path.join(dir, 'json.duckdb');
    fs.copyFileSync(good, db);
    fs.truncateSync(db, 3 * 4096 + 256 * 1024); // cut after its first block (see above)
    for (const args of [
      ['verify'],
      ['events'],
      ['analyze', 'cost'],
      ['sql', 'SELECT max(raw) FROM events'],
    ]) {
      const r = await run([...args, '--json'], db);
      expect(r.code, args.join(' ')).toBe(4);
      const err = (JSON.parse(r.stdout) as { error: { message: string } }).error;
      expect(err.message).toMatch(CORRUPT);
      expect(err.message).not.toContain('\n');
    }
  });
});
