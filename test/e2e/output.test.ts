/**
 * Output as the tools users already have expect it (issue 11 items 3-5): a closed pipe ends a
 * command quietly with exit 0, exports stream without listener warnings, progress on stderr
 * (forced with KCLOUD_LOG_PROGRESS=1, as a terminal would get it), a follower without a terminal
 * logs status lines, every listing command has --output, and tables fit the width.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, cli, decisionLine, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
const EVENTS = 6000;

/** Run `kcloud-log ARGS | head -N` in bash with pipefail: the exit code is the CLI's. */
function piped(args: string[], head = 1) {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync(
    'bash',
    ['-c', `set -o pipefail; '${process.execPath}' '${BIN}' ${quoted} | head -${head}`],
    {
      encoding: 'utf8',
      env: { ...process.env, KCLOUD_LOG_DB: db, NO_COLOR: '1' },
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = tmpDir('kcl-output-');
  db = path.join(dir, 'out.duckdb');
  const file = path.join(dir, 'many.jsonl');
  // wide enough lines that an export is several pipe buffers (64 KiB) long
  const pad = 'x'.repeat(200);
  // and a thousand rejects (events with a bad timestamp), for the rejects export
  fs.writeFileSync(
    file,
    Array.from({ length: EVENTS }, (_, i) =>
      decisionLine(i, { reason: `r${i} ${pad}`, ...(i % 6 ? {} : { timestamp: 'not a time' }) }),
    ).join('\n') + '\n',
  );
  expect(cli(['ingest', file, path.join(FIXTURES, 'spec-events.jsonl'), '--quiet'], { db }).code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a closed pipe', () => {
  it.each([
    ['events', '--output', 'jsonl'],
    ['events', '--output', 'csv'],
    ['rejects', '--output', 'jsonl'],
    ['sql', 'SELECT seq, raw FROM events', '--output', 'csv'],
    ['sql', 'SELECT seq, raw FROM events', '--output', 'jsonl'],
    ['events', '--limit', '5000'],
  ])('%s %s %s | head -1: exit 0, nothing on stderr', (...args) => {
    const r = piped(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('big exports', () => {
  it('stream every row, in order, with no MaxListenersExceededWarning', () => {
    const r = cli(['events', '--output', 'jsonl'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/MaxListeners|Warning/);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan((EVENTS * 5) / 6);
    const ts = lines.map((l) => (JSON.parse(l) as { timestamp: string }).timestamp);
    expect([...ts].sort()).toEqual(ts);
    const csv = cli(['sql', 'SELECT seq FROM events ORDER BY seq', '--output', 'csv'], { db });
    expect(csv.code, csv.stderr).toBe(0);
    const seqs = csv.stdout.trim().split('\n');
    expect(seqs[0]).toBe('seq');
    expect(seqs.slice(1).map(Number)).toEqual(Array.from({ length: seqs.length - 1 }, (_, i) => i + 1));
  });
});

describe('--output on every listing command', () => {
  it('sources, trace and alerts as jsonl and csv', () => {
    const sources = cli(['sources', '--output', 'csv'], { db });
    expect(sources.code, sources.stderr).toBe(0);
    expect(sources.stdout.split('\n')[0]).toMatch(
      /^id,path,kind,status,dev,ino,offset,lag_bytes,lines,stored/,
    );
    expect(sources.stdout.trim().split('\n')).toHaveLength(3);
    const sj = cli(['sources', '--output', 'jsonl'], { db });
    expect(
      sj.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { balanced: boolean }),
    ).toHaveLength(2);

    const tr = cli(['trace', 'ml-training-job-123', '--output', 'csv'], { db });
    expect(tr.code, tr.stderr).toBe(0);
    expect(tr.stdout.split('\n')[0]).toBe('seq,event_id,ts,event_type,cluster_id');
    expect(tr.stdout.trim().split('\n').length).toBeGreaterThan(1);
    const raw = cli(['trace', 'ml-training-job-123', '--raw', '--output', 'jsonl'], { db });
    const first = JSON.parse(raw.stdout.split('\n')[0]!) as { event: Record<string, unknown> };
    expect(first.event).toBeTypeOf('object');

    const rules = path.join(dir, 'rules.yaml');
    fs.writeFileSync(rules, 'rules:\n  - name: any-decision\n    match: { type: scheduling_decision }\n');
    const al = cli(['alerts', '--rules', rules, '--output', 'csv'], { db });
    expect(al.code, al.stderr).toBe(0);
    expect(al.stdout.split('\n')[0]).toBe(
      'rule,kind,state,since,active_since,resolved_at,value,threshold,labels,message',
    );
    expect(al.stdout.trim().split('\n').length).toBeGreaterThan(1);
    const bt = cli(['alerts', '--rules', rules, '--backtest', '30d', '--output', 'jsonl'], { db });
    expect(bt.code, bt.stderr).toBe(0);
    expect((JSON.parse(bt.stdout.split('\n')[0]!) as { rule: string }).rule).toBe('any-decision');
  });

  it('--output json prints what --json prints', () => {
    const a = cli(['sources', '--output', 'json'], { db });
    const b = cli(['sources', '--json'], { db });
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
  });
});

describe('tables', () => {
  it('piped: plain columns, no box drawing, numbers right-aligned', () => {
    const r = cli(['sources'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[┌│─└]/);
    const [head, ...rows] = r.stdout.trim().split('\n');
    // the right edge of "lines" is where the numbers of the column end
    const end = head!.indexOf('lines') + 'lines'.length;
    for (const row of rows) expect(row.slice(end - 1, end)).toMatch(/\d/);
  });

  it('fit $COLUMNS: long text columns are cut with …', () => {
    const wide = cli(['events', '--limit', '3'], { db });
    const narrow = cli(['events', '--limit', '3'], { db, env: { COLUMNS: '80' } });
    expect(narrow.code, narrow.stderr).toBe(0);
    const longest = (t: string) => Math.max(...t.split('\n').map((l) => [...l].length));
    expect(longest(wide.stdout)).toBeGreaterThan(80);
    for (const l of narrow.stdout.split('\n').slice(0, 4)) expect([...l].length).toBeLessThanOrEqual(80);
    expect(narrow.stdout).toContain('…');
  });
});

describe('progress on stderr', () => {
  const forced = { KCLOUD_LOG_PROGRESS: '1' };

  it('ingest: lines and events read as they are read, rate, ETA; nothing without a terminal', () => {
    const d = tmpDir('kcl-progress-');
    try {
      const file = path.join(d, 'p.jsonl');
      fs.writeFileSync(file, Array.from({ length: 30_000 }, (_, i) => decisionLine(i)).join('\n') + '\n');
      const pdb = path.join(d, 'p.duckdb');
      const r = cli(['ingest', file, '--batch-size', '2000'], { db: pdb, env: forced });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/ingest .*\d+% \| [\d,]+ lines, [\d,]+ events \| [\d,]+ lines\/s \| ETA/);
      const counts = [...r.stderr.matchAll(/([\d,]+) lines,/g)].map((m) => Number(m[1]!.replaceAll(',', '')));
      expect(Math.max(...counts)).toBeGreaterThan(0);
      const quiet = cli(['ingest', file], { db: pdb });
      expect(quiet.stderr).not.toMatch(/ETA|lines\/s/);
      const json = cli(['ingest', file, '--json'], { db: pdb, env: forced });
      expect(json.stderr).not.toMatch(/ETA|lines\/s/);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('verify and report audit show their progress', () => {
    const v = cli(['verify', '--no-record'], { db, env: forced });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/verify .*rows/);
    const out = path.join(dir, 'r.md');
    const r = cli(['report', 'audit', '--out', out], { db, env: forced });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/report .*sections/);
  });
});

describe('ingest --follow without a terminal', () => {
  async function follow(extra: string[]): Promise<string> {
    const d = tmpDir('kcl-status-');
    const file = path.join(d, 'f.jsonl');
    fs.writeFileSync(file, Array.from({ length: 50 }, (_, i) => decisionLine(i)).join('\n') + '\n');
    const child = spawn(
      process.execPath,
      [BIN, 'ingest', '--follow', file, '--flush-interval', '100ms', '--status-interval', '1s', ...extra],
      { env: { ...process.env, KCLOUD_LOG_DB: path.join(d, 'f.duckdb'), NO_COLOR: '1' } },
    );
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const deadline = Date.now() + 30_000;
    while (!/status/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(d, { recursive: true, force: true });
    return err;
  }

  it('logs one status line per --status-interval', async () => {
    const err = await follow([]);
    expect(err).toMatch(/^\S+Z status: 50 lines = 50 stored \+ 0 rejected/m);
  });

  it('--log-format json: one JSON object per line, for collectors', async () => {
    const err = await follow(['--log-format', 'json']);
    const line = err.split('\n').find((l) => l.includes('"status"'))!;
    const o = JSON.parse(line) as Record<string, unknown>;
    expect(o).toMatchObject({ level: 'info', msg: 'status', stored: 50, lines: 50 });
    expect(o.time).toMatch(/Z$/);
  });
});
