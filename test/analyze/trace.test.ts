import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { traceWorkload } from '../../src/lib/query/trace.js';
import { NotFoundError } from '../../src/lib/errors.js';
import {
  buildStore,
  close,
  generate,
  tmpDir,
  type GenDecision,
  type GenEvent,
  type GenInefficiency,
  type GenRelocation,
} from './gen.js';

const HOUR = 3600e6;
let dir: string;
let store: Store;
let events: GenEvent[];

const ofWorkload = (id: string) =>
  events
    .filter(
      (e): e is GenDecision | GenRelocation =>
        (e.kind === 'decision' || e.kind === 'relocation') && e.workload === id,
    )
    .sort((a, b) => a.us - b.us);

beforeAll(async () => {
  dir = tmpDir();
  events = generate({
    seed: 5,
    decisions: 800,
    gapSeconds: 90,
    workloads: 40,
    relocations: 200,
    inefficiencies: 300,
  });
  store = await openStore(await buildStore(dir, 'trace', events), { readOnly: true });
}, 60_000);

afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('traceWorkload', () => {
  it('returns every event of the workload in time order, from every id form', async () => {
    for (const id of ['wl-0', 'wl-7', 'wl-39']) {
      const mine = ofWorkload(id);
      const r = await traceWorkload(store, id);
      expect(r.workload_id).toBe(id);
      expect(r.events.length).toBe(mine.length);
      expect(r.events.map((e) => Date.parse(e.ts))).toEqual(mine.map((e) => Math.floor(e.us / 1000)));
      expect(r.events.map((e) => e.event_type)).toEqual(
        mine.map((e) => (e.kind === 'decision' ? 'scheduling_decision' : 'workload_relocation')),
      );
      // Both shapes (workload.id, workload_id, workload) are present in the generated data.
      expect(r.placements.length).toBe(mine.filter((e) => e.kind === 'decision').length);
      expect(r.relocations.length).toBe(mine.filter((e) => e.kind === 'relocation').length);
      expect(r.summary.events).toBe(mine.length);
    }
  });

  it('lists every alternative and the difference to the cheapest', async () => {
    const r = await traceWorkload(store, 'wl-3');
    const ds = ofWorkload('wl-3').filter((e): e is GenDecision => e.kind === 'decision');
    expect(r.placements.length).toBe(ds.length);
    r.placements.forEach((p, i) => {
      const d = ds[i]!;
      expect(p.selected_cluster).toBe(d.cluster);
      expect(p.alternatives.map((a) => [a.cluster, a.cost_usd_per_hour])).toEqual(
        d.alts.map((a) => [a.cluster, a.cost]),
      );
      const min = d.alts.length ? Math.min(...d.alts.map((a) => a.cost)) : null;
      if (min === null) {
        expect(p.cost_diff_to_cheapest_usd_per_hour).toBeNull();
        expect(p.picked_cheapest).toBe(true);
      } else {
        expect(close(p.cost_diff_to_cheapest_usd_per_hour! + 1000, d.cost - min + 1000)).toBe(true);
        expect(p.picked_cheapest).toBe(d.cost <= min);
      }
      expect(p.outcome).toBe(d.outcome);
      expect(p.execution_time_ms).toBe(d.execMs);
    });
  });

  it('accounts for time on each cluster and the inefficiencies there', async () => {
    const id = 'wl-11';
    const mine = ofWorkload(id);
    const r = await traceWorkload(store, id);
    const starts = mine.filter((e) => e.kind === 'relocation' || e.outcome === 'scheduled');
    expect(r.stays.length).toBe(starts.length);
    const end = Math.max(...events.map((e) => e.us));
    expect(close(r.summary.total_hours, (end - starts[0]!.us) / HOUR)).toBe(true);
    // Inefficiencies on the clusters while the workload was on them.
    const expected: GenInefficiency[] = [];
    starts.forEach((s, i) => {
      const cluster = s.kind === 'decision' ? s.cluster : s.to;
      const until = i + 1 < starts.length ? starts[i + 1]!.us : end;
      const last = i + 1 === starts.length;
      for (const e of events)
        if (
          e.kind === 'inefficiency' &&
          e.cluster === cluster &&
          e.us >= s.us &&
          (e.us < until || (last && e.us === until))
        )
          expected.push(e);
    });
    expect(r.summary.inefficiencies).toBe(expected.length);
    expect(r.stays.reduce((a, x) => a + x.inefficiencies, 0)).toBe(expected.length);
    expect(r.inefficiencies.length).toBe(Math.min(expected.length, 100));
    const all = await traceWorkload(store, id, { inefficiencyLimit: Number.POSITIVE_INFINITY });
    expect(all.inefficiencies.map((x) => Date.parse(x.ts))).toEqual(
      expected.map((e) => Math.floor(e.us / 1000)).sort((a, b) => a - b),
    );
    expect((await traceWorkload(store, id, { inefficiencyLimit: 0 })).inefficiencies).toEqual([]);
    expect(expected.length).toBeGreaterThan(5);
    const five = await traceWorkload(store, id, { inefficiencyLimit: 5 });
    expect(five.inefficiencies).toEqual(all.inefficiencies.slice(0, 5));
    const { wasted_usd_on_its_clusters: w5, ...s5 } = five.summary;
    const { wasted_usd_on_its_clusters: wAll, ...sAll } = all.summary;
    expect(s5).toEqual(sAll);
    expect(close(w5 + 1, wAll + 1)).toBe(true);
    expect(
      close(r.summary.wasted_usd_on_its_clusters + 1, expected.reduce((a, e) => a + e.waste, 0) + 1),
    ).toBe(true);
  });

  it("lists each event's stored JSON only when asked", async () => {
    const plain = await traceWorkload(store, 'wl-3');
    expect(plain.events.every((e) => e.event === undefined)).toBe(true);
    const raw = await traceWorkload(store, 'wl-3', { withRaw: true });
    expect(raw.events.every((e) => typeof e.event === 'object' && e.event !== null)).toBe(true);
    expect(raw.placements).toEqual(plain.placements);
  });

  it('limits to --since/--until', async () => {
    const mine = ofWorkload('wl-0');
    const mid = mine[Math.floor(mine.length / 2)]!.us;
    const r = await traceWorkload(store, 'wl-0', { since: mid });
    expect(r.events.length).toBe(mine.filter((e) => e.us >= mid).length);
  });

  it('exits 1 for an unknown id and suggests close matches', async () => {
    const err = await traceWorkload(store, 'WL-17x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).exitCode).toBe(1);
    expect((err as Error).message).toMatch(/did you mean: .*wl-17/);
    const none = await traceWorkload(store, 'zzzzzzzzzzzzzzzzzz').catch((e: unknown) => e);
    expect(none).toBeInstanceOf(NotFoundError);
    expect((none as Error).message).not.toContain('did you mean');
  });
});
