/**
 * The CLI beside a running service: each command's calls go to the service (the service holds
 * DuckDB's lock, so with --lock-timeout 0 a command that opened the file itself would fail at
 * once), and what it prints, and its exit code, are what it gives with no service at all.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import v8 from 'node:v8';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../../examples/generate.mjs';
import { BIN, cli, decisionLine, FIXTURES, tmpDir, type RunResult } from '../helpers.js';
import { startServe, stopServe, type Service } from './process.js';
import { readInstance } from '../../src/lib/serve/instance.js';
import { CLI_KEY_HEADER } from '../../src/lib/session/wire.js';

const RULE = 'alerts rules add slow --metric latency_p95_ms --op > --threshold 50 --window 10m'.split(' ');

/** Every query command, in the output modes they have (tables, --json, exports), and mistakes. */
const COMMANDS: string[][] = [
  ['events', '--limit', '5'],
  ['events', '--json', '--limit', '3', '--order', 'desc'],
  ['events', '--output', 'jsonl'],
  ['events', '--output', 'csv', '--type', 'scheduling_decision'],
  ['events', '--limit', '0', '--where', 'execution_time_ms>100'],
  ['events', '--type', 'no_such_type'],
  ['sql', 'SELECT event_type, count(*) AS n FROM events GROUP BY ALL ORDER BY 1'],
  ['sql', 'SELECT seq, event_id, ts, tags FROM events ORDER BY seq LIMIT 20', '--json'],
  ['sql', 'SELECT seq, workload_id FROM events ORDER BY seq', '--output', 'csv'],
  ['sql', 'DELETE FROM events'],
  ['sql', "SELECT * FROM read_csv('/etc/hostname')"],
  ['sql', "COPY (SELECT 1) TO '/tmp/kcl-should-not-exist.csv'"],
  ['sources'],
  ['sources', '--json'],
  ['rejects'],
  ['rejects', '--output', 'jsonl'],
  ['trace', 'job-3'],
  ['trace', 'job-3', '--json'],
  ['trace', 'no-such-job'],
  ['analyze', 'scheduling'],
  ['analyze', 'scheduling', '--json', '--by', 'cluster'],
  ['analyze', 'scheduling', '--json', '--fail-if-p95-over', '1'],
  ['analyze', 'cost', '--json'],
  ['analyze', 'cost'],
  ['analyze', 'sla', '--json'],
  ['alerts', '--json'],
  ['alerts'],
  ['alerts', 'rules', 'list', '--json'],
];

const run = (args: string[], db: string): RunResult =>
  cli([...args, '--db', db, '--lock-timeout', '0'], { env: { COLUMNS: '120' } });

/** A report's and a verification's figures that differ from run to run: when it was made, how long it took. */
const steady = (text: string) =>
  text
    .replace(/"(generated_at|at|seconds|verified_at|recorded_at)": ("[^"]*"|[\d.]+)/g, '"$1": "~"')
    .replace(/"(source)": "newest verification record #\d+"/g, '"$1": "~"')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \(\d+(\.\d+)? s\)/g, '~');

describe('the CLI beside a running service', () => {
  let dir: string;
  let db: string;
  let svc: Service | undefined;

  beforeAll(() => {
    dir = tmpDir('kcl-serve-cli-');
    db = path.join(dir, 'store.duckdb');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    fs.writeFileSync(
      path.join(logs, 'gen.jsonl'),
      generateEvents({ events: 3000, seed: 5 }).lines.join('\n') + '\n',
    );
    fs.copyFileSync(path.join(FIXTURES, 'spec-events.jsonl'), path.join(logs, 'spec.jsonl'));
    fs.writeFileSync(
      path.join(logs, 'jobs.jsonl'),
      Array.from({ length: 200 }, (_, i) => decisionLine(i)).join('\n') + '\n{torn\n',
    );
    expect(cli(['ingest', logs, '--db', db, '-q']).code).toBe(0);
    expect(cli([...RULE, '--db', db]).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (svc) await stopServe(svc);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives every command the output, and the exit code, it gives without the service', async () => {
    const alone = COMMANDS.map((c) => run(c, db));
    svc = await startServe(db);
    const served = COMMANDS.map((c) => run(c, db));
    await stopServe(svc);
    svc = undefined;
    for (const [i, c] of COMMANDS.entries()) {
      const what = c.join(' ');
      expect({ what, ...served[i] }).toEqual({ what, ...alone[i] });
    }
    // the list covers what matters: data, refusals, check failures
    expect(alone.map((r) => r.code)).toContain(0);
    expect(alone.map((r) => r.code)).toContain(2);
    expect(alone.map((r) => r.code)).toContain(3);
    expect(fs.existsSync('/tmp/kcl-should-not-exist.csv')).toBe(false);
  }, 480_000);

  it('verifies, records the verification and writes the audit report through the service', async () => {
    const report = ['report', 'audit', '--format', 'json'];
    const verify = ['verify', '--json'];
    const aloneReport = run(report, db);
    svc = await startServe(db);
    const servedReport = run(report, db);
    const servedVerify = run(verify, db);
    await stopServe(svc);
    svc = undefined;
    const aloneVerify = run(verify, db);
    expect(servedReport.code).toBe(aloneReport.code);
    expect(steady(servedReport.stdout)).toBe(steady(aloneReport.stdout));
    const result = (r: RunResult) =>
      JSON.parse(r.stdout) as { ok: boolean; rows: number; head: unknown; recorded: number };
    expect(servedVerify.code).toBe(0);
    const [served, alone] = [result(servedVerify), result(aloneVerify)];
    expect({ ...served, recorded: 0 }).toMatchObject({ ok: alone.ok, rows: alone.rows, head: alone.head });
    // the service's writer recorded the first verification: the one made without it is the next
    expect(alone.recorded).toBe(served.recorded + 1);
  }, 120_000);

  it('ingests files through the service, exactly once, and refuses what it cannot send', async () => {
    const more = path.join(dir, 'more.jsonl');
    fs.writeFileSync(more, Array.from({ length: 300 }, (_, i) => decisionLine(1000 + i)).join('\n') + '\n');
    svc = await startServe(db);
    const rel = path.relative(process.cwd(), more);
    const first = cli([
      'ingest',
      rel,
      path.join(dir, 'nothing-here.jsonl'),
      '--db',
      db,
      '--lock-timeout',
      '0',
      '--json',
    ]);
    expect(first.code).toBe(4); // one path missing: exit 4 after the rest was stored, as without a service
    const r = JSON.parse(first.stdout) as { stored: number; errors: { path: string }[] };
    expect(r.stored).toBe(300);
    expect(r.errors.map((e) => e.path)).toEqual([path.join(dir, 'nothing-here.jsonl')]);
    const second = JSON.parse(cli(['ingest', more, '--db', db, '--lock-timeout', '0', '--json']).stdout) as {
      stored: number;
      lines: number;
    };
    expect(second).toMatchObject({ stored: 0 }); // its offset is known: nothing read twice
    const stdin = cli(['ingest', '-', '--db', db, '--lock-timeout', '0'], { input: decisionLine(5000) });
    expect(stdin.code).toBe(5);
    expect(stdin.stderr).toMatch(/kept open by the service PID \d+ .*send standard input to it instead/);
    const follow = cli(['ingest', '--follow', more, '--db', db, '--lock-timeout', '0']);
    expect(follow.code).toBe(5);
    expect(follow.stderr).toMatch(/serve --follow/);
    await stopServe(svc);
    svc = undefined;
    const { sources } = JSON.parse(cli(['sources', '--json', '--db', db]).stdout) as {
      sources: { path: string; lines: number; stored: number }[];
    };
    expect(sources.find((s) => s.path === more)).toMatchObject({ lines: 300, stored: 300 });
  }, 120_000);

  it('interrupts a query at --timeout with the message it has without a service, and the service goes on', async () => {
    svc = await startServe(db);
    const slow = ['sql', 'SELECT count(*) FROM range(100000000000) a', '--timeout', '1s'];
    const t0 = Date.now();
    const r = run(slow, db);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/query interrupted after 1 s \(--timeout 1s\)/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const after = run(['events', '--limit', '0', '--json'], db);
    expect(after.code).toBe(0);
    // the interrupted read is not left running: the service's next reads are prompt
    const t1 = Date.now();
    for (let i = 0; i < 3; i++) expect(run(['events', '--limit', '1', '--json'], db).code).toBe(0);
    expect(Date.now() - t1).toBeLessThan(20_000);
    await stopServe(svc);
    svc = undefined;
  }, 120_000);

  it('streams an export to a reader that stops early, and tails through the service', async () => {
    svc = await startServe(db);
    const head = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" events --output jsonl --db "${db}" | head -2`],
      {
        encoding: 'utf8',
      },
    );
    expect(head.stdout.trim().split('\n')).toHaveLength(2);
    const tail = spawn(
      process.execPath,
      [BIN, 'tail', '--db', db, '--last', '1', '--limit', '3', '--interval', '100ms', '-o', 'jsonl'],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let out = '';
    tail.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => tail.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 1500));
    const posted = await fetch(`${svc.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: [decisionLine(7000), decisionLine(7001)].join('\n') + '\n',
    });
    expect(posted.status).toBe(200);
    expect(await exited).toBe(0);
    const ids = out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { workload: { id: string } }).workload.id);
    expect(ids.slice(1)).toEqual([7000, 7001].map((i) => `job-${i % 997}`));
    await stopServe(svc);
    svc = undefined;
  }, 120_000);

  it('runs calls only for whoever holds the instance key, from this machine, and only calls of its registry', async () => {
    svc = await startServe(db);
    const inst = readInstance(db)!;
    expect(fs.statSync(`${db}.serve.json`).mode & 0o077).toBe(0); // the owner's alone
    const call = (name: string, key?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(new URL(`/cli/v1/call/${name}`, svc!.url), {
          method: 'POST',
          headers: { 'content-type': 'application/x-kcloud-args', ...(key ? { [CLI_KEY_HEADER]: key } : {}) },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(v8.serialize([]));
      });
    expect(await call('sourceReport')).toBe(401);
    expect(await call('sourceReport', 'x'.repeat(64))).toBe(401);
    expect(await call('openStore', inst.key!)).toBe(404);
    expect(await call('sourceReport', inst.key!)).toBe(200);
    await stopServe(svc);
    svc = undefined;
  }, 60_000);
});
