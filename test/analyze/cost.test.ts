import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { analyzeCost, HOURS_PER_MONTH } from '../../src/lib/analyze/cost.js';
import { NotFoundError } from '../../src/lib/errors.js';
import {
  autoOf,
  buildStore,
  close,
  generate,
  quantile,
  tmpDir,
  T0_US,
  type GenDecision,
  type GenEvent,
  type GenInefficiency,
  type GenReconfig,
  type GenRelocation,
} from '../scenario.js';

const HOUR = 3600e6;
let dir: string;
let store: Store;
let events: GenEvent[];
let rels: GenRelocation[];
let ineffs: GenInefficiency[];
let recs: GenReconfig[];

function expectClose(actual: number | null | undefined, expected: number | null | undefined, what: string) {
  expect(close(actual, expected), `${what}: ${actual} vs expected ${expected}`).toBe(true);
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Savings in effect, independently: each selected relocation from its time until the same
 * workload's next relocation or scheduling decision, else `end`, clipped to [start, end);
 * the run-rate sums the rates still in effect at `end`.
 */
function refSavings(selected: (r: GenRelocation) => boolean, start: number, end: number) {
  let usd = 0;
  let kwh = 0;
  let runRate = 0;
  for (const r of rels) {
    if (!selected(r) || r.us >= end) continue;
    const next = events
      .filter(
        (x) => (x.kind === 'relocation' || x.kind === 'decision') && x.workload === r.workload && x.us > r.us,
      )
      .reduce((m, x) => Math.min(m, x.us), Infinity);
    const hrs = Math.max(0, Math.min(next, end) - Math.max(r.us, start)) / HOUR;
    usd += r.saving * hrs;
    kwh += (r.watts * hrs) / 1000;
    if (next >= end) runRate += r.saving;
  }
  return { usd, kwh, runRate };
}

beforeAll(async () => {
  dir = tmpDir();
  events = generate({
    seed: 21,
    decisions: 2500,
    gapSeconds: 70,
    relocations: 600,
    inefficiencies: 400,
    reconfigs: 150,
    workloads: 120,
    policyAt: 0.5,
  });
  rels = events.filter((e): e is GenRelocation => e.kind === 'relocation');
  ineffs = events.filter((e): e is GenInefficiency => e.kind === 'inefficiency');
  recs = events.filter((e): e is GenReconfig => e.kind === 'reconfig');
  store = await openStore(await buildStore(dir, 'cost', events), { readOnly: true });
}, 60_000);

afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('analyzeCost', () => {
  it('matches an independent computation over the whole store', async () => {
    const r = await analyzeCost(store, { filter: {} });
    expect(r.relocations.count).toBe(rels.length);
    const est = sum(rels.map((x) => x.saving));
    expectClose(r.relocations.estimated_savings_usd_per_hour, est, 'estimated savings');
    const times = events.map((e) => e.us);
    const real = refSavings(() => true, Math.min(...times), Math.max(...times) + 1);
    expectClose(r.run_rate_usd_per_hour, real.runRate, 'run-rate');
    expectClose(r.monthly_projection_usd, real.runRate * HOURS_PER_MONTH, 'monthly projection');
    expect(real.runRate).toBeLessThan(est / 2); // most relocations are superseded
    expectClose(r.relocations.realized_savings_usd, real.usd, 'realised savings');
    expectClose(r.energy_saved_kwh, real.kwh, 'energy');
    expectClose(r.relocations.downtime_seconds, sum(rels.map((x) => x.downtime)), 'downtime');
    expectClose(r.relocations.power_saving_watts, sum(rels.map((x) => x.watts)), 'watts');
    for (const t of r.relocations.by_trigger) {
      expectClose(
        t.estimated_savings_usd_per_hour,
        sum(rels.filter((x) => x.trigger === t.trigger).map((x) => x.saving)),
        `trigger ${t.trigger}`,
      );
    }

    // Waste.
    expect(r.waste.count).toBe(ineffs.length);
    expectClose(r.waste.total_usd, sum(ineffs.map((x) => x.waste)), 'waste total');
    const check = (
      rows: { key: string | null; wasted_usd: number; count: number }[],
      keyOf: (e: GenInefficiency) => string,
      what: string,
    ) => {
      const keys = new Set(ineffs.map(keyOf));
      expect(rows.map((b) => b.key).sort(), what).toEqual([...keys].sort());
      for (const b of rows) {
        const sel = ineffs.filter((e) => keyOf(e) === b.key);
        expect(b.count).toBe(sel.length);
        expectClose(b.wasted_usd, sum(sel.map((e) => e.waste)), `${what} ${b.key}`);
      }
    };
    check(r.waste.by_cluster, (e) => e.cluster, 'by_cluster');
    check(r.waste.by_type, (e) => e.type, 'by_type');
    check(r.waste.by_severity, (e) => e.severity, 'by_severity');
    check(r.waste.by_recommended_action, (e) => e.action, 'by_recommended_action');
    const auto = ineffs.filter((e) => autoOf(e) === true);
    const manual = ineffs.filter((e) => autoOf(e) === false);
    const unknown = ineffs.filter((e) => autoOf(e) === null);
    expect(r.waste.by_action.auto.count).toBe(auto.length);
    expect(r.waste.by_action.manual.count).toBe(manual.length);
    expect(r.waste.by_action.unknown.count).toBe(unknown.length);
    expect(unknown.length).toBeGreaterThan(0);
    expectClose(r.waste.by_action.auto.wasted_usd, sum(auto.map((e) => e.waste)), 'auto waste');
    expectClose(r.waste.by_action.manual.wasted_usd, sum(manual.map((e) => e.waste)), 'manual waste');

    // Reconfigurations.
    const byAction = (a: string) => recs.filter((x) => x.action === a);
    expect(r.reconfigurations.count).toBe(recs.length);
    expectClose(
      r.reconfigurations.added_usd_per_hour,
      sum(byAction('cluster_created').map((x) => x.cost)),
      'added',
    );
    expectClose(
      r.reconfigurations.removed_usd_per_hour,
      sum(byAction('cluster_deleted').map((x) => x.cost)),
      'removed',
    );
    expectClose(
      r.reconfigurations.net_usd_per_hour,
      sum(byAction('cluster_created').map((x) => x.cost)) -
        sum(byAction('cluster_deleted').map((x) => x.cost)),
      'net',
    );
    expect(r.reconfigurations.scaled.count).toBe(byAction('cluster_scaled').length);
    expectClose(
      r.reconfigurations.scaled.cost_usd_per_hour,
      sum(byAction('cluster_scaled').map((x) => x.cost)),
      'scaled',
    );
    // Scaling against the same cluster's previously logged cost.
    let delta = 0;
    let known = 0;
    const sorted = [...recs].sort((a, b) => a.us - b.us);
    for (const x of sorted) {
      if (x.action !== 'cluster_scaled') continue;
      const prev = sorted.filter((p) => p.cluster === x.cluster && p.us < x.us).pop();
      if (prev) {
        delta += x.cost - prev.cost;
        known++;
      }
    }
    expect(r.reconfigurations.scaled.delta_known).toBe(known);
    expectClose(r.reconfigurations.scaled.delta_usd_per_hour, delta, 'scaled delta');

    // Trend buckets add up.
    expect(sum(r.trend.map((t) => t.relocations))).toBe(rels.length);
    expectClose(sum(r.trend.map((t) => t.wasted_usd)), sum(ineffs.map((x) => x.waste)), 'trend waste');
    expect(r.policy_comparison).toBeNull();
    expect(r.basis.monthly_projection_usd).toContain('730');
  });

  it('honours the window (savings in effect inside it) and the cluster filter', async () => {
    const since = T0_US + 6 * HOUR;
    const until = T0_US + 30 * HOUR;
    const r = await analyzeCost(store, { filter: { since, until, clusters: ['npu-cluster-01'] } });
    const inWin = (e: { us: number }) => e.us >= since && e.us < until;
    const selRels = rels.filter((x) => inWin(x) && x.to === 'npu-cluster-01');
    expect(r.relocations.count).toBe(selRels.length);
    expectClose(r.relocations.estimated_savings_usd_per_hour, sum(selRels.map((x) => x.saving)), 'estimated');
    // The next relocation or placement of the workload counts wherever it went.
    const real = refSavings((x) => x.to === 'npu-cluster-01', since, until);
    expectClose(r.relocations.realized_savings_usd, real.usd, 'realised');
    expectClose(r.energy_saved_kwh, real.kwh, 'energy');
    expectClose(r.run_rate_usd_per_hour, real.runRate, 'run-rate');
    const selIneff = ineffs.filter((x) => inWin(x) && x.cluster === 'npu-cluster-01');
    expectClose(r.waste.total_usd, sum(selIneff.map((x) => x.waste)), 'waste');
    expect(r.waste.by_cluster.map((b) => b.key)).toEqual(['npu-cluster-01']);
  });

  it('applies --grep and --where to the events (the raw JSON)', async () => {
    // Only the nested relocations carry migration.reason "cheaper".
    const r = await analyzeCost(store, { filter: { grep: 'CHEAPER' } });
    const nested = rels.filter((x) => !x.flat);
    expect(r.relocations.count).toBe(nested.length);
    expectClose(
      r.relocations.estimated_savings_usd_per_hour,
      sum(nested.map((x) => x.saving)),
      'grep savings',
    );
    const w = await analyzeCost(store, {
      filter: { where: [{ path: ['trigger'], op: '=', value: 'cost_optimization' }] },
    });
    const sel = rels.filter((x) => x.trigger === 'cost_optimization');
    expect(w.relocations.count).toBe(sel.length);
    expectClose(w.relocations.estimated_savings_usd_per_hour, sum(sel.map((x) => x.saving)), 'where savings');
  });

  it('compares equal windows around a policy change', async () => {
    const policy = events.find((e) => e.kind === 'policy')!;
    const t0 = policy.us;
    const first = Math.min(...events.map((e) => e.us));
    const last = Math.max(...events.map((e) => e.us));
    const len = Math.min(7 * 24 * HOUR, t0 - first, last + 1 - t0);
    const r = await analyzeCost(store, { filter: {}, aroundPolicy: 'cost-opt-v2' });
    const pc = r.policy_comparison!;
    expect(pc.policy_id).toBe('cost-opt-v2');
    expect(pc.action).toBe('applied');
    expectClose(pc.window_hours, len / HOUR, 'window hours');
    const side = (from: number, to: number) => {
      const inSide = (e: { us: number }) => e.us >= from && e.us < to;
      const ds = events.filter((e): e is GenDecision => e.kind === 'decision' && inSide(e));
      return {
        decisions: ds.length,
        avgCost: sum(ds.map((d) => d.cost)) / ds.length,
        lat: sum(ds.map((d) => d.execMs)) / ds.length,
        p95: quantile(
          ds.map((d) => d.execMs),
          0.95,
        ),
        savings: sum(rels.filter(inSide).map((x) => x.saving)),
        waste: sum(ineffs.filter(inSide).map((x) => x.waste)),
      };
    };
    for (const [got, ref] of [
      [pc.before, side(t0 - len, t0)],
      [pc.after, side(t0, t0 + len)],
    ] as const) {
      expect(got.decisions).toBe(ref.decisions);
      expectClose(got.avg_decision_cost_usd_per_hour, ref.avgCost, 'avg cost');
      expectClose(got.latency_avg_ms, ref.lat, 'latency avg');
      expectClose(got.latency_p95_ms, ref.p95, 'latency p95');
      expectClose(got.estimated_savings_usd_per_hour, ref.savings, 'savings');
      expectClose(got.wasted_usd, ref.waste, 'waste');
    }
    expectClose(
      pc.change.wasted_pct,
      ((pc.after.wasted_usd - pc.before.wasted_usd) / pc.before.wasted_usd) * 100,
      'waste change',
    );

    // An explicit window length.
    const r2 = await analyzeCost(store, {
      filter: {},
      aroundPolicy: 'cost-opt-v2',
      policyWindowMs: 2 * 3_600_000,
    });
    expect(r2.policy_comparison!.window_hours).toBe(2);
    expect(r2.policy_comparison!.before.decisions).toBe(side(t0 - 2 * HOUR, t0).decisions);
    expect(r2.policy_comparison!.after.decisions).toBe(side(t0, t0 + 2 * HOUR).decisions);
  });

  it('names close matches for an unknown policy', async () => {
    const err = await analyzeCost(store, { filter: {}, aroundPolicy: 'cost-opt-v3' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('cost-opt-v2');
    expect((err as NotFoundError).exitCode).toBe(2);
  });
});
