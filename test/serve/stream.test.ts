/**
 * GET /stream/events over a real socket: events as they are committed, id = seq; a client that
 * disconnects and resumes with Last-Event-ID gets every event once; the filters apply; and
 * GET /metrics in the Prometheus text format.
 */
import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decisionLine, waitFor } from '../helpers.js';
import { post, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h?.remove();
  h = undefined;
});

interface Sse {
  ids: number[];
  data: Record<string, unknown>[];
  close(): void;
  /** Resolves once `n` events have arrived. */
  until(n: number): Promise<void>;
}

/** Open the stream and collect its events. */
async function connect(url: string, headers: Record<string, string> = {}): Promise<Sse> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const sse: Sse = { ids: [], data: [], close: () => ac.abort(), until: async () => undefined };
  const waiters: (() => void)[] = [];
  sse.until = (n) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`waited for ${n} events, got ${sse.ids.length}`)), 15_000);
      const check = () => {
        if (sse.ids.length >= n) {
          clearTimeout(t);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  void (async () => {
    let buf = '';
    const decoder = new TextDecoder();
    try {
      const reader = res.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        buf += decoder.decode(r.value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (id && data) {
            sse.ids.push(Number(id[1]));
            sse.data.push(JSON.parse(data[1]!) as Record<string, unknown>);
            for (const w of waiters.splice(0)) w();
          }
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return sse;
}

const ndjson = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => decisionLine(from + i)).join('\n');

describe('GET /stream/events', () => {
  it('streams new events with id = seq; a client resuming from Last-Event-ID misses none and repeats none', async () => {
    h = await startHarness();
    await post(h.app, '/events', ndjson(0, 10), 'application/x-ndjson'); // before anyone listens
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const first = await connect(`${base}/stream/events`);
    await post(h.app, '/events', ndjson(10, 5), 'application/x-ndjson');
    await first.until(5);
    expect(first.ids).toEqual([11, 12, 13, 14, 15]); // only what was stored after connecting
    expect(first.data[0]).toMatchObject({ event_type: 'scheduling_decision', _seq: 11 });
    first.close();
    // stored while the client is away
    await post(h.app, '/events', ndjson(15, 5), 'application/x-ndjson');
    await post(h.app, '/events', ndjson(20, 1200), 'application/x-ndjson');
    const resumed = await connect(`${base}/stream/events`, { 'last-event-id': String(first.ids.at(-1)) });
    await post(h.app, '/events', ndjson(1220, 3), 'application/x-ndjson');
    await resumed.until(5 + 1200 + 3);
    const all = [...first.ids, ...resumed.ids];
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => 11 + i));
    expect(all.at(-1)).toBe(1223);
    resumed.close();
  });

  it('applies the filters of /events, and refuses a bad Last-Event-ID', async () => {
    h = await startHarness();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const only = await connect(`${base}/stream/events?workload=job-2&after=0`);
    await post(h.app, '/events', ndjson(0, 5), 'application/x-ndjson');
    await only.until(1);
    await post(h.app, '/events', ndjson(997, 6), 'application/x-ndjson'); // job-0 .. job-5 again: job-2 once more
    await only.until(2);
    expect(only.data.map((d) => (d.workload as { id: string }).id)).toEqual(['job-2', 'job-2']);
    only.close();
    await waitFor(
      async () => /^kcloud_log_sse_clients 0$/m.test(await fetch(`${base}/metrics`).then((r) => r.text())),
      {
        what: 'the server to see the client go',
      },
    );
    const bad = await fetch(`${base}/stream/events`, { headers: { 'last-event-id': 'x' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: 'UsageError',
        message: 'Last-Event-ID: expected a whole number from 0 to 1,000,000,000; got "x"',
      },
    });
  });

  it('sends a page of stored events in one write, not one write per event', async () => {
    h = await startHarness();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const writes = vi.spyOn(http.ServerResponse.prototype, 'write');
    try {
      const sse = await connect(`${base}/stream/events`);
      await post(h.app, '/events', ndjson(0, 500), 'application/x-ndjson'); // one commit
      await sse.until(500);
      expect(sse.ids).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      const eventWrites = writes.mock.calls.filter(([chunk]) => String(chunk).startsWith('id: '));
      expect(eventWrites.length).toBeLessThanOrEqual(2);
      sse.close();
    } finally {
      writes.mockRestore();
    }
  });

  it('ends open streams when the service closes', async () => {
    h = await startHarness();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const sse = await connect(`${base}/stream/events`);
    await h.close(); // would wait for the stream forever otherwise
    sse.close();
  });
});

describe('GET /metrics', () => {
  it('counts stored events by type and source, lines per source, commit latency and SSE clients', async () => {
    h = await startHarness();
    await post(h.app, '/events', `${ndjson(0, 3)}\nnot json\n${decisionLine(0)}`, 'application/x-ndjson');
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain(
      'kcloud_log_events_stored_total{type="scheduling_decision",source="http:POST /events"} 3',
    );
    expect(text).toContain('kcloud_log_source_rejected_total{source="http:POST /events",kind="http"} 1');
    expect(text).toContain('kcloud_log_source_duplicates_total{source="http:POST /events",kind="http"} 1');
    expect(text).toContain('kcloud_log_source_lines_total{source="http:POST /events",kind="http"} 5');
    expect(text).toMatch(/^kcloud_log_commit_duration_seconds_count 1$/m);
    expect(text).toMatch(/^kcloud_log_commit_duration_seconds_bucket\{le="\+Inf"\} 1$/m);
    expect(text).toMatch(/^kcloud_log_sse_clients 0$/m);
    expect(text).toMatch(/^# TYPE kcloud_log_commit_duration_seconds histogram$/m);
  });
});
