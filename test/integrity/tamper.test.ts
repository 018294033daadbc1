/**
 * `verify` against every kind of tampering: a store made by the ingester,
 * copied per case, edited behind the tool's back with a read-write DuckDB
 * connection, then verified (the command, in-process): exit 3 and a
 * one-line message naming what is wrong. Plus the external anchors
 * (`--anchor`) and clean stores that must keep verifying.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Verify from '../../src/commands/verify.js';
import ReportAudit from '../../src/commands/report/audit.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { ROW_HASH_V2_SQL, eventHash, nextChain } from '../../src/lib/store/chain.js';
import { REJECT_HASH_SQL } from '../../src/lib/store/digests.js';
import { decisionLine, tmpDir } from '../helpers.js';
import { runCmd, type Ran } from '../run-command.js';

let dir: string;
/** The pristine store: two files, several commits, rejects, duplicates, skipped lines, one recorded verification. */
let base: string;
let n = 0;

/** A file with 3 rejects, 2 duplicates and 2 skipped lines among `events` events, ingested in `parts` runs (one commit each). */
async function ingestMixed(
  store: Store,
  name: string,
  from: number,
  events: number,
  parts: number,
): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < events; i++) {
    lines.push(decisionLine(from + i));
    if (i === 3) lines.push('{"event_type": "scheduling_decision", "timestamp": '); // reject: broken JSON
    if (i === 5) lines.push(decisionLine(from + 1)); // duplicate
    if (i === 7) lines.push('{"level":"info","msg":"an ordinary log line"}'); // skipped
    if (i === 9) lines.push(decisionLine(from + i, { timestamp: 'yesterday' })); // reject: bad timestamp
    if (i === 11) lines.push(''); // skipped
    if (i === 13) lines.push(decisionLine(from + 2)); // duplicate
    if (i === 15) lines.push('INFO {"event_type": "scheduling_decision"} in text'); // reject: an event in text
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  const step = Math.ceil(lines.length / parts);
  for (let p = 0; p < lines.length; p += step) {
    fs.appendFileSync(file, lines.slice(p, p + step).join('\n') + '\n');
    await ingestPaths(store, [file]);
  }
}

async function withStore<T>(db: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(db);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

/** A fresh copy of the pristine store, edited with `sql` (statements run in order). */
async function tampered(...sql: string[]): Promise<string> {
  const db = path.join(dir, `t${++n}.duckdb`);
  fs.copyFileSync(base, db);
  await withStore(db, async (s) => {
    for (const q of sql) await s.conn.run(q);
  });
  return db;
}

async function one(db: string, sql: string): Promise<unknown> {
  return withStore(db, async (s) => (await s.conn.runAndReadAll(sql)).getRows()[0]?.[0]);
}

const verify = (db: string, ...args: string[]): Promise<Ran> =>
  runCmd(Verify, ['--db', db, ...args], { json: false });
const verifyJson = (db: string, ...args: string[]): Promise<Ran> => runCmd(Verify, ['--db', db, ...args]);

/** verify fails with exit 3 and one line on stderr matching `re`. */
async function expectFailure(db: string, re: RegExp, ...args: string[]): Promise<string> {
  const r = await verify(db, ...args);
  expect(r.code, r.stdout + r.stderr).toBe(3);
  const line = r.stderr.trim();
  expect(line.split('\n'), line).toHaveLength(1);
  expect(line).toMatch(re);
  return line;
}

beforeAll(async () => {
  dir = tmpDir('kcl-tamper-');
  base = path.join(dir, 'base.duckdb');
  await withStore(base, async (s) => {
    await ingestMixed(s, 'a.jsonl', 0, 40, 3);
    await ingestMixed(s, 'b.jsonl', 1000, 30, 2);
  });
  expect((await verify(base)).code).toBe(0); // records verification #1
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Re-chain every row by the rule of stores before schema 7: chain = sha256(prev chain || row hash). */
async function chainRowByRow(s: Store): Promise<void> {
  const rows = (
    await s.conn.runAndReadAll(
      'SELECT seq, event_id, epoch_us(ts), event_type, source_id, line, tags, raw FROM events ORDER BY seq',
    )
  ).getRows();
  let prev = '0'.repeat(64);
  for (const r of rows) {
    const row = {
      eventId: String(r[1]),
      tsMicros: Number(r[2]),
      eventType: String(r[3]),
      sourceId: Number(r[4]),
      line: Number(r[5]),
      tags: String(r[6]),
      raw: String(r[7]),
    };
    prev = nextChain(prev, eventHash(row, Number(r[0])));
    await s.conn.run('UPDATE events SET chain = $1 WHERE seq = $2', [prev, Number(r[0])]);
  }
}

describe('a clean store verifies', () => {
  it('after several ingests with rejects, duplicates and skipped lines, and says what it checked', async () => {
    const r = await verifyJson(base, '--no-record');
    expect(r.code, r.stdout).toBe(0);
    const j = r.json as {
      ok: boolean;
      rows: number;
      head: { seq: number; chain: string };
      first_bad: unknown;
      checks: string[];
      problems: unknown[];
      anchors: { kind: string; ok: boolean; seq: number }[];
      commit_log: { commits: number; complete: boolean };
    };
    expect(j).toMatchObject({ ok: true, rows: 70, first_bad: null, problems: [] });
    expect(j.checks.join('\n')).toMatch(/commit/);
    expect(j.checks.join('\n')).toMatch(/sources/);
    expect(j.checks.join('\n')).toMatch(/rejects/);
    expect(j.checks.join('\n')).toMatch(/verification/);
    expect(j.commit_log.complete).toBe(true);
    expect(j.commit_log.commits).toBe(5);
    expect(j.anchors.map((a) => [a.kind, a.ok, a.seq])).toEqual([
      ['commit', true, 70],
      ['verification', true, 70],
    ]);
  });

  it('each commit of the ingest is in the commit log with its rows and rejects', async () => {
    const c = await withStore(base, async (s) =>
      (
        await s.conn.runAndReadAll(
          'SELECT sum(stored), sum(rejected), sum(duplicates), sum(skipped), sum(lines), min(id), max(last_seq) FROM commits',
        )
      )
        .getRows()[0]!
        .map(Number),
    );
    expect(c).toEqual([70, 6, 4, 4, 84, 0, 70]);
  });
});

describe('verify catches each kind of tampering (exit 3, one line naming it)', () => {
  it('editing a row in the middle of a commit names that row', async () => {
    const db = await tampered("UPDATE events SET raw = replace(raw, '}', ', \"x\": 1}') WHERE seq = 5");
    await expectFailure(db, /chain: first bad row seq 5 \(event [^)]*\): row content does not match/);
  });

  it("editing a row and recomputing its chain value: the commit's head names the commit", async () => {
    const { first, last } = await withStore(base, async (s) => {
      const r = (
        await s.conn.runAndReadAll(
          'SELECT first_seq, last_seq FROM commits WHERE last_seq - first_seq >= 2 ORDER BY id LIMIT 1',
        )
      ).getRows()[0]!;
      return { first: Number(r[0]), last: Number(r[1]) };
    });
    const row = first + 1;
    const db = await tampered(
      "UPDATE events SET raw = replace(raw, '}', ', \"x\": 1}') WHERE seq = " + row,
      `UPDATE events SET chain = sha256(concat((SELECT chain FROM events WHERE seq = ${first - 1} UNION ALL SELECT '${'0'.repeat(64)}' LIMIT 1), seq::VARCHAR, chr(31), ${ROW_HASH_V2_SQL})) WHERE seq = ${row}`,
    );
    await expectFailure(
      db,
      new RegExp(`chain: first bad row seq ${last} .*the head of the commit of seq ${first}\\.\\.${last}`),
    );
  });

  it('deleting the newest rows', async () => {
    const db = await tampered('DELETE FROM events WHERE seq > 67');
    await expectFailure(db, /commit log: .*newest commit.*seq 70 is not stored.*newest row is seq 67/);
    const j = (await verifyJson(db)).json as { first_bad: { seq: number; reason: string } };
    expect(j.first_bad.seq).toBe(68);
  });

  it('deleting the newest rows and lowering sources.stored to match', async () => {
    const db = await tampered(
      'DELETE FROM events WHERE seq > 67',
      'UPDATE sources SET stored = stored - 3, lines = lines - 3 WHERE id = 2',
    );
    await expectFailure(db, /commit log: .*seq 70 is not stored/);
  });

  it('deleting a row in the middle', async () => {
    await expectFailure(
      await tampered('DELETE FROM events WHERE seq = 20'),
      /sequence: .*row 20 missing \(deleted\?\) before seq 21/,
    );
  });

  it('deleting the first row', async () => {
    await expectFailure(await tampered('DELETE FROM events WHERE seq = 1'), /row 1 missing/);
  });

  it('deleting every row', async () => {
    await expectFailure(await tampered('DELETE FROM events'), /seq 70 is not stored.*newest row is seq 0/);
  });

  it('adding a row after the newest, with a correct chain', async () => {
    const db = path.join(dir, `t${++n}.duckdb`);
    fs.copyFileSync(base, db);
    await withStore(db, async (s) => {
      const last = (
        await s.conn.runAndReadAll(
          'SELECT seq, event_id, epoch_us(ts), event_type, source_id, line, tags, raw, chain FROM events WHERE seq = 70',
        )
      ).getRows()[0]!;
      const row = {
        eventId: 'forged-1',
        tsMicros: Number(last[2]),
        eventType: String(last[3]),
        sourceId: Number(last[4]),
        line: Number(last[5]) + 1,
        tags: String(last[6]),
        raw: String(last[7]),
      };
      const chain = nextChain(String(last[8]), eventHash(row, 71));
      await s.conn.run(
        `INSERT INTO events SELECT * REPLACE (71 AS seq, 'forged-1' AS event_id, line + 1 AS line, '${chain}' AS chain, hash('forged-1') AS id_hash) FROM events WHERE seq = 70`,
      );
      await s.conn.run('UPDATE sources SET stored = stored + 1, lines = lines + 1 WHERE id = 2');
    });
    await expectFailure(db, /commit log: rows 71\.\.71 are in no commit/);
  });

  it.each([
    ['stored', /sources: source 1 \(.*a\.jsonl\): sources\.stored is 39 but 40 of its events are stored/],
    ['rejected', /sources: source 1 \(.*a\.jsonl\): sources\.rejected is 2 but the rejects table holds 3/],
    [
      'duplicates',
      /sources: source 1 \(.*a\.jsonl\): lines 47 != stored \+ rejected \+ duplicates \+ skipped \(46\)/,
    ],
    ['skipped', /sources: source 1 \(.*a\.jsonl\): lines 47 != .* \(46\)/],
    ['lines', /sources: source 1 \(.*a\.jsonl\): lines 46 != .* \(47\)/],
  ])('editing sources.%s', async (col, re) => {
    await expectFailure(await tampered(`UPDATE sources SET ${col} = ${col} - 1 WHERE id = 1`), re);
  });

  it('editing sources counts so that each source still adds up', async () => {
    await expectFailure(
      await tampered('UPDATE sources SET duplicates = duplicates + 5, lines = lines + 5 WHERE id = 1'),
      /sources: the sources add up to 89 lines, the commit log to 84/,
    );
  });

  it('deleting a source', async () => {
    await expectFailure(
      await tampered('DELETE FROM sources WHERE id = 2'),
      /sources: source 2 is not in sources, yet 30 events and 3 rejects name it/,
    );
  });

  it('deleting a reject', async () => {
    const db = await tampered("DELETE FROM rejects WHERE reason LIKE '%timestamp%' AND source_id = 1");
    await expectFailure(
      db,
      /rejects: the reject of .*a\.jsonl line \d+, written by commit #\d+, is missing \(deleted/,
    );
    const j = (await verifyJson(db)).json as { problems: { check: string; reason: string }[] };
    expect(j.problems[1]).toMatchObject({
      check: 'sources',
      reason: expect.stringMatching(/a\.jsonl\): sources\.rejected is 3 but the rejects table holds 2/),
    });
  });

  it('deleting a reject and lowering the counts to match', async () => {
    const db = await tampered(
      "DELETE FROM rejects WHERE reason LIKE '%timestamp%' AND source_id = 1",
      'UPDATE sources SET rejected = rejected - 1, lines = lines - 1 WHERE id = 1',
    );
    await expectFailure(db, /rejects: the reject of .*a\.jsonl line \d+, written by commit #\d+, is missing/);
    const j = (await verifyJson(db)).json as { problems: { check: string; reason: string }[] };
    expect(j.problems[1]).toMatchObject({
      check: 'sources',
      reason: 'the sources add up to 83 lines, the commit log to 84 (sources edited?)',
    });
  });

  it.each([
    ['reason', "reason = 'fine'"],
    ['raw', "raw = 'nothing to see'"],
    ['byte_offset', 'byte_offset = byte_offset + 1'],
    ['path', "path = '/elsewhere.log'"],
  ])("editing a reject's %s", async (_, set) => {
    await expectFailure(
      await tampered(`UPDATE rejects SET ${set} WHERE source_id = 1 AND raw LIKE 'INFO%'`),
      /rejects: the reject of .* line \d+ was edited \(it does not match its hash\)/,
    );
  });

  it("editing a reject's line", async () => {
    await expectFailure(
      await tampered("UPDATE rejects SET line = line + 1 WHERE source_id = 1 AND raw LIKE 'INFO%'"),
      /rejects: the reject of .*a\.jsonl line \d+, written by commit #\d+, is missing \(deleted, or its source or line edited\?\)/,
    );
  });

  it("editing a reject and its hash: the commit's digest still tells", async () => {
    await expectFailure(
      await tampered(
        "UPDATE rejects SET reason = 'fine' WHERE source_id = 1 AND raw LIKE 'INFO%'",
        `UPDATE reject_hashes h SET hash = r.hash FROM (SELECT source_id, line, ${REJECT_HASH_SQL} AS hash FROM rejects) AS r
         WHERE h.source_id = r.source_id AND h.line = r.line`,
      ),
      /rejects: the reject hashes of commit #\d+ do not match the commit's digest/,
    );
  });

  it.each([
    [
      'a copy',
      'INSERT INTO rejects SELECT * REPLACE (line + 100 AS line) FROM rejects WHERE source_id = 2 LIMIT 1',
    ],
    [
      'new values',
      "INSERT INTO rejects VALUES (2, (SELECT path FROM sources WHERE id = 2), 999, 0, 'forged', 'x', 1, now()::TIMESTAMP)",
    ],
  ])('adding a reject (%s)', async (_, sql) => {
    await expectFailure(
      await tampered(sql, 'UPDATE sources SET rejected = rejected + 1, lines = lines + 1 WHERE id = 2'),
      /rejects: the reject of .*b\.jsonl line \d+ is in no commit \(added behind the tool's back\?\)/,
    );
  });

  it('adding a reject and its hash to a commit', async () => {
    await expectFailure(
      await tampered(
        "INSERT INTO rejects VALUES (2, (SELECT path FROM sources WHERE id = 2), 999, 0, 'forged', 'x', 1, now()::TIMESTAMP)",
        `INSERT INTO reject_hashes SELECT (SELECT max(id) FROM commits), source_id, line, ${REJECT_HASH_SQL} FROM rejects WHERE line = 999`,
        'UPDATE sources SET rejected = rejected + 1, lines = lines + 1 WHERE id = 2',
      ),
      /rejects: commit record #\d+ wrote \d+ rejects?, the reject hashes hold \d+ \(added\?\)/,
    );
  });

  it.each([
    ['its head chain', "UPDATE verifications SET head_chain = repeat('ab', 32)"],
    ['its head seq', 'UPDATE verifications SET head_seq = 10'],
    ['its result', 'UPDATE verifications SET rows_checked = 10'],
  ])('editing the recorded verification: %s', async (_, sql) => {
    await expectFailure(await tampered(sql), /verifications: verification record #1 was edited/);
  });

  it('deleting the recorded verification', async () => {
    await expectFailure(
      await tampered('DELETE FROM verifications'),
      /verifications: verification record #1 is missing \(deleted\?\)/,
    );
  });

  it.each([
    ['a copy', 'INSERT INTO verifications SELECT * REPLACE (id + 1 AS id) FROM verifications'],
    [
      'new values',
      "INSERT INTO verifications VALUES (2, now()::TIMESTAMP, true, 70, 70, (SELECT chain FROM events WHERE seq = 70), NULL, NULL, NULL, '[]', 0.1, 'x')",
    ],
  ])('adding a verification record (%s)', async (_, sql) => {
    await expectFailure(
      await tampered(sql),
      /verifications: verification record #2 was not written by verify \(added behind the tool's back\?\)/,
    );
  });

  it('editing the commit log', async () => {
    await expectFailure(
      await tampered('UPDATE commits SET stored = stored + 1 WHERE id = 2'),
      /commit log: commit record #2 was edited \(its fields do not match its digest\)/,
    );
  });

  it('deleting a commit record', async () => {
    await expectFailure(
      await tampered('DELETE FROM commits WHERE id = 2'),
      /commit log: commit record #2 is missing \(#1 is followed by #3\)/,
    );
  });

  it('deleting the newest commit record', async () => {
    const db = await tampered('DELETE FROM commits WHERE id = (SELECT max(id) FROM commits)');
    await expectFailure(db, /commit log: rows \d+\.\.70 are in no commit/);
  });

  it('emptying the commit log: later commits still go in, verify names it', async () => {
    const db = await tampered('DELETE FROM commits');
    await withStore(db, (s) => ingestMixed(s, 'after-empty.jsonl', 9000, 5, 1));
    await expectFailure(db, /commit log: commit record #0 starts at seq 71, expected 1/);
  });

  it.each([
    ['cluster_id', "cluster_id = 'evil'", /typed columns: first bad row seq 17 .*cluster_id/],
    ['known', 'known = NOT known', /typed columns: first bad row seq 17 .*known/],
    ['id_hash', 'id_hash = 7', /typed columns: first bad row seq 17 .*id_hash/],
    [
      'raw',
      "raw = replace(raw, 'gpu', 'cpu')",
      /chain: first bad row seq 17 .*does not match its hash chain/,
    ],
    ['ts', 'ts = ts + INTERVAL 1 SECOND', /chain: first bad row seq 17 /],
    ['chain', "chain = repeat('0', 64)", /chain: first bad row seq 17 /],
  ])('editing events.%s', async (_, set, re) => {
    await expectFailure(await tampered(`UPDATE events SET ${set} WHERE seq = 17`), re);
  });

  it('lists every problem in --json and counts the others on the line', async () => {
    const db = await tampered('DELETE FROM events WHERE seq = 20');
    const line = await expectFailure(db, /more problems?; --json lists them/);
    expect(line).toMatch(/sequence/);
    const j = (await verifyJson(db)).json as { problems: { check: string }[] };
    expect(j.problems.map((p) => p.check)).toEqual(expect.arrayContaining(['sequence', 'sources']));
  });
});

describe('external anchors (--anchor)', () => {
  const head = async (db: string) =>
    withStore(db, async (s) => {
      const r = (await s.conn.runAndReadAll('SELECT seq, chain FROM events WHERE seq = 40')).getRows()[0]!;
      return `${Number(r[0])}:${String(r[1])}`;
    });

  it('a good anchor passes and is listed', async () => {
    const r = await verifyJson(base, '--no-record', '--anchor', await head(base));
    expect(r.code).toBe(0);
    expect((r.json as { anchors: { kind: string; ok: boolean; seq: number }[] }).anchors).toContainEqual(
      expect.objectContaining({ kind: 'external', ok: true, seq: 40 }),
    );
  });

  it('a wrong chain fails', async () => {
    await expectFailure(
      base,
      /anchor: --anchor 40:abab.*: the row at seq 40 has chain [0-9a-f]+…, the anchor says abab/,
      '--no-record',
      '--anchor',
      `40:${'ab'.repeat(32)}`,
    );
  });

  it('bad values are usage errors', async () => {
    for (const v of ['40', '40:xyz', 'no-such-file.json', '-3:' + 'a'.repeat(64)]) {
      const r = await verify(base, '--no-record', '--anchor', v);
      expect(r.code, v).toBe(2);
      expect(r.message).toMatch(/--anchor/);
    }
  });

  /**
   * Truncation that keeps the store consistent: the second file's events, rejects and their hashes, its
   * source, its commits and the verification recorded after it are all removed. Only an anchor taken before can tell.
   */
  async function truncateSecondFile(db: string): Promise<void> {
    await withStore(db, async (s) => {
      for (const q of [
        'DELETE FROM events WHERE source_id = 2',
        'DELETE FROM rejects WHERE source_id = 2',
        'DELETE FROM reject_hashes WHERE source_id = 2',
        'DELETE FROM sources WHERE id = 2',
        'DELETE FROM commits WHERE last_seq > 40',
        'DELETE FROM verifications WHERE head_seq > 40',
        'DELETE FROM verification_hashes WHERE id NOT IN (SELECT id FROM verifications)',
      ])
        await s.conn.run(q);
    });
  }

  it('an anchor from an earlier verify --json detects a consistent truncation', async () => {
    const db = path.join(dir, `t${++n}.duckdb`);
    // a store with only the first file, verified (record #1 at seq 40), then the second file
    await withStore(db, (s) => ingestMixed(s, 'a2.jsonl', 0, 40, 3));
    expect((await verify(db)).code).toBe(0);
    await withStore(db, (s) => ingestMixed(s, 'b2.jsonl', 1000, 30, 2));
    const anchorFile = path.join(dir, `anchor${n}.json`);
    const v = await verifyJson(db);
    expect(v.code).toBe(0);
    fs.writeFileSync(anchorFile, v.stdout);
    await truncateSecondFile(db);
    expect((await verify(db, '--no-record')).code).toBe(0); // nothing in the store contradicts it
    await expectFailure(
      db,
      new RegExp(
        `anchor: --anchor ${anchorFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(seq 70\\): seq 70 is not stored \\(the newest row is seq 40\\)`,
      ),
      '--anchor',
      anchorFile,
    );
  });

  it("an anchor from verify's own line (verify > head.txt)", async () => {
    const r = await verify(base, '--no-record');
    const file = path.join(dir, 'head.txt');
    fs.writeFileSync(file, r.stdout);
    const j = await verifyJson(base, '--no-record', '--anchor', file);
    expect((j.json as { anchors: unknown[] }).anchors).toContainEqual(
      expect.objectContaining({ kind: 'external', seq: 70, ok: true }),
    );
  });

  it.each(['md', 'html', 'json'])('an anchor from an audit report (%s)', async (format) => {
    const db = path.join(dir, `t${++n}.duckdb`);
    fs.copyFileSync(base, db);
    const out = path.join(dir, `audit${n}.${format}`);
    expect((await runCmd(ReportAudit, ['--db', db, '--out', out])).code).toBe(0);
    expect((await verifyJson(db, '--no-record', '--anchor', out)).json).toMatchObject({
      ok: true,
      anchors: expect.arrayContaining([expect.objectContaining({ kind: 'external', seq: 70, ok: true })]),
    });
    await truncateSecondFile(db);
    await expectFailure(db, /anchor: .*\(seq 70\): seq 70 is not stored/, '--anchor', out);
  });

  it('report audit --anchor lists the anchors it checked and exits 3 when one fails', async () => {
    const db = path.join(dir, `t${++n}.duckdb`);
    fs.copyFileSync(base, db);
    const anchor = await head(db);
    const out = path.join(dir, `audit${n}.md`);
    const ok = await runCmd(ReportAudit, ['--db', db, '--out', out, '--anchor', anchor]);
    expect(ok.code).toBe(0);
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toMatch(/anchors checked/);
    expect(md).toMatch(/newest commit record #\d+ \(seq 70\): ok/);
    expect(md).toMatch(/verification record #1 \(seq 70\): ok/);
    expect(md).toMatch(/--anchor 40:[0-9a-f]{8}.* \(seq 40\): ok/);
    const bad = await runCmd(ReportAudit, ['--db', db, '--out', out, '--anchor', `40:${'cd'.repeat(32)}`], {
      json: false,
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/check failed: anchor: --anchor 40:cdcd.*the row at seq 40 has chain/);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/--anchor 40:cdcd.*FAILED/);
    // the same checks when the report cites the recorded verification instead of verifying
    const rec = await runCmd(ReportAudit, [
      '--db',
      db,
      '--format',
      'json',
      '--no-verify',
      '--anchor',
      anchor,
    ]);
    const anchors = (
      rec.json!.report as { integrity: { verification: { anchors: { kind: string; ok: boolean }[] } } }
    ).integrity.verification.anchors;
    expect(anchors.map((a) => [a.kind, a.ok])).toEqual([
      ['commit', true],
      ['verification', true],
      ['external', true],
    ]);
  });
});

describe('stores from before the commit log', () => {
  it('are upgraded with a baseline record; verify says the log covers only commits since', async () => {
    const db = path.join(dir, `t${++n}.duckdb`);
    fs.copyFileSync(base, db);
    // back to schema 4: no commit log, no reject hashes, no verification digests
    expect(await one(db, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'rejects'")).toBe(8n);
    await withStore(db, async (s) => {
      for (const q of [
        'DROP TABLE commits',
        'DROP TABLE reject_hashes',
        'DROP TABLE verification_hashes',
        'DELETE FROM schema_version WHERE version >= 5',
        "DELETE FROM meta WHERE key = 'commit_chain_from'",
        'DELETE FROM verifications', // their heads are of the chain as it is now
      ])
        await s.conn.run(q);
      await chainRowByRow(s); // as stores before schema 7 were
    });
    const r = await verifyJson(db);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json).toMatchObject({ ok: true, commit_log: { complete: false, commits: 0 } });
    expect((r.json as { checks: string[] }).checks.join('\n')).toMatch(
      /commit log starts at the upgrade to schema 5 \(seq 70, 6 rejects, [^)]*\): what was stored before is checked as one baseline record/,
    );
    await withStore(db, (s) => ingestMixed(s, 'c.jsonl', 5000, 20, 2));
    expect((await verify(db)).code).toBe(0);
    // tampering with what was stored before the upgrade is still found
    await withStore(db, (s) => s.conn.run("UPDATE rejects SET reason = 'x' WHERE source_id = 1"));
    await expectFailure(db, /rejects: the reject of .*a\.jsonl line \d+ was edited/);
    expect(await one(db, 'SELECT count(*) FROM commits WHERE id > 0')).toBeGreaterThan(0n);
  });
});
