/**
 * One ingester per store (issue 10, item 4): a second follower or a batch
 * ingest beside a follower waits, then is refused naming the holder; it never
 * reads a file a second time, and `sources` stays equal to the lines on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cli, cliJson, decisionLine, query, tmpDir, waitForEvents } from '../helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function follower(db: string, dir: string): { child: ChildProcess; exited: Promise<number> } {
  const child = spawn(
    process.execPath,
    [BIN, 'ingest', '--follow', dir, '--flush-interval', '200ms', '--json'],
    {
      env: { ...process.env, KCLOUD_LOG_DB: db, NO_COLOR: '1' },
      stdio: 'ignore',
    },
  );
  children.push(child);
  return { child, exited: new Promise((r) => child.on('exit', (code) => r(code ?? -1))) };
}

describe('one ingester per store', () => {
  it('a second follower and a batch ingest are refused while a follower runs, naming it', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'store.duckdb');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const file = path.join(logs, 'a.jsonl');
    fs.writeFileSync(file, Array.from({ length: 50 }, (_, i) => decisionLine(i)).join('\n') + '\n');
    const f = follower(db, logs);
    await waitForEvents(db, 50);

    const second = cli(['ingest', '--follow', logs, '--lock-timeout', '1'], { db });
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(
      /already being ingested into by `kcloud-log ingest --follow .*logs.*` \(PID \d+/,
    );
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    const batch = cli(['ingest', file, '--lock-timeout', '1'], { db });
    expect(batch.code).toBe(5);
    expect(batch.stderr).toMatch(/already being ingested into by `kcloud-log ingest --follow/);

    fs.appendFileSync(file, Array.from({ length: 25 }, (_, i) => decisionLine(50 + i)).join('\n') + '\n');
    await waitForEvents(db, 75);
    f.child.kill('SIGTERM');
    expect(await f.exited).toBe(0);
    expect(fs.existsSync(`${db}.ingest.lock`)).toBe(false);

    // Now the batch ingest runs, and reads nothing twice.
    const after = cliJson<{ lines: number; stored: number }>(['ingest', file], { db });
    expect(after.code).toBe(0);
    expect(after.json).toMatchObject({ lines: 0, stored: 0 });
    const src = await query(
      db,
      'SELECT sum(lines) AS lines, sum(stored) AS stored, max(line) AS l FROM sources, (SELECT max(line) AS line FROM events)',
    );
    expect(src[0]).toMatchObject({ lines: 75n, stored: 75n, l: 75n });
  });

  it('a lease left by a killed ingester is taken over', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'store.duckdb');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    fs.writeFileSync(path.join(logs, 'a.jsonl'), decisionLine(1) + '\n');
    const f = follower(db, logs);
    await waitForEvents(db, 1);
    f.child.kill('SIGKILL');
    await f.exited;
    expect(fs.existsSync(`${db}.ingest.lock`)).toBe(true);
    fs.writeFileSync(path.join(logs, 'b.jsonl'), decisionLine(2) + '\n');
    const r = cliJson<{ stored: number }>(['ingest', logs, '--lock-timeout', '2'], { db });
    expect(r.code).toBe(0);
    expect(r.json.stored).toBe(1);
  });

  it('two batch ingests of the same files at once: the second waits, then reads only what is new', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'store.duckdb');
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => decisionLine(i)).join('\n') + '\n');
    const run = () =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, 'ingest', file, '--json', '--lock-timeout', '60'], {
          env: { ...process.env, KCLOUD_LOG_DB: db },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(c);
        let out = '';
        c.stdout!.on('data', (d) => (out += d));
        c.on('exit', (code) => resolve({ code: code ?? -1, out }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const lines = [JSON.parse(a.out).lines, JSON.parse(b.out).lines].sort((x, y) => x - y);
    expect(lines).toEqual([0, 20_000]);
    const src = await query(db, 'SELECT sum(lines) AS lines, sum(stored) AS stored FROM sources');
    expect(src[0]).toMatchObject({ lines: 20000n, stored: 20000n });
  });
});

describe('out of memory or spill space', () => {
  it('is an input problem naming the remedy, and a rerun stores everything exactly once', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'store.duckdb');
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(
      file,
      Array.from({ length: 25_000 }, (_, i) => decisionLine(i, { pad: 'p'.repeat(600) })).join('\n') + '\n',
    );
    const small = cli(['ingest', file, '--memory-limit', '16MB', '--temp-limit', '16MB'], { db });
    expect(small.code, small.stderr).toBe(4);
    expect(small.stderr.trim().split('\n')).toHaveLength(1);
    expect(small.stderr).toMatch(
      /ran out of memory .*nothing of the batch was committed\. Raise --memory-limit/,
    );
    const again = cliJson<{ stored: number; lines: number }>(['ingest', file], { db });
    expect(again.code).toBe(0);
    const src = await query(
      db,
      'SELECT sum(lines) AS lines, sum(stored) AS stored, (SELECT count(*) FROM events) AS n FROM sources',
    );
    expect(src[0]).toMatchObject({ lines: 25000n, stored: 25000n, n: 25000n });
    expect(cli(['verify'], { db }).code).toBe(0);
  }, 180_000);
});
