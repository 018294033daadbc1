/**
 * `kcloud-log serve` end to end: the built CLI as a real process on a free port, POSTs and
 * queries over HTTP, a second service refused, SIGTERM ending it with exit 0, and the store
 * holding every acknowledged event exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliJson, decisionLine, tmpDir, waitFor } from '../helpers.js';
import { startServe } from './process.js';

const ndjson = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => decisionLine(from + i)).join('\n') + '\n';

describe('kcloud-log serve', () => {
  it('stores POSTed events once, answers queries, refuses a second service, and stops on SIGTERM', async () => {
    const dir = tmpDir('kcl-serve-e2e-');
    const db = path.join(dir, 'store.duckdb');
    const svc = await startServe(db);
    const postBody = (body: string) =>
      fetch(`${svc.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
    const first = await postBody(ndjson(0, 50));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ stored: 50, duplicates: 0, rejected: 0 });
    const retry = await postBody(ndjson(25, 50)); // half of it a retry
    expect(await retry.json()).toMatchObject({ stored: 25, duplicates: 25 });
    const page = (await (await fetch(`${svc.url}/events?limit=10&workload=job-3`)).json()) as {
      total: number;
    };
    expect(page.total).toBe(1);
    expect(fs.existsSync(`${db}.serve.json`)).toBe(true);

    const second = cli(['serve', '--db', db, '--listen', '127.0.0.1:0']);
    expect(second.code).toBe(4);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/is already served by PID \d+ .* at http:\/\/127\.0\.0\.1:\d+/);

    svc.child.kill('SIGTERM');
    const end = await svc.exited;
    expect(end.code).toBe(0);
    expect(end.stderr).toBe('');
    expect(fs.existsSync(`${db}.serve.json`)).toBe(false);
    const { json } = cliJson<{ rows: { n: number; d: number }[] }>(
      ['sql', 'SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM events'],
      { db },
    );
    expect(json.rows).toEqual([{ n: 75, d: 75 }]);
    const sources = cliJson<{ sources: { kind: string; balanced: boolean; lines: number }[] }>(['sources'], {
      db,
    });
    expect(sources.json.sources).toEqual([
      expect.objectContaining({ kind: 'http', balanced: true, lines: 100 }),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 in the middle of a POST load: restarted, every acknowledged event is stored once', async () => {
    const dir = tmpDir('kcl-serve-e2e-');
    const db = path.join(dir, 'store.duckdb');
    const svc = await startServe(db);
    const acked = new Set<number>();
    const send = async (url: string, batch: number) => {
      const res = await fetch(`${url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson(batch * 200, 200),
      });
      if (res.status === 200) acked.add(batch);
    };
    const load = Promise.allSettled(Array.from({ length: 40 }, (_, b) => send(svc.url, b)));
    await waitFor(() => acked.size >= 3, { what: 'the first acknowledgements' });
    svc.child.kill('SIGKILL');
    await load;
    await svc.exited;
    expect(acked.size).toBeLessThan(40); // killed in the middle
    expect(fs.existsSync(`${db}.serve.json`)).toBe(true); // left behind: its process is gone
    const again = await startServe(db);
    const total = ((await (await fetch(`${again.url}/events?limit=0`)).json()) as { total: number }).total;
    expect(total).toBeGreaterThanOrEqual(acked.size * 200);
    // the client retries what was not acknowledged: nothing is stored twice
    for (let b = 0; b < 40; b++) if (!acked.has(b)) await send(again.url, b);
    const page = (await (await fetch(`${again.url}/events?limit=0`)).json()) as { total: number };
    expect(page.total).toBe(8000);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
    const { json } = cliJson<{ rows: { n: number; d: number }[] }>(
      ['sql', 'SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM events'],
      { db },
    );
    expect(json.rows).toEqual([{ n: 8000, d: 8000 }]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives DuckDB 1GB by default: its queries share the instance with its writes', () => {
    expect(cli(['serve', '--help']).stdout).toMatch(/--memory-limit=SIZE +\[default: 1GB\]/);
  });

  it('refuses a non-loopback address without --token-file (exit 2), and with one needs the token', async () => {
    const dir = tmpDir('kcl-serve-e2e-');
    const db = path.join(dir, 'store.duckdb');
    const open = cli(['serve', '--db', db, '--listen', '0.0.0.0:0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/--listen 0\.0\.0\.0: not a loopback address; .*--token-file is required/);
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'a-long-enough-test-token-123\n');
    const svc = await startServe(db, ['--token-file', tokenFile]);
    expect((await fetch(`${svc.url}/health`)).status).toBe(401);
    const ok = await fetch(`${svc.url}/health`, {
      headers: { authorization: 'Bearer a-long-enough-test-token-123' },
    });
    expect(ok.status).toBe(200);
    svc.child.kill('SIGINT');
    expect((await svc.exited).code).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
