/**
 * runServer in this process: listening on a free port, following a growing file through the
 * store it keeps open (a follower that opened the store itself would wait for the lock forever),
 * POSTs beside it, and a shutdown that commits, closes and removes <db>.serve.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServer, type ServeResult } from '../../src/lib/serve/run.js';
import { instancePath, readInstance } from '../../src/lib/serve/instance.js';
import { loadSlos } from '../../src/lib/analyze/sla.js';
import { leasePath } from '../../src/lib/store/lease.js';
import { decisionLine, query, tmpDir, waitFor } from '../helpers.js';

describe('runServer', () => {
  it('follows a growing file beside POSTs: every line stored once, and stops cleanly', async () => {
    const dir = tmpDir('kcl-run-');
    const db = path.join(dir, 'store.duckdb');
    const log = path.join(dir, 'app.jsonl');
    fs.writeFileSync(log, Array.from({ length: 100 }, (_, i) => decisionLine(i) + '\n').join(''));
    const ac = new AbortController();
    let url = '';
    const running: Promise<ServeResult> = runServer({
      dbPath: db,
      listen: { host: '127.0.0.1', port: 0 },
      open: {},
      command: 'kcloud-log serve (test)',
      follow: [log],
      followOptions: { flushIntervalMs: 50 },
      signal: ac.signal,
      slos: loadSlos(),
      version: 'test',
      onListening: (u) => (url = u),
    });
    try {
      await waitFor(() => url !== '', { what: 'the service to listen' });
      expect(readInstance(db)).toMatchObject({ pid: process.pid, url });
      expect(fs.existsSync(leasePath(db))).toBe(true); // no ingest beside it
      const total = async () =>
        ((await (await fetch(`${url}/events?limit=0`)).json()) as { total: number }).total;
      await waitFor(async () => (await total()) === 100, { what: "the file's first 100 events" });
      // the file grows while events are POSTed (some the file has too: duplicates)
      for (let r = 1; r <= 5; r++) {
        fs.appendFileSync(
          log,
          Array.from({ length: 100 }, (_, i) => decisionLine(r * 100 + i) + '\n').join(''),
        );
        const res = await fetch(`${url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body:
            Array.from({ length: 20 }, (_, i) => decisionLine(r * 1000 + i) + '\n').join('') +
            decisionLine(r) +
            '\n',
        });
        expect(res.status).toBe(200);
      }
      await waitFor(async () => (await total()) === 600 + 100, {
        what: 'the grown file and the POSTs',
        state: total,
      });
      const health = (await (await fetch(`${url}/health`)).json()) as {
        follow: { path: string; lag_bytes: number }[];
      };
      expect(health.follow).toEqual([expect.objectContaining({ path: log })]);
      fs.appendFileSync(log, decisionLine(9999) + '\n'); // read by the last cycle, at the latest
    } finally {
      ac.abort();
    }
    const result = await running;
    expect(result.follow).toMatchObject({ lines: 601, stored: 601, rejected: 0 });
    expect(fs.existsSync(instancePath(db))).toBe(false);
    expect(fs.existsSync(leasePath(db))).toBe(false);
    const [counts] = await query(
      db,
      'SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM events',
    );
    expect(counts).toEqual({ n: 701, d: 701 });
    const sources = await query(
      db,
      'SELECT kind, lines = stored + rejected + duplicates + skipped AS balanced, lines FROM sources ORDER BY id',
    );
    expect(sources).toEqual([
      { kind: 'file', balanced: true, lines: 601n },
      { kind: 'http', balanced: true, lines: 105n },
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
