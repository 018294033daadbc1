/**
 * No silent surprises at ingest: a binary file is skipped whole with one warning, --exclude drops
 * what it matches (batch and follow), --fail-on-rejects makes a CI ingest fail (exit 3).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  FIXTURES,
  cli,
  cliJson,
  decisionLine,
  query,
  tmpDir,
  waitFor,
  waitForEvents,
} from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-ingest-flags-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => decisionLine(from + i)).join('\n') + '\n';

/** A directory of logs: 10 events in app.jsonl, 5 in archive/old.jsonl.gz, 3 in debug.log, and a binary file. */
function logDir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(path.join(d, 'archive'), { recursive: true });
  fs.writeFileSync(path.join(d, 'app.jsonl'), events(0, 10));
  fs.writeFileSync(path.join(d, 'archive', 'old.jsonl.gz'), zlib.gzipSync(events(100, 5)));
  fs.writeFileSync(path.join(d, 'debug.log'), events(200, 3));
  // A binary file with newlines in it: hundreds of "lines", none of them text.
  const bin = Buffer.alloc(64 * 1024);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 31) % 256;
  fs.writeFileSync(path.join(d, 'core.log'), bin);
  return d;
}

interface Ingested {
  files: number;
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
  skipped_files: { path: string; reason: string }[];
  sources: { path: string }[];
}

const warnings = (stderr: string) => stderr.split('\n').filter((l) => /Warning/.test(l));

describe('ingest: binary files', () => {
  it('a binary file is skipped whole: one warning naming it, no rejects, not a source; exit 0', async () => {
    const d = logDir('binary');
    const db = path.join(dir, 'binary.duckdb');
    const r = cliJson<Ingested>(['ingest', d], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ files: 3, lines: 18, stored: 18, rejected: 0, skipped: 0 });
    expect(r.json.skipped_files).toEqual([
      { path: path.join(d, 'core.log'), reason: expect.stringMatching(/^binary \(NUL bytes/) },
    ]);
    expect(r.json.sources.map((s) => path.basename(s.path)).sort()).toEqual([
      'app.jsonl',
      'debug.log',
      'old.jsonl.gz',
    ]);
    const src = await query(db, "SELECT count(*) AS n FROM sources WHERE path LIKE '%core.log'");
    expect(Number(src[0]!.n)).toBe(0);
    expect(cli(['verify'], { db }).code).toBe(0);

    // without --json: one warning naming it; named on the command line: the same
    for (const arg of [d, path.join(d, 'core.log')]) {
      const human = cli(['ingest', arg], { db: path.join(dir, `binary-${arg.length}.duckdb`) });
      expect(human.code, human.stderr).toBe(0);
      const w = warnings(human.stderr);
      expect(w).toHaveLength(1);
      expect(human.stderr).toContain(`${path.join(d, 'core.log')}: binary (NUL bytes`);
      expect(human.stdout).toMatch(/1 binary file skipped/);
    }
  });
});

describe('ingest --exclude', () => {
  it('drops files and directories matching a pattern, by name or by path', () => {
    const d = logDir('exclude');
    const db = path.join(dir, 'exclude.duckdb');
    const r = cliJson<Ingested>(['ingest', d, '--exclude', 'archive', '--exclude', '*.log'], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ files: 1, stored: 10, skipped_files: [] }); // core.log is excluded, not sniffed
    const more = cliJson<Ingested>(['ingest', d, '--exclude', `${d}/debug.*`], { db });
    expect(more.json.sources.map((s) => path.basename(s.path)).sort()).toEqual(['app.jsonl', 'old.jsonl.gz']);
    expect(more.json.stored).toBe(5);
  });
});

describe('ingest --fail-on-rejects', () => {
  it('exits 3 when this run rejected a line, with the whole --json result; 0 otherwise', () => {
    const db = path.join(dir, 'fail.duckdb');
    const file = path.join(dir, 'fail.jsonl');
    fs.writeFileSync(file, events(0, 4) + '{"event_type": "scheduling_decision", \n' + events(4, 2));
    const r = cliJson<Ingested>(['ingest', file, '--fail-on-rejects'], { db });
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ lines: 7, stored: 6, rejected: 1 });
    expect(r.stderr).toMatch(/check failed: 1 line rejected .*kcloud-log rejects/);
    fs.appendFileSync(file, events(6, 2));
    const again = cli(['ingest', file, '--fail-on-rejects'], { db });
    expect(again.code, again.stderr).toBe(0); // nothing rejected by this run
    expect(cli(['ingest', file], { db }).code).toBe(0); // without the flag rejects never fail an ingest
  });
});

/** A follower; stop() ends it with SIGTERM and returns its exit code, output and stderr. */
function follower(db: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, 'ingest', '--follow', ...args, '--flush-interval', '200ms'], {
    env: { ...process.env, KCLOUD_LOG_DB: db, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return {
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, out, stderr: err };
    },
  };
}

describe('ingest --follow: --exclude, binary files, --fail-on-rejects', () => {
  it('follows what is not excluded, warns once about a binary file, exits 3 on rejects with --fail-on-rejects', async () => {
    const d = logDir('follow');
    const db = path.join(dir, 'follow.duckdb');
    const f = follower(db, [d, '--exclude', 'archive', '--exclude', 'debug.*', '--fail-on-rejects']);
    await waitForEvents(db, 10);
    fs.appendFileSync(path.join(d, 'app.jsonl'), events(10, 5) + 'not an event, an ordinary line\n');
    fs.appendFileSync(path.join(d, 'debug.log'), events(300, 5)); // excluded: never read
    fs.writeFileSync(path.join(d, 'new.log'), events(400, 2));
    await waitForEvents(db, 17);
    for (const n of [18, 19]) {
      // a few more cycles, each seen by one more event stored
      fs.appendFileSync(path.join(d, 'app.jsonl'), events(500 + n, 1));
      await waitForEvents(db, n);
    }
    const res = await f.stop();
    expect(res.code, res.stderr).toBe(0); // nothing rejected
    expect(res.out).toMatch(/19 stored \+ 0 rejected \+ 0 duplicates \+ 1 skipped/);
    expect(warnings(res.stderr)).toHaveLength(1); // one warning, not one per cycle
    expect(res.stderr).toContain(`${path.join(d, 'core.log')}: binary`);
    const files = await query(db, 'SELECT path FROM sources ORDER BY path');
    expect(files.map((x) => path.basename(String(x.path)))).toEqual(['app.jsonl', 'new.log']);

    const g = follower(db, [d, '-x', 'archive', '-x', 'debug.*', '--fail-on-rejects', '--json']);
    await waitFor(() => fs.existsSync(`${db}.ingest.lock`), {
      what: 'the second follower to take the store',
    });
    fs.appendFileSync(path.join(d, 'app.jsonl'), '{"event_type": "broken\n' + events(20, 1));
    await waitForEvents(db, 20);
    const bad = await g.stop();
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.out)).toMatchObject({
      stored: 1,
      rejected: 1,
      skipped_files: [{ path: path.join(d, 'core.log'), reason: expect.stringMatching(/^binary/) }],
    });
    expect(bad.stderr).toMatch(/check failed: 1 line rejected/);
  }, 60_000);
});

describe('ingest: a commit smaller than a row group, at the default --memory-limit', () => {
  it('stores 60,000 events of every type in one commit', () => {
    // A commit below one row group (122,880 rows) is written in one statement; that statement once
    // sorted the whole commit, event text included, and ran out of the default 128MB from ~35,000
    // events of this size on: a 60,000-event file could not be ingested at all.
    const spec = fs.readFileSync(path.join(FIXTURES, 'spec-events.jsonl'), 'utf8').trim().split('\n');
    const n = 60_000;
    const file = path.join(dir, 'one-commit.jsonl');
    fs.writeFileSync(
      file,
      Array.from({ length: n }, (_, i) => spec[i % spec.length]!.replace(/}\s*$/, `, "seq_no": ${i}}`)).join(
        '\n',
      ) + '\n',
    );
    const db = path.join(dir, 'one-commit.duckdb');
    const r = cliJson<Ingested>(['ingest', file], { db });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ lines: n, stored: n, rejected: 0, duplicates: 0, skipped: 0 });
    const v = cli(['verify'], { db });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 60_000);
});
