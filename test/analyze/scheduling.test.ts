import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { analyzeScheduling } from '../../src/lib/analyze/scheduling.js';
import { autoInterval } from '../../src/lib/analyze/buckets.js';
import { UsageError } from '../../src/lib/errors.js';
import { buildStore, close, generate, refScheduling, tmpDir, T0_US, type GenDecision } from '../scenario.js';

const HOUR = 3600e6;
let dir: string;
let store: Store;
let decisions: GenDecision[];
// Latency store: decisions before MID take ~200 ms, after ~100 ms (a 50 % reduction).
let latStore: Store;
let latBaseOnly: Store;
let latDecisions: GenDecision[];
const MID = T0_US + 24 * HOUR;

function expectClose(actual: number | null | undefined, expected: number | null | undefined, what: string) {
  expect(close(actual, expected), `${what}: ${actual} vs expected ${expected}`).toBe(true);
}

beforeAll(async () => {
  dir = tmpDir();
  const events = generate({ seed: 7, decisions: 3000, gapSeconds: 50 });
  decisions = events.filter((e): e is GenDecision => e.kind === 'decision');
  store = await openStore(await buildStore(dir, 'main', events), { readOnly: true });

  const lat = generate({
    seed: 11,
    decisions: 2000,
    gapSeconds: 86,
    latency: (us, r) => (us < MID ? 150 + r() * 100 : 75 + r() * 50),
  });
  latDecisions = lat.filter((e): e is GenDecision => e.kind === 'decision');
  latStore = await openStore(await buildStore(dir, 'lat', lat), { readOnly: true });
  latBaseOnly = await openStore(
    await buildStore(
      dir,
      'latbase',
      lat.filter((e) => e.us < MID),
    ),
    { readOnly: true },
  );
}, 60_000);

afterAll(() => {
  store?.close();
  latStore?.close();
  latBaseOnly?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('analyzeScheduling', () => {
  it('matches an independent computation over the whole store', async () => {
    const r = await analyzeScheduling(store, { filter: {} });
    const ref = refScheduling(decisions);
    expect(r.decisions).toBe(ref.decisions);
    expectClose(r.latency_ms.avg, ref.avg, 'avg');
    expectClose(r.latency_ms.p50, ref.p50, 'p50');
    expectClose(r.latency_ms.p90, ref.p90, 'p90');
    expectClose(r.latency_ms.p95, ref.p95, 'p95');
    expectClose(r.latency_ms.p99, ref.p99, 'p99');
    expectClose(r.latency_ms.max, ref.max, 'max');
    expectClose(r.success_rate, ref.success_rate, 'success_rate');
    expectClose(r.cheapest_choice_rate, ref.cheapest_choice_rate, 'cheapest_choice_rate');
    expectClose(r.regret_usd_per_hour, ref.regret, 'regret');
    expect(r.not_cheapest).toBe(ref.notCheapest);
    expect(r.outcomes.scheduled + r.outcomes.failed! + r.outcomes.pending!).toBe(ref.decisions);
    // Throughput: decisions / minutes from the first to the last decision.
    const first = Math.min(...decisions.map((d) => d.us));
    const last = Math.max(...decisions.map((d) => d.us));
    expectClose(r.throughput_per_min, ref.decisions / ((last - first) / 60e6), 'throughput_per_min');
    expectClose(r.throughput_per_hour, (ref.decisions / ((last - first) / 60e6)) * 60, 'throughput_per_hour');
    // The sanity of the data: some decisions are not the cheapest, some have no alternatives.
    expect(ref.notCheapest).toBeGreaterThan(10);
    expect(decisions.some((d) => d.alts.length === 0)).toBe(true);
    expect(r.baseline).toBeNull();
    expect(r.verdict).toBeNull();
    expect(r.gates).toEqual([]);
  });

  it('honours --since/--until (until exclusive) and the cluster filter', async () => {
    const since = T0_US + 5 * HOUR;
    const until = T0_US + 20 * HOUR;
    const r = await analyzeScheduling(store, {
      filter: { since, until, clusters: ['gpu-cluster-01', 'npu-cluster-01'] },
    });
    const sel = decisions.filter(
      (d) =>
        d.us >= since && d.us < until && (d.cluster === 'gpu-cluster-01' || d.cluster === 'npu-cluster-01'),
    );
    const ref = refScheduling(sel);
    expect(r.decisions).toBe(ref.decisions);
    expectClose(r.latency_ms.avg, ref.avg, 'avg');
    expectClose(r.latency_ms.p95, ref.p95, 'p95');
    expectClose(r.latency_ms.p99, ref.p99, 'p99');
    expectClose(r.cheapest_choice_rate, ref.cheapest_choice_rate, 'cheapest');
    expectClose(r.regret_usd_per_hour, ref.regret, 'regret');
    // The window is the flags' window.
    expectClose(r.throughput_per_min, ref.decisions / ((until - since) / 60e6), 'throughput');
    expect(r.window.since).toBe(new Date(since / 1000).toISOString().replace('.000Z', 'Z'));
  });

  it.each([
    ['scheduler', (d: GenDecision) => d.scheduler],
    ['cluster', (d: GenDecision) => d.cluster],
    ['workload-type', (d: GenDecision) => d.wtype],
    ['day', (d: GenDecision) => new Date(d.us / 1000).toISOString().slice(0, 10)],
  ] as const)('breaks down by %s', async (by, keyOf) => {
    const r = await analyzeScheduling(store, { filter: {}, by });
    const groups = new Map<string, GenDecision[]>();
    for (const d of decisions) groups.set(keyOf(d), [...(groups.get(keyOf(d)) ?? []), d]);
    expect(r.group_by).toBe(by);
    expect(r.groups.map((g) => g.key).sort()).toEqual([...groups.keys()].sort());
    for (const g of r.groups) {
      const ref = refScheduling(groups.get(g.key!)!);
      expect(g.decisions).toBe(ref.decisions);
      expectClose(g.latency_ms.avg, ref.avg, `${by} ${g.key} avg`);
      expectClose(g.latency_ms.p95, ref.p95, `${by} ${g.key} p95`);
      expectClose(g.cheapest_choice_rate, ref.cheapest_choice_rate, `${by} ${g.key} cheapest`);
      expectClose(g.regret_usd_per_hour, ref.regret, `${by} ${g.key} regret`);
      expectClose(g.share, ref.decisions / decisions.length, 'share');
    }
  });

  it('builds a trend with every bucket of the interval', async () => {
    const r = await analyzeScheduling(store, { filter: {}, intervalMs: 3_600_000 });
    expect(r.interval).toBe('1h');
    const counts = new Map<number, GenDecision[]>();
    for (const d of decisions) {
      const b = Math.floor(d.us / HOUR);
      counts.set(b, [...(counts.get(b) ?? []), d]);
    }
    const firstB = Math.min(...counts.keys());
    const lastB = Math.max(...counts.keys());
    expect(r.trend.length).toBe(lastB - firstB + 1);
    expect(r.trend.reduce((s, t) => s + t.decisions, 0)).toBe(decisions.length);
    for (const t of r.trend) {
      const b = (Date.parse(t.start) * 1000) / HOUR;
      const ds = counts.get(b) ?? [];
      expect(t.decisions).toBe(ds.length);
      if (ds.length) {
        expectClose(t.latency_p95_ms, refScheduling(ds).p95, `bucket ${t.start} p95`);
        expectClose(t.throughput_per_min, ds.length / 60, 'bucket throughput');
      }
    }
    // Without --interval: an automatic interval with about 60 buckets at most.
    const auto = await analyzeScheduling(store, { filter: {} });
    expect(auto.trend.length).toBeLessThanOrEqual(61);
    expect(auto.trend.length).toBeGreaterThan(5);
    expect(autoInterval(30 * 60e6)).toBe(60_000);
  });

  it('compares with a baseline window: change, verdict and the reduction gate', async () => {
    const base = latDecisions.filter((d) => d.us < MID);
    const cur = latDecisions.filter((d) => d.us >= MID);
    const rb = refScheduling(base);
    const rc = refScheduling(cur);
    const opts = { filter: { since: MID }, baseline: { store: latStore, filter: { until: MID } } };

    const r = await analyzeScheduling(latStore, { ...opts, failUnderReductionPct: 30 });
    expect(r.decisions).toBe(cur.length);
    expect(r.baseline!.decisions).toBe(base.length);
    expectClose(r.baseline!.latency_ms.avg, rb.avg, 'baseline avg');
    expectClose(r.baseline!.latency_ms.p95, rb.p95, 'baseline p95');
    expectClose(r.change!.avg_pct, ((rc.avg! - rb.avg!) / rb.avg!) * 100, 'avg change');
    expectClose(r.change!.p95_pct, ((rc.p95! - rb.p95!) / rb.p95!) * 100, 'p95 change');
    expect(r.change!.avg_pct!).toBeLessThan(-40);
    expect(r.verdict).toBe('pass');
    expect(r.gates).toHaveLength(1);
    expect(r.gates[0]!.passed).toBe(true);

    const reduction = -r.change!.avg_pct!;
    // The gate fails exactly when the required reduction is above the measured one.
    const justAbove = await analyzeScheduling(latStore, { ...opts, failUnderReductionPct: reduction + 0.5 });
    expect(justAbove.verdict).toBe('fail');
    expect(justAbove.gates[0]!.passed).toBe(false);
    const justBelow = await analyzeScheduling(latStore, { ...opts, failUnderReductionPct: reduction - 0.5 });
    expect(justBelow.verdict).toBe('pass');
    expect(justBelow.gates[0]!.passed).toBe(true);

    // The verdict on p95 instead of avg.
    const p95 = await analyzeScheduling(latStore, {
      ...opts,
      reductionMetric: 'p95',
      failUnderReductionPct: 30,
    });
    expect(p95.verdict).toBe(-p95.change!.p95_pct! >= 30 ? 'pass' : 'fail');

    // Too few decisions on a side: insufficient-data, and the gate fails closed.
    const few = await analyzeScheduling(latStore, {
      ...opts,
      minSample: cur.length + 1,
      failUnderReductionPct: 30,
    });
    expect(few.verdict).toBe('insufficient-data');
    expect(few.gates[0]!.passed).toBe(false);
    expect(few.verdict_basis).toContain(String(cur.length + 1));

    // Slower than the baseline: fail.
    const slower = await analyzeScheduling(latStore, {
      filter: { until: MID },
      baseline: { store: latStore, filter: { since: MID } },
    });
    expect(slower.verdict).toBe('fail');
    expect(slower.change!.avg_pct!).toBeGreaterThan(0);
  });

  it('takes the baseline from another database', async () => {
    const base = latDecisions.filter((d) => d.us < MID);
    const r = await analyzeScheduling(latStore, {
      filter: { since: MID },
      baseline: { store: latBaseOnly, filter: {} },
      failUnderReductionPct: 30,
    });
    expect(r.baseline!.decisions).toBe(base.length);
    expect(r.baseline!.db).toBe(latBaseOnly.path);
    expectClose(r.baseline!.latency_ms.avg, refScheduling(base).avg, 'baseline avg');
    expect(r.verdict).toBe('pass');
  });

  it('gates p95 latency exactly at the threshold', async () => {
    const p95 = refScheduling(decisions).p95!;
    const over = await analyzeScheduling(store, { filter: {}, failIfP95OverMs: p95 * 0.99 });
    expect(over.gates[0]!.passed).toBe(false);
    const under = await analyzeScheduling(store, { filter: {}, failIfP95OverMs: p95 * 1.01 });
    expect(under.gates[0]!.passed).toBe(true);
  });

  it('gives the same percentiles by histogram and by quantile_cont, equal to DuckDB quantile_cont', async () => {
    const opts = { filter: {}, by: 'cluster' as const, intervalMs: 3_600_000 };
    const h = await analyzeScheduling(store, { ...opts, quantileMethod: 'histogram' });
    const q = await analyzeScheduling(store, { ...opts, quantileMethod: 'sort' });
    const strip = (r: typeof h) => JSON.parse(JSON.stringify({ ...r, basis: undefined }));
    const same = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'number' && typeof b === 'number') {
        expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
      } else if (a && typeof a === 'object') {
        expect(Object.keys(a as object).sort(), path).toEqual(Object.keys(b as object).sort());
        for (const k of Object.keys(a as object))
          same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      } else expect(a, path).toEqual(b);
    };
    same(strip(h), strip(q), 'result');
    const direct = await store.conn.runAndReadAll(
      "SELECT quantile_cont(exec_ms, [0.5, 0.9, 0.95, 0.99]) AS q FROM events WHERE event_type = 'scheduling_decision'",
    );
    const [p50, p90, p95, p99] = (direct.getRowObjectsJS()[0]!.q as number[]).map(Number);
    for (const [got, want] of [
      [h.latency_ms.p50, p50],
      [h.latency_ms.p90, p90],
      [h.latency_ms.p95, p95],
      [h.latency_ms.p99, p99],
    ] as const) {
      expect(Math.abs(got! - want!)).toBeLessThan(1e-9 * want!);
    }
  });

  it('reports an empty selection without failing, and refuses a reduction gate without a baseline', async () => {
    const r = await analyzeScheduling(store, {
      filter: { workloads: ['no-such-workload'] },
      failIfP95OverMs: 100,
    });
    expect(r.decisions).toBe(0);
    expect(r.latency_ms.avg).toBeNull();
    expect(r.latency_ms.p95).toBeNull();
    expect(r.success_rate).toBeNull();
    expect(r.cheapest_choice_rate).toBeNull();
    expect(r.regret_usd_per_hour).toBe(0);
    expect(r.trend).toEqual([]);
    expect(r.gates[0]!.passed).toBe(false);
    await expect(analyzeScheduling(store, { filter: {}, failUnderReductionPct: 30 })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});
