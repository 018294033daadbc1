import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, cli, cliJson, decisionLine, query, tmpDir, waitFor } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-e2e-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kcloud-log end to end', () => {
  it('--help lists the commands', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['ingest', 'events', 'sources', 'rejects', 'sql', 'verify'])
      expect(r.stdout).toContain(c);
  });

  it('ingests the fixtures, then nothing the second time', () => {
    const db = path.join(dir, 'fx.duckdb');
    const first = cliJson<Record<string, number>>(['ingest', FIXTURES], { db });
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({ files: 10, stored: 68, rejected: 0 }); // every distinct event of the fixtures
    expect(first.json.lines).toBe(
      first.json.stored + first.json.rejected + first.json.duplicates + first.json.skipped,
    );
    const second = cliJson<Record<string, number>>(['ingest', FIXTURES], { db });
    expect(second.json).toMatchObject({ lines: 0, stored: 0 });
    const human = cli(['ingest', FIXTURES], { db });
    expect(human.stdout).toMatch(/0 lines = 0 stored \+ 0 rejected \+ 0 duplicates \+ 0 skipped/);
  });

  it('events --type --output jsonl returns exactly the events of that type, normalised', () => {
    const db = path.join(dir, 'fx.duckdb');
    const want = cliJson<Record<string, never>>(
      ['sql', "SELECT count(*) AS n FROM events WHERE event_type = 'scheduling_decision'"],
      { db },
    );
    const n = Number((want.json as unknown as { rows: { n: number }[] }).rows[0]!.n);
    const r = cli(['events', '--type', 'scheduling_decision', '--output', 'jsonl'], { db });
    expect(r.code).toBe(0);
    const evs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(evs).toHaveLength(n);
    const page = cli(['events', '--type', 'scheduling_decision', '--output', 'jsonl', '--limit', '5'], {
      db,
    });
    expect(page.stdout.trim().split('\n')).toHaveLength(5);
    expect(new Set(evs.map((e) => e.event_type))).toEqual(new Set(['scheduling_decision']));
    const flat = evs.find((e) => (e.workload as { id: string }).id === 'ml-training-job-456')!;
    expect(flat).toMatchObject({
      decision: { selected_cluster: 'gpu-cluster-02', outcome: 'scheduled' },
      timestamp: '2025-01-15T11:00:00Z',
    });
  });

  it('events filters: --where, --since, --grep, --json, csv', () => {
    const db = path.join(dir, 'fx.duckdb');
    const w = cliJson<{ total: number; events: { decision: { selected_cluster: string } }[] }>(
      ['events', '--where', 'decision.selected_cluster=gpu-cluster-01', '--where', 'execution_time_ms>=200'],
      { db },
    );
    expect(w.json.total).toBeGreaterThan(0);
    for (const e of w.json.events) expect(e.decision.selected_cluster).toBe('gpu-cluster-01');
    const g = cliJson<{ total: number }>(['events', '--grep', '전력 효율'], { db });
    expect(g.json.total).toBe(1);
    const s = cliJson<{ total: number }>(['events', '--since', '2025-01-16', '--type', 'policy_change'], {
      db,
    });
    expect(s.json.total).toBe(1);
    const csv = cli(['events', '--type', 'policy_change', '--output', 'csv'], { db });
    expect(csv.stdout.split('\n')[0]).toBe(
      'seq,ts,event_type,workload_id,cluster_id,severity,event_id,source,line',
    );
    const bad = cli(['events', '--where', 'no operator'], { db });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--where "no operator"/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('sql refuses writes and file access', () => {
    const db = path.join(dir, 'fx.duckdb');
    const w = cli(['sql', 'DELETE FROM events'], { db });
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/only queries/);
    expect(cli(['sql', "SELECT * FROM read_text('/etc/hostname')"], { db }).code).toBe(2);
    const ok = cli(['sql', 'SELECT count(*) AS n FROM events', '--output', 'csv'], { db });
    expect(ok.stdout.trim()).toBe('n\n68');
  });

  it('an unreadable path is reported with exit 4 and the rest is ingested', () => {
    const db = path.join(dir, 'partial.duckdb');
    const r = cliJson<{ stored: number; errors: { path: string }[] }>(
      ['ingest', path.join(dir, 'nope.jsonl'), path.join(FIXTURES, 'spec-events.jsonl')],
      { db },
    );
    expect(r.code).toBe(4);
    expect(r.json.stored).toBe(5);
    expect(r.json.errors[0]!.path).toContain('nope.jsonl');
  });

  it('a missing database is an input problem, not a stack trace', () => {
    const r = cli(['events'], { db: path.join(dir, 'none.duckdb') });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no database at/);
  });

  it('verify exits 3 naming the row edited behind its back', async () => {
    const db = path.join(dir, 'fx.duckdb');
    expect(cli(['verify'], { db }).code).toBe(0);
    const { openStore } = await import('../../src/lib/store/open.js');
    const s = await openStore(db);
    await s.conn.run("UPDATE events SET cluster_id = 'evil' WHERE seq = 17");
    s.close();
    const r = cliJson<{ ok: boolean; first_bad: { seq: number } }>(['verify'], { db });
    expect(r.code).toBe(3);
    expect(r.json.first_bad.seq).toBe(17);
    expect(cli(['verify'], { db }).stderr).toMatch(/seq 17/);
  });

  it('verify exits 3 with one line for each kind of tampering; --anchor catches a consistent truncation', async () => {
    const db = path.join(dir, 'tamper.duckdb');
    const file = path.join(dir, 'tamper.jsonl');
    const lines = Array.from({ length: 30 }, (_, i) => decisionLine(i));
    lines.splice(10, 0, '{not json', decisionLine(3), ''); // a reject, a duplicate, a blank line
    fs.writeFileSync(file, lines.slice(0, 20).join('\n') + '\n');
    expect(cli(['ingest', file], { db }).code).toBe(0);
    fs.appendFileSync(file, lines.slice(20).join('\n') + '\n');
    expect(cli(['ingest', file], { db }).code).toBe(0);
    const head = cliJson<{ ok: boolean; head: { seq: number } }>(['verify'], { db });
    expect(head.json).toMatchObject({ ok: true, head: { seq: 30 } });
    const anchor = path.join(dir, 'tamper-head.json');
    fs.writeFileSync(anchor, JSON.stringify(head.json));
    const { openStore } = await import('../../src/lib/store/open.js');
    const cases: [string[], RegExp][] = [
      [
        ['DELETE FROM events WHERE seq > 28'],
        /commit log: newest commit record #2 \(seq 30\): seq 30 is not stored/,
      ],
      [['UPDATE sources SET stored = 5'], /sources: source 1 .*sources\.stored is 5 but 30/],
      [
        ['DELETE FROM rejects'],
        /rejects: the reject of .*tamper\.jsonl line 11, written by commit #1, is missing/,
      ],
      [["UPDATE rejects SET reason = 'ok'"], /rejects: the reject of .*tamper\.jsonl line 11 was edited/],
      [["UPDATE verifications SET head_chain = 'x'"], /verifications: verification record #1 was edited/],
      [["UPDATE events SET cluster_id = 'evil' WHERE seq = 3"], /typed columns: first bad row seq 3 /],
    ];
    for (const [sql, re] of cases) {
      const copy = path.join(dir, 'tamper-copy.duckdb');
      fs.copyFileSync(db, copy);
      const s = await openStore(copy);
      for (const q of sql) await s.conn.run(q);
      s.close();
      const r = cli(['verify', '--no-record'], { db: copy });
      expect(r.code, sql.join('; ')).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      fs.rmSync(copy);
    }
    // remove the second ingest from every table: only the anchor kept outside can tell
    const s = await openStore(db);
    for (const q of [
      'DELETE FROM events WHERE seq > 17',
      'DELETE FROM commits WHERE id > 1',
      'DELETE FROM verifications',
      'DELETE FROM verification_hashes',
      'UPDATE sources SET lines = 20, stored = 17, duplicates = 1, skipped = 1',
    ])
      await s.conn.run(q);
    s.close();
    expect(cli(['verify', '--no-record'], { db }).code).toBe(0);
    const r = cli(['verify', '--no-record', '--anchor', anchor], { db });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /anchor: --anchor .*tamper-head\.json \(seq 30\): seq 30 is not stored \(the newest row is seq 17\)/,
    );
    expect(cli(['verify', '--anchor', 'nonsense'], { db }).code).toBe(2);
  });

  it('kill -9 in the middle of a 300k-line ingest, rerun: every event exactly once', async () => {
    const db = path.join(dir, 'crash.duckdb');
    const file = path.join(dir, 'big.jsonl');
    const N = 300_000;
    const out = fs.openSync(file, 'w');
    let buf: string[] = [];
    for (let i = 0; i < N; i++) {
      buf.push(i % 1000 === 999 ? decisionLine(i - 500) : decisionLine(i)); // 300 duplicates
      if (buf.length === 10_000) {
        fs.writeSync(out, buf.join('\n') + '\n');
        buf = [];
      }
    }
    fs.closeSync(out);
    const unique = N - 300;
    // kill at two points once the ingest is under way (the database exists)
    const killed: number[] = [];
    for (const delayMs of [300, 1500]) {
      const child = spawn(process.execPath, [BIN, 'ingest', file, '--batch-size', '20000', '--quiet'], {
        env: { ...process.env, KCLOUD_LOG_DB: db },
        stdio: 'ignore',
      });
      await waitFor(() => fs.existsSync(db), {
        what: 'the ingest to create the database',
        timeoutMs: 30_000,
        everyMs: 20,
      });
      await new Promise((r) => setTimeout(r, delayMs)); // the kill point: a time into the ingest, not a wait
      child.kill('SIGKILL');
      killed.push(child.pid!);
      await new Promise((r) => child.on('exit', r));
    }
    const after = await query(db, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events');
    expect(Number(after[0]!.n)).toBe(Number(after[0]!.d)); // no event twice, even before the rerun
    expect(Number(after[0]!.n)).toBeLessThan(unique); // the kills did interrupt the ingest
    const rerun = cliJson<{ stored: number }>(['ingest', file, '--batch-size', '20000'], { db });
    expect(rerun.code).toBe(0);
    // the parse workers' stage files of the killed ingests are gone (removed by the rerun)
    const left = ['/dev/shm', os.tmpdir()]
      .filter((root) => fs.existsSync(root))
      .flatMap((root) => fs.readdirSync(root))
      .filter((n) => killed.some((pid) => n.startsWith(`kcloud-log-stage-${pid}-`)));
    expect(left).toEqual([]);
    const rows = await query(
      db,
      "SELECT count(*) AS n, count(DISTINCT event_id) AS d, count(DISTINCT raw->>'seq_no') AS s, max(seq) AS m FROM events",
    );
    expect(rows[0]).toMatchObject({
      n: BigInt(unique),
      d: BigInt(unique),
      s: BigInt(unique),
      m: BigInt(unique),
    });
    const src = cliJson<{
      sources: {
        lines: number;
        stored: number;
        duplicates: number;
        rejected: number;
        skipped: number;
        offset: number;
      }[];
    }>(['sources'], { db });
    expect(src.json.sources).toHaveLength(1);
    expect(src.json.sources[0]).toMatchObject({
      lines: N,
      stored: unique,
      duplicates: 300,
      offset: fs.statSync(file).size,
    });
    expect(cli(['verify'], { db }).code).toBe(0);
  }, 240_000);
});
