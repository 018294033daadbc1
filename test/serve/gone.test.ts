/**
 * A service that goes away just as a command reaches it (shutting down: 503; killed: the
 * connection refused while its file is still there): the command waits, up to --lock-timeout,
 * until the service is gone, and then runs without it, with the output it would have had.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, tmpDir } from '../helpers.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Run the CLI without blocking this process (the fake services below answer from it). */
function run(args: string[], db: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', KCLOUD_LOG_DB: db },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A live Node process (a service's PID is a Node process's) for `ms`. */
const nodeFor = (ms: number) => spawn(process.execPath, ['-e', `setTimeout(() => {}, ${ms})`]);

async function storeWithEvents(): Promise<string> {
  const dir = tmpDir('kcl-gone-');
  const db = path.join(dir, 'db.duckdb');
  const r = await run(['ingest', path.resolve('test/fixtures/spec-events.jsonl'), '-q'], db);
  expect(r.code, r.stderr).toBe(0);
  return db;
}

/** `<db>.serve.json` of a service PID `pid` at `url`. */
function fakeInstance(db: string, pid: number, url: string): string {
  const file = `${db}.serve.json`;
  fs.writeFileSync(
    file,
    JSON.stringify({
      pid,
      host: os.hostname(),
      url,
      started_at: new Date().toISOString(),
      key: 'k'.repeat(64),
    }),
    { mode: 0o600 },
  );
  return file;
}

describe('a service that goes away as a command reaches it', () => {
  it('shutting down (503): the command waits until it is gone, then runs without it', async () => {
    const db = await storeWithEvents();
    const alone = await run(['events', '--limit', '5', '--json'], db);
    expect(alone.code, alone.stderr).toBe(0);
    let calls = 0;
    let file = '';
    const server = http.createServer((req, res) => {
      calls++;
      setTimeout(() => fs.rmSync(file, { force: true }), 500); // the service's last act
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'ShuttingDown', message: 'the service is shutting down' } }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    file = fakeInstance(db, process.pid, `http://127.0.0.1:${port}`);
    const r = await run(['events', '--limit', '5', '--json', '--lock-timeout', '10'], db);
    expect(calls, r.stderr).toBe(1);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(alone.stdout);
    // and a write that was refused the same way goes again too
    fakeInstance(db, process.pid, `http://127.0.0.1:${port}`);
    const add = await run(
      [
        'alerts',
        'rules',
        'add',
        'slow',
        '--metric',
        'latency_p95_ms',
        '--op',
        '>',
        '--threshold',
        '50',
        '--window',
        '10m',
      ],
      db,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(calls).toBe(2);
  });

  it('killed (its file left behind, nothing listening): the command runs without it once its process is gone', async () => {
    const db = await storeWithEvents();
    const alone = await run(['sources', '--json'], db);
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    server.close(); // a port nothing listens on
    const dying = nodeFor(1000);
    fakeInstance(db, dying.pid!, `http://127.0.0.1:${port}`);
    const r = await run(['sources', '--json', '--lock-timeout', '10'], db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(alone.stdout);
  });

  it('with --lock-timeout 0 it does not wait: the service not answering is the error, as before', async () => {
    const db = await storeWithEvents();
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    server.close();
    const live = nodeFor(30_000);
    try {
      fakeInstance(db, live.pid!, `http://127.0.0.1:${port}`);
      const r = await run(['events', '--limit', '1', '--lock-timeout', '0'], db);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/is kept open by the service PID \d+ .*did not answer \(ECONNREFUSED\)/);
    } finally {
      live.kill();
    }
  });
});
