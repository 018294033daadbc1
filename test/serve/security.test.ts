/**
 * Who may talk to the service: a token, when one is set, on every request (compared in constant
 * time); loopback by default, any other address only with a token; one service per store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadToken, tokenMatches } from '../../src/lib/serve/server.js';
import { isLoopback, parseListen, runServer } from '../../src/lib/serve/run.js';
import { claimInstance, instancePath, readInstance } from '../../src/lib/serve/instance.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { InputError, UsageError } from '../../src/lib/errors.js';
import { decisionLine, tmpDir } from '../helpers.js';
import { post, startHarness, type Harness } from './harness.js';

const TOKEN = 'a'.repeat(20) + 'secret';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h?.remove();
  h = undefined;
});

describe('the bearer token', () => {
  it('refuses every request without it or with another one (401), and serves those with it', async () => {
    h = await startHarness({ token: TOKEN });
    const none = await h.app.inject({ method: 'GET', url: '/health' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json()).toEqual({
      error: { code: 'Unauthorized', message: 'missing Authorization: Bearer <token>' },
    });
    const wrong = await h.app.inject({
      method: 'GET',
      url: '/events',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const posted = await h.app.inject({
      method: 'POST',
      url: '/events',
      payload: decisionLine(1),
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
    });
    expect(posted.statusCode).toBe(401);
    const ok = await h.app.inject({
      method: 'GET',
      url: '/health',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, store_open: true, follow: [] });
    const stored = await h.app.inject({
      method: 'POST',
      url: '/events',
      payload: decisionLine(1),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    });
    expect(stored.json()).toMatchObject({ stored: 1 });
  });

  it('needs none without a token (loopback)', async () => {
    h = await startHarness();
    expect((await post(h.app, '/events', decisionLine(1))).statusCode).toBe(200);
  });

  it('compares tokens of any lengths without throwing', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN + 'x', TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
  });

  it('reads a token file, refusing a short token', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'token');
    fs.writeFileSync(file, `${TOKEN}\n`);
    expect(loadToken(file)).toBe(TOKEN);
    fs.writeFileSync(file, 'short');
    expect(() => loadToken(file)).toThrow(UsageError);
    expect(() => loadToken(path.join(dir, 'missing'))).toThrow(InputError);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('limits', () => {
  it('sets its timeouts and header limits explicitly', async () => {
    h = await startHarness();
    const s = h.app.server;
    expect([s.headersTimeout, s.requestTimeout, s.keepAliveTimeout, s.timeout]).toEqual([
      10_000, 60_000, 5_000, 660_000,
    ]);
    const big = await h.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-big': 'x'.repeat(20_000) },
    });
    expect(big.statusCode).toBe(200); // inject bypasses the socket: the limit is Node's, checked above
  });
});

describe('the address', () => {
  it('parses HOST:PORT and knows loopback', () => {
    expect(parseListen('127.0.0.1:8007')).toEqual({ host: '127.0.0.1', port: 8007 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('8007')).toThrow(/^--listen "8007": expected HOST:PORT/);
    expect(() => parseListen('h:70000')).toThrow(UsageError);
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses to serve another address without a token, before touching the store', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 't.duckdb');
    await expect(
      runServer({
        dbPath: db,
        listen: { host: '0.0.0.0', port: 0 },
        open: {},
        command: 'test',
        follow: [],
        followOptions: {},
        signal: new AbortController().signal,
        slos: loadSlos(),
        version: 'test',
      }),
    ).rejects.toThrow(/^--listen 0\.0\.0\.0: not a loopback address; .* --token-file is required$/);
    expect(fs.existsSync(db)).toBe(false);
    expect(fs.existsSync(instancePath(db))).toBe(false);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('<db>.serve.json', () => {
  it('refuses a second service while the first lives, and replaces one whose process is gone', () => {
    const dir = tmpDir();
    const db = path.join(dir, 't.duckdb');
    const first = claimInstance(db);
    first.publish('http://127.0.0.1:1234');
    expect(readInstance(db)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:1234' });
    // a live process holds it: this test process, as seen from a claim written by "another" pid
    const other = { pid: process.ppid, host: os.hostname(), url: 'http://x', started_at: 'then' };
    first.release();
    expect(fs.existsSync(instancePath(db))).toBe(false);
    fs.writeFileSync(instancePath(db), JSON.stringify(other));
    expect(() => claimInstance(db)).toThrow(InputError);
    expect(() => claimInstance(db)).toThrow(/is already served by PID \d+ on .* at http:\/\/x/);
    // a process that is gone
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    fs.writeFileSync(instancePath(db), JSON.stringify({ ...other, pid: Number(dead.stdout) }));
    const taken = claimInstance(db);
    expect(readInstance(db)?.pid).toBe(process.pid);
    taken.release();
    fs.rmSync(dir, { recursive: true });
  });
});
