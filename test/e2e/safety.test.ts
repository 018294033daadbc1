/**
 * Operator mistakes are harmless and output is safe (issue 10, items 7 and 8): what comes from
 * the data never reaches a terminal as control characters, a report as HTML, or an error message
 * as more than a short excerpt of a file.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, decisionLine, tmpDir, waitFor } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-safety-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a terminal would act on: ESC, BEL, CR, other C0 controls but newline and tab, C1. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('control characters from the data are escaped in human-readable output', () => {
  const ESC = '\x1b]0;pwned\x07\x1b[2J\x1b[H';
  const workload = `job-${ESC}`;
  let db: string;
  let log: string;

  beforeAll(() => {
    db = path.join(dir, 'ctl.duckdb');
    log = path.join(dir, `app${ESC}.jsonl`);
    const d = JSON.parse(decisionLine(1)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    d.workload.id = workload;
    d.decision.selected_cluster = `gpu${ESC}`;
    d.decision.reason = `cheap${ESC}`;
    d.decision.cost_calculation.alternatives[0].cluster = `alt${ESC}`;
    const lines = [
      JSON.stringify(d),
      JSON.stringify({
        event_type: 'inefficiency_detected',
        timestamp: '2025-01-15T00:00:05Z',
        severity: 'high',
        inefficiency: {
          type: `idle${ESC}`,
          cluster: `gpu${ESC}`,
          utilization: 5,
          idle_duration_hours: 6,
          wasted_cost_estimate: 500,
        },
        recommended_action: `consolidate${ESC}`,
        auto_action_taken: false,
      }),
      JSON.stringify({
        event_type: 'policy_change',
        timestamp: '2025-01-15T00:00:06Z',
        action: 'applied',
        policy: { id: `p${ESC}`, name: 'n', version: '2' },
        actor: `ops${ESC}`,
        reason: `why${ESC}`,
      }),
      JSON.stringify({ event_type: `custom${ESC}`, timestamp: '2025-01-15T00:00:07Z' }),
      `{"event_type": "scheduling_decision", "broken${ESC}`,
    ];
    fs.writeFileSync(log, lines.join('\n') + '\n');
    const r = cli(['ingest', log, '--json'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout), r.stdout).toMatchObject({ stored: 3, rejected: 2 }); // an event_type with control characters is refused;
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });

  const human: [string, string[]][] = [
    ['events', ['events']],
    ['tail', ['tail', '--last', '3', '--limit', '3']],
    ['trace', ['trace', workload]],
    ['rejects', ['rejects']],
    ['sources', ['sources']],
    ['sql', ['sql', 'SELECT workload_id, raw FROM events']],
    ['analyze scheduling', ['analyze', 'scheduling', '--by', 'cluster']],
    ['analyze cost', ['analyze', 'cost']],
    ['alerts', ['alerts', '--rules', 'RULES', '--at', '2025-01-15T00:10:00Z']],
    ['report audit (md)', ['report', 'audit', '--format', 'md']],
  ];
  for (const [name, args] of human) {
    it(`${name}`, () => {
      const rules = path.join(dir, 'rules.yaml');
      fs.writeFileSync(
        rules,
        'rules:\n  - name: waste\n    match: { type: inefficiency_detected }\n    message: "waste on {{cluster_id}}"\n',
      );
      const r = cli(
        args.map((a) => (a === 'RULES' ? rules : a)),
        { db, timeoutMs: 30_000 },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stdout).toContain('\\x1b');
    });
  }

  it('machine-readable output keeps the data exact', () => {
    const r = cli(['events', '--type', 'scheduling_decision', '--output', 'jsonl'], { db });
    expect(r.stdout).not.toMatch(RAW_CONTROL); // JSON escapes them
    const ev = JSON.parse(r.stdout.trim()) as { workload: { id: string } };
    expect(ev.workload.id).toBe(workload);
    const csv = cli(['rejects', '--output', 'csv'], { db });
    expect(csv.stdout).toContain(`broken${ESC}`);
    const sql = cli(
      ['sql', 'SELECT workload_id FROM events WHERE workload_id IS NOT NULL', '--output', 'jsonl'],
      {
        db,
      },
    );
    expect((JSON.parse(sql.stdout.trim()) as { workload_id: string }).workload_id).toBe(workload);
  });

  it('error messages naming a file or value escape it too', () => {
    const r = cli(['trace', `nobody${ESC}`], { db });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('nobody\\x1b');
  });
});

describe('a rule or SLO file in error is quoted, never printed back', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nsecret-token: 0123456789abcdef\n'.repeat(200);
  const A = 'A'.repeat(5000);
  const cases: { name: string; file: string; text: string | Buffer; absent: string }[] = [
    { name: 'a JSON file that is not JSON', file: 'r0.json', text: passwd, absent: 'secret-token' },
    {
      name: 'a file of many bad rules',
      file: 'r1.yaml',
      text: `rules:\n${`  - name: x\n    match:\n      type: "${A}"\n`.repeat(50)}`,
      absent: A.slice(0, 100),
    },
    {
      name: 'a YAML file of many keys (an env file)',
      file: 'r2.yaml',
      text: Array.from({ length: 1000 }, (_, i) => `KEY_${i}: secret_${i}`).join('\n'),
      absent: 'KEY_999',
    },
    {
      name: 'a rule whose name is long and has control characters',
      file: 'r3.yaml',
      text: `rules:\n  - name: "${'\\x1b[2J'.repeat(400)}"\n    match: { type: policy_change }\n`,
      absent: '[2J'.repeat(30),
    },
    {
      name: 'a binary file',
      file: 'r4.yaml',
      text: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)),
      absent: '\x07',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const file = path.join(dir, c.file);
      fs.writeFileSync(file, c.text);
      for (const args of [
        ['alerts', '--rules', file],
        ['alerts', 'rules', 'add', '--file', file],
        ['analyze', 'sla', '--slo', file],
      ]) {
        const r = cli(args, { db: path.join(dir, 'none.duckdb') });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(file);
        expect(r.stderr.length, r.stderr).toBeLessThan(3000);
        expect(r.stderr).not.toMatch(RAW_CONTROL);
        expect(r.stderr).not.toContain(c.absent);
      }
    });
  }
});

describe('output paths never overwrite the store or any DuckDB file', () => {
  let db: string;
  let digest: () => string;
  beforeAll(() => {
    db = path.join(dir, 'out', 'store.duckdb');
    fs.mkdirSync(path.dirname(db), { recursive: true });
    const log = path.join(dir, 'out-events.jsonl');
    fs.writeFileSync(log, [1, 2, 3].map((i) => decisionLine(i)).join('\n') + '\n');
    expect(cli(['ingest', log], { db }).code).toBe(0);
    digest = () => createHash('sha256').update(fs.readFileSync(db)).digest('hex');
  });

  const refused = (args: string[], target: string) => {
    const before = digest();
    const r = cli(args, { db });
    expect(r.code, r.stderr).toBe(2);
    const message = r.stderr.replace(/\s*›\s*/g, ' '); // oclif wraps long lines
    expect(message).toContain(target);
    expect(message).toMatch(/refusing to overwrite/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3); // one message (wrapped by oclif)
    expect(digest()).toBe(before);
  };

  it('report audit --out the store, its WAL, a link to it, another DuckDB file: exit 2, nothing written', () => {
    const out = path.dirname(db);
    refused(['report', 'audit', '--out', db], db);
    refused(['report', 'audit', '--out', `${db}.wal`], `${db}.wal`);
    expect(fs.existsSync(`${db}.wal`)).toBe(false);
    const link = path.join(out, 'report.md');
    fs.symlinkSync(db, link);
    refused(['report', 'audit', '--out', link], link);
    const dangling = path.join(out, 'wal-link.md');
    fs.symlinkSync(`${db}.wal`, dangling);
    refused(['report', 'audit', '--out', dangling], dangling);
    const other = path.join(out, 'other.duckdb');
    fs.copyFileSync(db, other);
    const disguised = path.join(out, 'notes.html');
    fs.copyFileSync(db, disguised);
    refused(['report', 'audit', '--out', disguised], disguised);
    refused(['report', 'audit', '--out', `${other}.wal`, '--format', 'md'], `${other}.wal`);
  });

  it('report audit --out the key it signs with: refused', () => {
    const keys = path.join(dir, 'out-keys');
    expect(cli(['report', 'keygen', '--out', keys], { db }).code).toBe(0);
    const key = path.join(keys, 'kcloud-log-report.key');
    const pem = fs.readFileSync(key, 'utf8');
    refused(['report', 'audit', '--key', key, '--out', key, '--format', 'md'], key);
    expect(fs.readFileSync(key, 'utf8')).toBe(pem);
  });

  it('report keygen --force onto a link to the store: refused', () => {
    const keys = path.join(dir, 'out-keys2');
    fs.mkdirSync(keys);
    fs.symlinkSync(db, path.join(keys, 'kcloud-log-report.pub'));
    refused(['report', 'keygen', '--out', keys, '--force'], path.join(keys, 'kcloud-log-report.pub'));
    expect(fs.existsSync(path.join(keys, 'kcloud-log-report.key'))).toBe(false);
  });

  it('a report is written atomically: a new file renamed over the old one, no temporary left', () => {
    const out = path.join(dir, 'out-atomic');
    fs.mkdirSync(out);
    const file = path.join(out, 'audit.md');
    fs.writeFileSync(file, 'old report\n');
    fs.linkSync(file, path.join(out, 'hardlink.md')); // still the old inode after the rename
    const r = cli(['report', 'audit', '--out', file], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# kcloud-log audit report/);
    expect(fs.readFileSync(path.join(out, 'hardlink.md'), 'utf8')).toBe('old report\n');
    expect(fs.readdirSync(out).sort()).toEqual(['audit.md', 'hardlink.md']);
    // a link to an ordinary file is followed: the file it points to gets the report
    const real = path.join(out, 'real.md');
    fs.writeFileSync(real, 'x');
    fs.symlinkSync(real, path.join(out, 'link.md'));
    expect(cli(['report', 'audit', '--out', path.join(out, 'link.md')], { db }).code).toBe(0);
    expect(fs.lstatSync(path.join(out, 'link.md')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(real, 'utf8')).toMatch(/^# kcloud-log audit report/);
  });
});

describe('ingest: odd paths end with a message, never hang or read the store', () => {
  const events = (file: string, from: number, n: number) =>
    fs.writeFileSync(file, Array.from({ length: n }, (_, i) => decisionLine(from + i)).join('\n') + '\n');
  type Summary = { stored: number; errors: { path: string; reason: string }[]; sources: { path: string }[] };
  const ingest = (args: string[], db: string) => {
    const r = cli(['ingest', ...args, '--json'], { db, timeoutMs: 60_000 });
    return { ...r, json: JSON.parse(r.stdout) as Summary };
  };

  it('a FIFO is read as a stream, its lines all stored', async () => {
    const d = path.join(dir, 'fifo-stream');
    fs.mkdirSync(d);
    const fifo = path.join(d, 'pipe');
    execFileSync('mkfifo', [fifo]);
    events(path.join(d, 'data'), 0, 500);
    events(path.join(d, 'other.jsonl'), 1000, 5);
    const writer = spawn('sh', ['-c', `sleep 1; cat data > pipe`], { cwd: d });
    const done = new Promise((r) => writer.on('exit', r));
    const r = ingest([fifo, path.join(d, 'other.jsonl')], path.join(d, 'db.duckdb'));
    await done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.stored).toBe(505);
    expect(r.json.sources.map((s) => s.path)).toEqual([fifo, path.join(d, 'other.jsonl')]);
  });

  it('a FIFO nothing writes to, a device, a FIFO in a directory: exit 4 naming each, the rest stored', () => {
    const d = path.join(dir, 'fifo-idle');
    fs.mkdirSync(path.join(d, 'logs'), { recursive: true });
    execFileSync('mkfifo', [path.join(d, 'idle')]);
    execFileSync('mkfifo', [path.join(d, 'logs', 'app.log')]);
    events(path.join(d, 'logs', 'b.jsonl'), 0, 3);
    const t0 = Date.now();
    const r = ingest([path.join(d, 'idle'), '/dev/zero', path.join(d, 'logs')], path.join(d, 'db.duckdb'));
    expect(Date.now() - t0).toBeLessThan(40_000);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json.stored).toBe(3);
    expect(r.json.errors).toEqual([
      { path: '/dev/zero', reason: 'a character device, not a log file' },
      { path: path.join(d, 'logs', 'app.log'), reason: expect.stringMatching(/FIFO.*skipped/) },
      { path: path.join(d, 'idle'), reason: expect.stringMatching(/FIFO that nothing was written to/) },
    ]);
  });

  it('a directory symlink loop ends; each real file is read once', () => {
    const d = path.join(dir, 'loop');
    fs.mkdirSync(path.join(d, 'logs', 'deep'), { recursive: true });
    events(path.join(d, 'logs', 'deep', 'a.jsonl'), 0, 4);
    fs.symlinkSync(path.join(d, 'logs'), path.join(d, 'logs', 'deep', 'again'));
    fs.symlinkSync(path.join(d, 'logs', 'deep', 'a.jsonl'), path.join(d, 'logs', 'link.jsonl'));
    const r = ingest([path.join(d, 'logs')], path.join(d, 'db.duckdb'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.stored).toBe(4);
    expect(r.json.sources).toHaveLength(1);
  });

  it('a store kept in the directory or glob being ingested is not read; a literal name with glob characters is a path', () => {
    const d = path.join(dir, 'logs[2025]');
    fs.mkdirSync(d);
    const db = path.join(d, 'kcloud-log.duckdb');
    events(path.join(d, 'a.jsonl'), 0, 3);
    expect(ingest([d], db).json.stored).toBe(3); // the literal directory, not a pattern
    events(path.join(d, 'b.jsonl'), 10, 2);
    const r = ingest([path.join(d, '*')], db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.sources.map((s) => path.basename(s.path))).toEqual(['a.jsonl', 'b.jsonl']);
    expect(r.json.stored).toBe(2);
    const named = ingest([db], db);
    expect(named.code).toBe(4);
    expect(named.json.errors).toEqual([
      { path: db, reason: 'is the database this ingest writes to, not a log' },
    ]);
  });

  it('follow mode refuses a FIFO with a message instead of blocking on it', async () => {
    const d = path.join(dir, 'fifo-follow');
    fs.mkdirSync(d);
    execFileSync('mkfifo', [path.join(d, 'pipe')]);
    const child = spawn(
      process.execPath,
      [BIN, 'ingest', '--follow', path.join(d, 'pipe'), '--db', path.join(d, 'db.duckdb')],
      {
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => /FIFO/.test(stderr), {
      what: 'the FIFO to be refused',
      timeoutMs: 30_000,
      state: () => stderr,
    });
    child.kill('SIGTERM');
    expect(await exit).toBe(4);
    expect(stderr.replace(/\s*›\s*/g, ' ')).toContain(
      `${path.join(d, 'pipe')}: a FIFO (named pipe) is not followed`,
    );
  });
});

describe('--timeout: a runaway query is interrupted', () => {
  const SLOW = 'SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b';
  let db: string;
  beforeAll(() => {
    db = path.join(dir, 'timeout.duckdb');
    const log = path.join(dir, 'timeout.jsonl');
    fs.writeFileSync(log, decisionLine(1) + '\n');
    expect(cli(['ingest', log], { db }).code).toBe(0);
  });

  it('sql --timeout 1s ends promptly with exit 5 and one line saying why', () => {
    const t0 = Date.now();
    const r = cli(['sql', SLOW, '--timeout', '1s'], { db, timeoutMs: 60_000 });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.replace(/\s*›\s*/g, ' ')).toMatch(/Error: query interrupted after 1 s \(--timeout 1s\)/);
    const json = cli(['sql', SLOW, '--timeout', '500ms', '--json'], { db, timeoutMs: 60_000 });
    expect(json.code).toBe(5);
    expect((JSON.parse(json.stdout) as { error: { message: string } }).error.message).toMatch(
      /^query interrupted after 0.5 s/,
    );
  });

  it('a writer waiting behind a runaway reader gets the database when the reader is interrupted', async () => {
    const reader = spawn(process.execPath, [BIN, 'sql', SLOW, '--timeout', '3s', '--db', db]);
    const readerExit = new Promise<number | null>((r) => reader.on('exit', (code) => r(code)));
    const holds = () => {
      try {
        return fs.readdirSync(`/proc/${reader.pid}/fd`).some((f) => {
          try {
            return fs.readlinkSync(`/proc/${reader.pid}/fd/${f}`) === db;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    await waitFor(() => holds() || reader.exitCode !== null, { what: 'the reader to open the database' });
    const t0 = Date.now();
    const log = path.join(dir, 'timeout-more.jsonl');
    fs.writeFileSync(log, decisionLine(2) + '\n');
    const w = cli(['ingest', log, '--lock-timeout', '20', '--json'], { db, timeoutMs: 60_000 });
    expect(w.code, w.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(1000); // it waited for the reader's deadline
    expect((JSON.parse(w.stdout) as { stored: number }).stored).toBe(1);
    expect(await readerExit).toBe(5);
  });

  it('a bad --timeout is a usage error; the default is finite', () => {
    const r = cli(['events', '--timeout', 'soon'], { db });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout "soon"');
    expect(cli(['sql', '--help']).stdout).toMatch(
      /--timeout=DURATION[\s\S]*\[default: 30s; 10m for --output jsonl\|csv\]/,
    );
    expect(cli(['verify', '--help']).stdout).toMatch(/--timeout=DURATION[\s\S]*\[default: 10m\]/);
  });
});

describe('a FIFO or a device named as a rules file, key, database or output: a message, never a hang', () => {
  let db: string;
  let fifo: string;
  beforeAll(() => {
    db = path.join(dir, 'special.duckdb');
    const log = path.join(dir, 'special.jsonl');
    fs.writeFileSync(log, decisionLine(1) + '\n');
    expect(cli(['ingest', log], { db }).code).toBe(0);
    fifo = path.join(dir, 'special-fifo');
    execFileSync('mkfifo', [fifo]);
  });
  const message = (r: { stderr: string }) => r.stderr.replace(/\s*›\s*/g, ' ');

  it('read as a whole file: refused with exit 4', () => {
    const keys = path.join(dir, 'special-keys');
    expect(cli(['report', 'keygen', '--out', keys], { db }).code).toBe(0);
    for (const [args, file] of [
      [['alerts', '--rules', fifo], fifo],
      [['analyze', 'sla', '--slo', '/dev/zero'], '/dev/zero'],
      [['report', 'audit', '--key', fifo], fifo],
      [['verify', '--report', fifo, '--pub', path.join(keys, 'kcloud-log-report.pub')], fifo],
      [['events', '--db', fifo], fifo],
    ] as [string[], string][]) {
      const r = cli(args, { db, timeoutMs: 30_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(message(r)).toMatch(new RegExp(`${file}: it is a (FIFO|character device)`));
    }
  });

  it('written: a FIFO is written as it is, never renamed over; one nobody reads is an error', async () => {
    // (not /dev/null: a regression would replace it for the whole machine)
    const copy = path.join(dir, 'special-copy.md');
    const reader = spawn('sh', ['-c', `cat '${fifo}' > '${copy}'`]);
    const read = new Promise((res) => reader.on('exit', res));
    await new Promise((res) => setTimeout(res, 300)); // cat has the FIFO open
    const w = cli(['report', 'audit', '--format', 'md', '--out', fifo], { db, timeoutMs: 30_000 });
    await read;
    expect(w.code, w.stderr).toBe(0);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.readFileSync(copy, 'utf8')).toMatch(/^# kcloud-log audit report/);
    const f = cli(['report', 'audit', '--out', fifo], { db, timeoutMs: 30_000 });
    expect(f.code, f.stderr).toBe(4);
    expect(message(f)).toContain(`cannot write ${fifo}: a FIFO that nobody reads`);
  });
});
