/**
 * The read endpoints over the example logs: the same library calls and results as the CLI's
 * commands, their flags as query parameters (a bad one is a 400 with the CLI's message), pages
 * of events by seq, the analyses, the audit report and the alerts.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { searchEvents, listedEvent } from '../../src/lib/query/events.js';
import { traceWorkload } from '../../src/lib/query/trace.js';
import { analyzeSla, loadSlos } from '../../src/lib/analyze/sla.js';
import { ROOT } from '../helpers.js';
import { post, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.shared.write((s) => ingestPaths(s, [path.join(ROOT, 'examples', 'logs')]));
});
afterAll(async () => {
  await h.close();
  h.remove();
});

const get = async (url: string) => {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json(), type: res.headers['content-type'] };
};

describe('GET /events', () => {
  it('lists pages in seq order; following next visits every match once', async () => {
    const first = await get('/events?type=workload_relocation&limit=100');
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(162);
    expect(first.body.events).toHaveLength(100);
    expect(first.body.next).toBe(first.body.events[99]._seq);
    const second = await get(`/events?type=workload_relocation&limit=100&after=${first.body.next}`);
    expect(second.body.events).toHaveLength(62);
    expect(second.body.next).toBeNull();
    const seqs = [...first.body.events, ...second.body.events].map((e: { _seq: number }) => e._seq);
    expect(new Set(seqs).size).toBe(162);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('lists each event as events --json does', async () => {
    const { body } = await get('/events?workload=etl-job-678&limit=3');
    const expected = await h.shared.read(async (s) =>
      (await searchEvents(s, { workloads: ['etl-job-678'] }, { by: 'seq', limit: 3 })).map(listedEvent),
    );
    expect(body.events).toEqual(expected);
    expect(body.total).toBe(6);
  });

  it('takes every filter of events: repeated and comma-separated values, where, grep, since/until', async () => {
    const both = await get('/events?type=policy_change,cluster_reconfiguration&limit=0');
    expect(both.body).toEqual({ total: 52, events: [], next: null });
    const repeated = await get('/events?type=policy_change&type=cluster_reconfiguration&limit=0');
    expect(repeated.body.total).toBe(52);
    const where = await get(
      `/events?where=${encodeURIComponent('decision.selected_cluster=gpu-cluster-01')}&limit=1`,
    );
    expect(where.body.events[0].decision.selected_cluster).toBe('gpu-cluster-01');
    const none = await get('/events?since=2030-01-01&limit=0');
    expect(none.body.total).toBe(0);
  });

  it("answers a bad value with 400 and the CLI's message, naming the query parameter (not the flag)", async () => {
    expect((await get('/events?severity=urgent')).body).toEqual({
      error: { code: 'UsageError', message: 'severity "urgent": expected low, medium, high or critical' },
    });
    const type = await get('/events?type=nope');
    expect(type.status).toBe(400);
    expect(type.body.error.message).toMatch(
      /^type "nope": no such event type; expected scheduling_decision, .*\(node_heartbeat\)$/,
    );
    expect((await get('/events?limit=-1')).status).toBe(400);
    expect((await get('/events?typo=1')).body.error.message).toMatch(
      /^unknown parameter "typo"; this endpoint takes type, /,
    );
  });

  // Every reader of a query parameter names it as the query string spells it: `limit`, never `--limit`.
  it.each([
    ['/events?limit=abc', 'limit: expected a whole number from 0 to 10,000; got "abc"'],
    ['/events?limit=1&limit=2', 'limit: given 2 times; it takes one value'],
    [
      '/events?since=2025-02-01&until=2025-01-01',
      'until must be after since (since 2025-02-01 is at or after until 2025-01-01)',
    ],
    ['/events?since=garbage', /^since: cannot read "garbage" as a time; /],
    ['/events?where=nonsense', /^where "nonsense": expected PATH=VALUE /],
    ['/events?where=execution_time_ms%3Eabc', 'where execution_time_ms>abc: > needs a number'],
    [
      '/events/workload/etl-job-678?limit=abc',
      'limit: expected a whole number from 0 to 1,000,000,000; got "abc"',
    ],
    ['/events/workload/etl-job-678?raw=maybe', 'raw: expected true or false; got "maybe"'],
    ['/stream/events?severity=urgent', 'severity "urgent": expected low, medium, high or critical'],
    ['/stream/events?type=nope', /^type "nope": no such event type; /],
    [
      '/analytics/scheduling-performance?by=nope',
      'Expected by=nope to be one of: scheduler, cluster, workload-type, day',
    ],
    ['/analytics/scheduling-performance?interval=1ms', /^interval: /],
    [
      '/analytics/scheduling-performance?interval=1s&since=2000-01-01&until=2030-01-01',
      /^interval 1s gives [\d,]+ buckets over the window; /,
    ],
    [
      '/analytics/scheduling-performance?fail-under-reduction=5',
      'At least one of the following must be provided when using fail-under-reduction: baseline-since, baseline-until',
    ],
    [
      '/analytics/scheduling-performance?baseline-since=1h&baseline-until=2h',
      'baseline-until must be after baseline-since (baseline-since 1h is at or after baseline-until 2h)',
    ],
    ['/analytics/scheduling-performance?min-sample=0', /^min-sample: expected a whole number from 1 /],
    ['/analytics/cost-efficiency?policy-window=0s', /^policy-window: /],
    [
      '/analytics/sla-compliance?since=2h&until=3h',
      'until must be after since (since 2h is at or after until 3h)',
    ],
    ['/reports/audit?format=pdf', 'Expected format=pdf to be one of: md, html, json'],
    ['/reports/audit?verify=maybe', 'verify: expected true or false; got "maybe"'],
    ['/alerts/active?rule=nope', 'rule: no rule named nope'],
    ['/alerts/active?since=1h&at=2h', 'at must be after since (since 1h is at or after at 2h)'],
  ])('GET %s: 400 naming the parameter', async (url, message) => {
    const { status, body } = await get(url);
    expect(status).toBe(400);
    if (typeof message === 'string') expect(body.error.message).toBe(message);
    else expect(body.error.message).toMatch(message);
    expect(body.error.message).not.toMatch(/--[a-z]/);
  });

  it('keeps a value out of the SQL: a quote in a filter is data', async () => {
    const { status, body } = await get(`/events?workload=${encodeURIComponent("x' OR 1=1 --")}&limit=0`);
    expect(status).toBe(200);
    expect(body.total).toBe(0);
  });
});

describe('GET /events/:type and /events/workload/:id', () => {
  it('lists one type, by its endpoint name or its event_type', async () => {
    expect((await get('/events/relocation?limit=0')).body.total).toBe(162);
    expect((await get('/events/workload_relocation?limit=0')).body.total).toBe(162);
    expect((await get('/events/node_heartbeat?limit=0')).body.total).toBe(5);
    expect((await get('/events/relocation?type=policy_change')).status).toBe(400); // the path fixes the type
  });

  it("gives a workload's trace as trace --json does, and 404 for an unknown one", async () => {
    const { status, body } = await get('/events/workload/etl-job-678');
    expect(status).toBe(200);
    const expected = await h.shared.read((s) => traceWorkload(s, 'etl-job-678'));
    expect(body).toEqual(JSON.parse(JSON.stringify(expected)));
    const missing = await get('/events/workload/nope-job');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({
      code: 'NotFoundError',
      message: 'no events for workload "nope-job"',
    });
  });
});

describe('analytics and the report', () => {
  it('answers the analyses with their results, their flags as parameters', async () => {
    const sched = await get('/analytics/scheduling-performance?by=cluster');
    expect(sched.status).toBe(200);
    expect(sched.body.decisions).toBe(707);
    expect(sched.body.groups.length).toBeGreaterThan(1);
    expect((await get('/analytics/scheduling-performance?interval=1ms')).status).toBe(400);
    const cost = await get('/analytics/cost-efficiency?since=2025-01-01');
    expect(cost.status).toBe(200);
    expect(cost.body.relocations).toBeDefined();
    const sla = await get('/analytics/sla-compliance');
    const expected = await h.shared.read((s) => analyzeSla(s, loadSlos()));
    expect(sla.body).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('renders the audit report as json (default), md or html', async () => {
    const json = await get('/reports/audit');
    expect(json.status).toBe(200);
    expect(json.type).toMatch(/^application\/json/);
    expect(json.body.scope.events).toBe(1006);
    const md = await h.app.inject({ method: 'GET', url: '/reports/audit?format=md' });
    expect(md.headers['content-type']).toMatch(/^text\/markdown/);
    expect(md.body).toMatch(/^# /);
    const html = await h.app.inject({ method: 'GET', url: '/reports/audit?format=html' });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toMatch(/^<!DOCTYPE html>/i);
  });
});

describe('alerts', () => {
  it('adds, lists, evaluates and removes rules', async () => {
    const rule = { name: 'big-waste', type: 'inefficiency_detected', where: ['wasted_cost_estimate>1'] };
    const added = await post(
      h.app,
      '/alerts/rules',
      JSON.stringify({ name: rule.name, match: { type: [rule.type], where: rule.where } }),
    );
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({ added: ['big-waste'], replaced: [] });
    const again = await post(
      h.app,
      '/alerts/rules',
      JSON.stringify([{ name: 'big-waste', match: { type: [rule.type] } }]),
    );
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toMatch(/already exists; use --replace/);
    const replaced = await post(
      h.app,
      '/alerts/rules?replace=true',
      JSON.stringify({ rules: [{ name: 'big-waste', match: { type: [rule.type], where: rule.where } }] }),
    );
    expect(replaced.json()).toMatchObject({ added: [], replaced: ['big-waste'] });
    const listed = (await get('/alerts/rules')).body;
    expect(listed.rules).toEqual([
      expect.objectContaining({ name: 'big-waste', kind: 'event', origin: 'http', error: null }),
    ]);
    const active = (await get('/alerts/active')).body;
    expect(active.alerts.length).toBeGreaterThan(0);
    expect(active.alerts.every((a: { state: string }) => a.state !== 'resolved')).toBe(true);
    const bad = await post(
      h.app,
      '/alerts/rules',
      JSON.stringify({ name: 'x', match: { type: ['nope_type'] }, bogus: 1 }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^body: /);
    const removed = await h.app.inject({ method: 'DELETE', url: '/alerts/rules/big-waste' });
    expect(removed.json()).toEqual({ removed: ['big-waste'] });
    const gone = await h.app.inject({ method: 'DELETE', url: '/alerts/rules/big-waste' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.message).toBe('no alert rule named "big-waste" (no rules stored)');
  });
});
