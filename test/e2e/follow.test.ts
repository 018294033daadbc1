/**
 * ingest --follow end to end: a real follower process, real files, real
 * logrotate; every written line is counted and every event stored once.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, decisionLine, hasProgram, query, tmpDir, waitFor, waitForEvents } from '../helpers.js';

const hasLogrotate = hasProgram('logrotate');

interface Follower {
  child: ChildProcess;
  stop(): Promise<Record<string, unknown>>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function startFollow(db: string, targets: string[], extra: string[] = []): Follower {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'ingest',
      '--follow',
      ...targets,
      '--flush-interval',
      '200ms',
      '--drain-grace',
      '800ms',
      '--json',
      ...extra,
    ],
    { env: { ...process.env, KCLOUD_LOG_DB: db, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return {
    child,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, err).toBe(0);
      return JSON.parse(out) as Record<string, unknown>;
    },
  };
}

const activeFileSources = async (db: string) =>
  (await query(db, "SELECT path FROM sources WHERE kind = 'file' AND status = 'active' ORDER BY path")).map(
    (r) => String(r.path),
  );

/**
 * Wait until every file rotated away or deleted has been drained and released: the active
 * sources are exactly the plain files still at `live()` (renamed ones under their new names).
 */
async function waitForReleased(db: string, live: () => string[]): Promise<void> {
  let active: string[] = [];
  await waitFor(
    async () => (active = await activeFileSources(db)).join('\n') === [...live()].sort().join('\n'),
    {
      what: 'the rotated and deleted files to be released',
      state: () => ({ active, live: live() }),
    },
  );
}

/** Wait until `n` gzip archives have been read whole (status done). */
async function waitForArchives(db: string, n: number): Promise<void> {
  const done = async () =>
    Number(
      (await query(db, "SELECT count(*) AS n FROM sources WHERE kind = 'gzip' AND status = 'done'"))[0]!.n,
    );
  await waitFor(async () => (await done()) >= n, { what: `${n} gzip archive(s) read`, state: done });
}

/** Writes numbered events by path (as a logging library reopening its file would). */
class Writer {
  n = 0;
  constructor(private readonly file: string) {}
  write(count: number): void {
    let s = '';
    for (let i = 0; i < count; i++) s += decisionLine(this.n++) + '\n';
    fs.appendFileSync(this.file, s);
  }
}

async function checkExactlyOnce(db: string, written: number): Promise<void> {
  const r = await query(
    db,
    "SELECT count(*) AS n, count(DISTINCT raw->>'seq_no') AS d, min((raw->>'seq_no')::INT) AS lo, max((raw->>'seq_no')::INT) AS hi FROM events",
  );
  expect(r[0]).toMatchObject({ n: BigInt(written), d: BigInt(written), lo: 0, hi: written - 1 });
  const src = await query(
    db,
    'SELECT count(*) AS bad FROM sources WHERE lines <> stored + rejected + duplicates + skipped',
  );
  expect(Number(src[0]!.bad)).toBe(0);
  const v = cli(['verify'], { db });
  expect(v.code, v.stderr).toBe(0);
}

describe.skipIf(!hasLogrotate)('ingest --follow with the real logrotate', () => {
  for (const mode of ['create', 'create-compress', 'copytruncate'] as const) {
    it(`${mode}: every event once while other processes query`, async () => {
      const dir = tmpDir('kcl-follow-');
      const logs = path.join(dir, 'logs');
      fs.mkdirSync(logs);
      const log = path.join(logs, 'app.log');
      const db = path.join(dir, 'db.duckdb');
      const conf = path.join(dir, 'logrotate.conf');
      const opts =
        mode === 'copytruncate'
          ? 'copytruncate\n  nocompress'
          : mode === 'create'
            ? 'create\n  nocompress'
            : 'create\n  compress';
      fs.writeFileSync(conf, `${log} {\n  ${opts}\n  rotate 10\n  missingok\n}\n`);
      const w = new Writer(log);
      w.write(500);
      const f = startFollow(db, [logs]);
      await waitForEvents(db, 1); // the database exists: queries from now on must never fail
      // readers while following, one after another every ~400 ms: none may fail on the lock
      let readerFailures = 0;
      let readerRuns = 0;
      let reading = true;
      const readerLoop = (async () => {
        while (reading) {
          const code = await new Promise<number>((resolve) => {
            const p = spawn(process.execPath, [BIN, 'events', '--limit', '1', '--json'], {
              env: { ...process.env, KCLOUD_LOG_DB: db },
              stdio: 'ignore',
            });
            p.on('exit', (c) => resolve(c ?? -1));
          });
          readerRuns++;
          if (code !== 0) readerFailures++;
          await new Promise((r) => setTimeout(r, 400)); // pacing: one reader every ~400 ms, not a wait
        }
      })();
      const readers = { stop: async () => ((reading = false), await readerLoop) };
      try {
        await waitForEvents(db, 500);
        for (let round = 0; round < 3; round++) {
          w.write(300);
          await waitForEvents(db, w.n); // copytruncate loses what was written between copy and truncate unless read first
          execFileSync('logrotate', ['-f', '-s', path.join(dir, 'state'), conf]);
          w.write(200);
          await waitForEvents(db, w.n); // the rotation was followed
        }
        w.write(100);
        await waitForEvents(db, w.n);
        // The readers must have run beside the follower, not once: give slow machines time.
        await waitFor(() => readerRuns >= 3, { what: 'three reader runs', state: () => readerRuns });
      } finally {
        await readers.stop();
      }
      const plainFiles = () =>
        fs
          .readdirSync(logs)
          .filter((n) => !n.endsWith('.gz'))
          .map((n) => path.join(logs, n));
      await waitForReleased(db, plainFiles);
      if (mode === 'create-compress') await waitForArchives(db, 3);
      const res = await f.stop();
      expect(res.errors).toEqual([]);
      await checkExactlyOnce(db, w.n);
      expect(readerRuns).toBeGreaterThan(1);
      expect(readerFailures).toBe(0);
      if (mode === 'create-compress') expect(fs.readdirSync(logs).some((n) => n.endsWith('.gz'))).toBe(true);
    }, 90_000);
  }
});

describe('ingest --follow file events', () => {
  it('Fluent Bit Rotate On: rename to NAME.DATE_hex, gzip it; new file from 0; archive not read twice', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'out.jsonl');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(300);
    const f = startFollow(db, [dir]);
    await waitForEvents(db, 300);
    w.write(100); // written just before the rotation
    const rotated = `${log}.20250115_103000_a1b2c3`;
    fs.renameSync(log, rotated);
    w.write(150); // the new file
    fs.writeFileSync(rotated + '.gz', zlib.gzipSync(fs.readFileSync(rotated)));
    fs.rmSync(rotated);
    await waitForEvents(db, w.n);
    await waitForArchives(db, 1); // the archive was seen, and found to hold nothing new
    await waitForReleased(db, () => [log]);
    const res = await f.stop();
    expect(res).toMatchObject({ stored: w.n, duplicates: 0 });
    await checkExactlyOnce(db, w.n);
  }, 60_000);

  it('truncate and rewrite past the old offset: the new content is read from 0', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(50);
    const f = startFollow(db, [log]);
    await waitForEvents(db, 50);
    let s = '';
    for (let i = 0; i < 120; i++) s += decisionLine(w.n++) + '\n';
    fs.writeFileSync(log, s); // same inode, new content, longer than before
    await waitForEvents(db, w.n);
    const res = await f.stop();
    expect(res).toMatchObject({ stored: 170 });
    await checkExactlyOnce(db, w.n);
    const src = await query(db, 'SELECT status, count(*) AS n FROM sources GROUP BY ALL ORDER BY 1');
    expect(src.map((r) => r.status)).toEqual(['active', 'truncated']);
  }, 60_000);

  it('deleted while half read: drained through the open file; a new file at the same path (inode reuse) from 0', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(100);
    const f = startFollow(db, [dir]);
    await waitForEvents(db, 100);
    // keep the file open like a writer would, append, then delete before the follower reads
    const fd = fs.openSync(log, 'a');
    let s = '';
    for (let i = 0; i < 400; i++) s += decisionLine(w.n++) + '\n';
    fs.writeSync(fd, s);
    fs.rmSync(log);
    fs.closeSync(fd);
    w.write(80); // a new file at the same path
    await waitForEvents(db, w.n);
    await waitForReleased(db, () => [log]); // the deleted file was drained and released
    const res = await f.stop();
    expect(res).toMatchObject({ stored: 580 });
    await checkExactlyOnce(db, w.n);
  }, 60_000);

  it('symlinked paths, partial last lines and over-long lines', async () => {
    const dir = tmpDir('kcl-follow-');
    const real = path.join(dir, 'app-2025-01-15.log');
    const link = path.join(dir, 'current.log');
    const db = path.join(dir, 'db.duckdb');
    const marker = path.join(dir, 'marker.log'); // a second file: its lines show that cycles ran
    fs.writeFileSync(real, decisionLine(0) + '\n');
    fs.writeFileSync(marker, '');
    fs.symlinkSync(real, link);
    const f = startFollow(db, [link, marker], ['--max-line-bytes', '2048']);
    await waitForEvents(db, 1);
    const half = decisionLine(1);
    fs.appendFileSync(real, half.slice(0, 40)); // Fluent Bit flushes 4 KiB blocks: lines arrive in pieces
    // Two cycles, each seen by a marker line stored: the second read the piece after it was written.
    for (const seq of [1000, 1001]) {
      fs.appendFileSync(marker, decisionLine(seq) + '\n');
      await waitForEvents(db, seq - 998);
    }
    const piece = await query(db, "SELECT count(*) AS n FROM events WHERE raw->>'seq_no' = '1'");
    expect(Number(piece[0]!.n)).toBe(0); // an incomplete line is not stored
    fs.appendFileSync(
      real,
      half.slice(40) + '\n' + decisionLine(2, { pad: 'x'.repeat(5000) }) + '\n' + decisionLine(3) + '\n',
    );
    await waitForEvents(db, 5); // decisions 0, 1 and 3 and the two markers
    const res = await f.stop();
    expect(res).toMatchObject({ lines: 6, stored: 5, rejected: 1 }); // with the 2 marker lines
    const rej = JSON.parse(cli(['rejects', '--json'], { db }).stdout) as {
      rejects: { line: number; reason: string; path: string }[];
    };
    expect(rej.rejects[0]).toMatchObject({
      line: 3,
      reason: expect.stringContaining('--max-line-bytes 2048'),
    });
    // each follow commit is in the commit log, the reject with its commit; the store verifies
    const log = await query(
      db,
      'SELECT count(*) AS n, sum(stored) AS s, sum(rejected) AS r FROM commits WHERE id > 0',
    );
    expect(log[0]).toMatchObject({ s: 5n, r: 1n });
    expect(Number(log[0]!.n)).toBeGreaterThanOrEqual(2);
    expect(cli(['verify'], { db }).code).toBe(0);
  }, 60_000);

  it('kill -9 while following, restart: the stored events equal the lines written, each once', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(2000);
    let f = startFollow(db, [dir]);
    await waitForEvents(db, 1);
    for (let i = 0; i < 10; i++) {
      w.write(500);
      await new Promise((r) => setTimeout(r, 60)); // pacing: the writer goes on while the follower commits
    }
    f.child.kill('SIGKILL');
    await new Promise((r) => f.child.on('exit', r));
    w.write(1000); // written while nobody follows
    f = startFollow(db, [dir]);
    await waitForEvents(db, w.n, 30_000);
    await f.stop();
    await checkExactlyOnce(db, w.n);
  }, 90_000);

  it('--from end starts files without a checkpoint at their end', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(100);
    const f = startFollow(db, [dir], ['--from', 'end']);
    await waitFor(
      async () =>
        fs.existsSync(db) && Number((await query(db, 'SELECT count(*) AS n FROM sources'))[0]!.n) > 0,
      { what: 'the file to be registered at its end' },
    );
    w.write(20);
    await waitForEvents(db, 20);
    const res = await f.stop();
    expect(res).toMatchObject({ stored: 20 });
  }, 60_000);

  it('standard input: what is piped is stored, the last line without a newline too, and the follower ends with it', () => {
    const dir = tmpDir('kcl-follow-');
    const db = path.join(dir, 'db.duckdb');
    const input = [0, 1, 2, 3].map((i) => decisionLine(i)).join('\n'); // no newline at the end
    const r = cli(['ingest', '--follow', '-', '--flush-interval', '200ms', '--json'], {
      db,
      input,
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lines: 4, stored: 4, files: [], errors: [] });
    expect(cli(['ingest', '--follow', '-', '--json'], { db, input, timeoutMs: 30_000 }).code).toBe(0);
    return checkExactlyOnce(db, 4); // stdin has no checkpoint: the same lines again are duplicates
  }, 60_000);

  it('tail shows newly stored events from another process', async () => {
    const dir = tmpDir('kcl-follow-');
    const log = path.join(dir, 'app.log');
    const db = path.join(dir, 'db.duckdb');
    const w = new Writer(log);
    w.write(10);
    const f = startFollow(db, [dir]);
    await waitForEvents(db, 10);
    const t = spawn(
      process.execPath,
      [BIN, 'tail', '--output', 'jsonl', '--last', '5', '--limit', '30', '--interval', '100ms'],
      {
        env: { ...process.env, KCLOUD_LOG_DB: db },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(t);
    let out = '';
    t.stdout!.on('data', (d) => (out += d));
    const exited = new Promise((r) => t.on('exit', r));
    await waitFor(() => out.split('\n').length >= 6, { what: 'tail to print the last 5', state: () => out }); // tail is running
    w.write(25);
    expect(await exited).toBe(0);
    const evs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq_no: number });
    expect(evs.map((e) => e.seq_no)).toEqual(Array.from({ length: 30 }, (_, i) => 5 + i));
    await f.stop();
  }, 60_000);
});

/** A seeded generator (mulberry32): the same pieces on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Events, rejects and source counts of a store, by file name and line (seqs differ between
 * ingests). The CRI and Docker fixtures carry the same events, so which file's copy is stored
 * and which is a duplicate depends on the order of commits: those are compared by event id, and
 * stored and duplicates in total.
 */
async function contents(db: string) {
  const events = await query(
    db,
    `SELECT regexp_extract(s.path, '[^/]+$') AS file, e.line, e.event_id, e.event_type, e.ts, e.tags, e.raw
     FROM events e JOIN sources s ON s.id = e.source_id ORDER BY e.event_id`,
  );
  const rejects = await query(
    db,
    `SELECT regexp_extract(path, '[^/]+$') AS file, line, byte_offset, reason, raw FROM rejects ORDER BY file, line`,
  );
  const sources = await query(
    db,
    `SELECT regexp_extract(path, '[^/]+$') AS file, "offset", lines, rejected, skipped FROM sources ORDER BY file`,
  );
  const totals = await query(db, 'SELECT sum(stored) AS stored, sum(duplicates) AS duplicates FROM sources');
  const unique = events
    .filter((e) => e.file === 'events.jsonl')
    .map((e) => {
      // the tags name the file and the time of the ingest, which differ: the rest must not
      const { file: _f, ingested_at: _t, ...tags } = JSON.parse(String(e.tags)) as Record<string, unknown>;
      return { ...e, tags };
    });
  const copied = events.filter((e) => e.file !== 'events.jsonl').map((e) => [e.event_id, e.event_type, e.ts]);
  return { unique, copied, rejects, sources, totals };
}

describe('ingest --follow parses what files grow by in the parse workers', () => {
  it('files written in random pieces (split lines, CRI and Docker partial records, bad and over-long lines): stored as batch ingest on the main thread stores them', async () => {
    const dir = tmpDir('kcl-follow-pieces-');
    const fx = path.resolve('test/fixtures');
    const extra = [
      '{"event_type":"scheduling_decision","timestamp":"not a time"}',
      '{"torn": ',
      'plain text from a module',
      decisionLine(1, { pad: 'y'.repeat(3000) }), // over --max-line-bytes
      decisionLine(2, { note: 'ünïcödé ✓ 🚀' }),
      decisionLine(3),
      decisionLine(3), // a duplicate
    ].join('\n');
    const inputs: Record<string, string> = {
      'cri.log': fs.readFileSync(path.join(fx, 'fluent-bit/input-cri.log'), 'utf8'),
      'docker.log': fs.readFileSync(path.join(fx, 'fluent-bit/input-docker-json-file.log'), 'utf8'),
      'events.jsonl':
        fs.readFileSync(path.join(fx, 'module-log-lines.jsonl'), 'utf8') +
        extra +
        '\n' +
        Array.from({ length: 400 }, (_, i) => decisionLine(100 + i) + '\n').join(''),
    };
    const batchDir = path.join(dir, 'batch');
    fs.mkdirSync(batchDir);
    for (const [name, text] of Object.entries(inputs)) fs.writeFileSync(path.join(batchDir, name), text);
    const batchDb = path.join(dir, 'batch.duckdb');
    const b = cli(['ingest', batchDir, '--workers', '0', '--max-line-bytes', '2048'], { db: batchDb });
    expect(b.code, b.stderr).toBe(0);
    const expected = await contents(batchDb);
    expect(expected.unique.length).toBeGreaterThan(400);
    expect(expected.copied.length).toBeGreaterThan(10);
    expect(expected.rejects.length).toBeGreaterThan(2);

    for (const workers of ['2', '0']) {
      const live = path.join(dir, `live-${workers}`);
      fs.mkdirSync(live);
      const db = path.join(dir, `follow-${workers}.duckdb`);
      for (const name of Object.keys(inputs)) fs.writeFileSync(path.join(live, name), '');
      const f = startFollow(db, [live], ['--max-line-bytes', '2048', '--workers', workers]);
      await waitFor(async () => fs.existsSync(db) && (await activeFileSources(db)).length === 3, {
        what: 'the three files',
      });
      const rnd = prng(7);
      const bufs = Object.entries(inputs).map(([name, text]) => ({ name, b: Buffer.from(text), at: 0 }));
      while (bufs.some((x) => x.at < x.b.length)) {
        for (const x of bufs) {
          const n = Math.min(x.b.length - x.at, 1 + Math.floor(rnd() * 12_000)); // pieces cut lines and characters
          if (n > 0) fs.appendFileSync(path.join(live, x.name), x.b.subarray(x.at, x.at + n));
          x.at += n;
        }
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 250)));
      }
      const total = bufs.reduce((a, x) => a + x.b.length, 0);
      const read = async () => Number((await query(db, 'SELECT sum("offset") AS n FROM sources'))[0]!.n);
      await waitFor(async () => (await read()) === total, { what: 'every byte read', state: read });
      await f.stop();
      const got = await contents(db);
      expect(got, `--workers ${workers}`).toEqual(expected);
      expect(cli(['verify'], { db }).code).toBe(0);
    }
  }, 120_000);
});
