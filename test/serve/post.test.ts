/**
 * POST /events and /events/<type> over a real store: what is stored, what is a duplicate, what
 * is rejected and why, the status codes of bodies that cannot be read, and the source each
 * endpoint is (its line accounting balanced, across requests and restarts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decisionLine } from '../helpers.js';
import { post, rows, startHarness, type Harness } from './harness.js';

const relocation = (i: number) =>
  JSON.stringify({
    event_type: 'workload_relocation',
    timestamp: new Date(Date.UTC(2025, 0, 15) + i * 1000).toISOString(),
    trigger: 'power_efficiency_optimization',
    workload: `job-${i}`,
    migration: {
      from_cluster: 'gpu-cluster-01',
      to_cluster: 'npu-cluster-01',
      reason: 'idle GPUs',
      power_saving_watts: 65,
      cost_saving_per_hour: 1.48,
    },
    migration_time_seconds: 90,
    downtime_seconds: 1,
  });

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h?.remove();
  h = undefined;
});

describe('POST /events/<type>', () => {
  it('stores one event, answers with its seq, and a retry of it stores nothing new', async () => {
    h = await startHarness();
    const first = await post(h.app, '/events/scheduling', decisionLine(1));
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({
      stored: 1,
      duplicates: 0,
      rejected: 0,
      source: 'http:POST /events/scheduling',
    });
    expect(body.events).toEqual([{ index: 0, status: 'stored', event_id: expect.any(String), seq: 1 }]);
    const again = (await post(h.app, '/events/scheduling', decisionLine(1))).json();
    expect(again.events).toEqual([{ index: 0, status: 'duplicate', event_id: body.events[0].event_id }]);
    expect(await rows(h, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 1 }]);
  });

  it('takes an array, and rejects an event of another type for that reason (kept in rejects)', async () => {
    h = await startHarness();
    const res = await post(
      h.app,
      '/events/relocation',
      `[${relocation(1)},\n ${decisionLine(2)}, ${relocation(3)}]`,
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.events.map((e: { status: string }) => e.status)).toEqual(['stored', 'rejected', 'stored']);
    expect(body.events[1].reason).toBe(
      'event_type "scheduling_decision": only workload_relocation events are taken here',
    );
    const rj = await rows(h, 'SELECT path, line, reason FROM rejects');
    expect(rj).toEqual([{ path: 'http:POST /events/relocation', line: 2n, reason: body.events[1].reason }]);
  });

  it('rejects an invalid event with the schema reason; when every event is rejected the answer is 422', async () => {
    h = await startHarness();
    const bad = JSON.parse(decisionLine(1)) as Record<string, unknown>;
    delete bad.decision;
    const res = await post(h.app, '/events/scheduling', JSON.stringify(bad));
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.error.code).toBe('EventsRejected');
    expect(body.events[0]).toMatchObject({ index: 0, status: 'rejected' });
    expect(body.events[0].reason).toMatch(/^scheduling_decision/);
    expect(await rows(h, 'SELECT count(*)::INT AS n FROM rejects')).toEqual([{ n: 1 }]);
  });

  it('rejects what file ingest would skip: JSON without event_type is not an event here', async () => {
    h = await startHarness();
    const res = await post(h.app, '/events/scheduling', '{"message": "hello"}');
    expect(res.statusCode).toBe(422);
    expect(res.json().events[0].reason).toMatch(/^not an event/);
  });
});

describe('POST /events', () => {
  it("takes NDJSON of any types: a bad line is that line's reject, blank lines are skipped", async () => {
    h = await startHarness();
    const body = [
      decisionLine(1),
      relocation(2),
      '',
      '{"event_type": "scheduling_decision", ',
      decisionLine(1),
    ].join('\n');
    const res = await post(h.app, '/events', body + '\n', 'application/x-ndjson');
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ stored: 2, duplicates: 1, rejected: 1 });
    expect(b.events.map((e: { index: number; status: string }) => [e.index, e.status])).toEqual([
      [0, 'stored'],
      [1, 'stored'],
      [3, 'rejected'],
      [4, 'duplicate'],
    ]);
    const [src] = await rows(
      h,
      "SELECT lines, stored, rejected, duplicates, skipped FROM sources WHERE kind = 'http'",
    );
    expect(src).toEqual({ lines: 5n, stored: 2n, rejected: 1n, duplicates: 1n, skipped: 1n });
  });

  it('takes a JSON array of any types, stored as each element was written', async () => {
    h = await startHarness();
    const res = await post(h.app, '/events', `[\n  ${decisionLine(1)},\n  ${relocation(2)}\n]`);
    expect(res.json()).toMatchObject({ stored: 2, rejected: 0 });
    const raw = await rows(h, 'SELECT raw FROM events ORDER BY seq');
    expect(raw).toEqual([{ raw: decisionLine(1) }, { raw: relocation(2) }]);
  });

  it('numbers lines on across requests and restarts, so each reject names its own line', async () => {
    h = await startHarness();
    await post(h.app, '/events', `${decisionLine(1)}\nnot json {\n`, 'application/x-ndjson');
    const dir = h.dir;
    await h.close();
    h = await startHarness({}, dir);
    await post(h.app, '/events', `oops\n${decisionLine(2)}\n`, 'application/x-ndjson');
    expect(await rows(h, 'SELECT line FROM rejects ORDER BY line')).toEqual([{ line: 2n }, { line: 3n }]);
    expect(await rows(h, 'SELECT line FROM events ORDER BY line')).toEqual([{ line: 1n }, { line: 4n }]);
    const src = await rows(
      h,
      "SELECT count(*)::INT AS n, sum(lines)::INT AS lines FROM sources WHERE kind = 'http'",
    );
    expect(src).toEqual([{ n: 1, lines: 4 }]);
  });

  it('refuses a malformed JSON body with 400 naming the line and column, and stores nothing of it', async () => {
    h = await startHarness();
    const res = await post(h.app, '/events', `[\n${decisionLine(1)},\n{"event_type": }\n]`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('MalformedBodyError');
    expect(res.json().error.message).toMatch(/^the body is not valid JSON at line 3, column 16: /);
    expect(await rows(h, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 0 }]);
  });

  it('answers 413 to a body over the limit and 415 to a content type it does not take', async () => {
    h = await startHarness({ bodyLimit: 1024 });
    const big = await post(
      h.app,
      '/events',
      `[${Array.from({ length: 10 }, (_, i) => decisionLine(i)).join(',')}]`,
    );
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('BodyTooLarge');
    const text = await post(h.app, '/events', decisionLine(1), 'text/plain');
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toEqual({
      code: 'UnsupportedMediaType',
      message:
        'POST /events does not take content type "text/plain": send application/json (one event or an array) or application/x-ndjson (one event per line)',
    });
    expect(await rows(h, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 0 }]);
  });

  it('answers unknown paths with 404 in the error shape', async () => {
    h = await startHarness();
    const res = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NotFound', message: 'no such endpoint: GET /nope' } });
  });

  it('serialises concurrent POSTs through one writer: every event stored once', async () => {
    h = await startHarness();
    const app = h.app;
    const bodies = Array.from({ length: 8 }, (_, r) =>
      Array.from({ length: 50 }, (_, i) => decisionLine(r * 25 + i)).join('\n'),
    );
    const results = await Promise.all(bodies.map((b) => post(app, '/events', b, 'application/x-ndjson')));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const stored = results.reduce((a, r) => a + (r.json().stored as number), 0);
    expect(stored).toBe(225); // 8 x 50 lines over ids 0..224
    expect(
      await rows(h, 'SELECT count(*)::INT AS n, count(DISTINCT event_id)::INT AS d FROM events'),
    ).toEqual([{ n: 225, d: 225 }]);
  });

  it('group commit: POSTs that wait for the writer share one commit, each answered for its own events', async () => {
    h = await startHarness();
    const app = h.app;
    const commits = async () => Number((await rows(h!, 'SELECT count(*) AS n FROM commits'))[0]!.n);
    const before = await commits();
    // the writer is busy (a slow write holds it), so all the POSTs below wait together
    let release!: () => void;
    const held = h.shared.write(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const bodies = [
      [decisionLine(1), decisionLine(2)].join('\n'),
      [decisionLine(2), '{"event_type":"scheduling_decision"}', decisionLine(3)].join('\n'), // 2 again
      decisionLine(4),
    ];
    const answers = Promise.all([
      post(app, '/events', bodies[0]!, 'application/x-ndjson'),
      post(app, '/events', bodies[1]!, 'application/x-ndjson'),
      post(app, '/events/scheduling', bodies[2]!),
      post(app, '/events/relocation', relocation(5)), // another expected type: a commit of its own
    ]);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await held;
    const [a, b, c, d] = (await answers).map((r) => {
      expect(r.statusCode).toBe(200);
      return r.json() as {
        stored: number;
        duplicates: number;
        rejected: number;
        events: { status: string; seq?: number }[];
      };
    });
    expect(a!.events.map((e) => e.status)).toEqual(['stored', 'stored']);
    expect(b!.events.map((e) => e.status)).toEqual(['duplicate', 'rejected', 'stored']);
    expect(c!.events.map((e) => e.status)).toEqual(['stored']);
    expect(d!.events.map((e) => e.status)).toEqual(['stored']);
    // one commit for the two POSTs to /events, one for /events/scheduling, one for /events/relocation (a group per expected type)
    expect((await commits()) - before).toBe(3);
    const seqs = [a, b, c, d].flatMap((r) => r!.events.flatMap((e) => (e.seq ? [e.seq] : [])));
    expect(new Set(seqs).size).toBe(5);
    expect(await rows(h, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 5 }]);
    const src = await rows(
      h,
      'SELECT count(*)::INT AS bad FROM sources WHERE lines <> stored + rejected + duplicates + skipped',
    );
    expect(src).toEqual([{ bad: 0 }]);
  });
});
