/**
 * Relocation savings in effect, the run-rate at the window's end, the monthly
 * projection and energy, on hand-made scenarios, against an independent
 * computation written here in plain TypeScript (it does not call the
 * library): overlapping relocations of different workloads, a superseded
 * relocation, a workload placed again, windows wider than the data, a window
 * cutting an interval, --until before the newest event.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { analyzeCost, HOURS_PER_MONTH, type CostResult } from '../../src/lib/analyze/cost.js';
import { microsToIso } from '../../src/lib/time.js';
import { ingestLines, rng, tmpDir } from '../helpers.js';
import { line, mv, pl, T, type Ev } from './handmade.js';

const H = 3600e6;

/**
 * The reference. Window: [max(since, first event), min(until, newest event + 1 µs)).
 * A relocation saves its rate from its time until the same workload's next relocation or
 * placement, else the window end, clipped to the window. The run-rate at the end sums the
 * rate of each relocation still in effect then; monthly = run-rate x 730.
 */
function reference(evs: Ev[], o: { since?: number; until?: number; to?: string } = {}) {
  const times = evs.map((e) => e.us);
  const first = Math.min(...times);
  const dataEnd = Math.max(...times) + 1;
  const start = Math.max(o.since ?? first, first);
  const end = Math.max(start, Math.min(o.until ?? dataEnd, dataEnd));
  const out = { count: 0, estimated: 0, realised: 0, kwh: 0, hours: 0, runRate: 0, downtime: 0 };
  const byTrigger = new Map<string, number>();
  evs.forEach((m, i) => {
    if (m.kind !== 'move' || (o.to !== undefined && m.to !== o.to) || m.us >= end) return;
    if (m.us >= start) {
      out.count++;
      out.estimated += m.rate;
      out.downtime += m.downtime;
    }
    let next = Infinity;
    evs.forEach((x, j) => {
      if (x.kind === 'other' || x.workload !== m.workload) return;
      if (x.us > m.us || (x.us === m.us && j > i)) next = Math.min(next, x.us);
    });
    const hrs = Math.max(0, Math.min(next, end) - Math.max(m.us, start)) / H;
    out.realised += m.rate * hrs;
    out.kwh += (m.watts * hrs) / 1000;
    out.hours += hrs;
    byTrigger.set(m.trigger, (byTrigger.get(m.trigger) ?? 0) + m.rate * hrs);
    if (next >= end && end > start) out.runRate += m.rate;
  });
  return { ...out, monthly: out.runRate * HOURS_PER_MONTH, byTrigger, start, end };
}

function expectFigures(r: CostResult, ref: ReturnType<typeof reference>, what: string) {
  const near = (a: number, b: number, k: string) =>
    expect(Math.abs(a - b), `${what}: ${k} ${a} vs ${b}`).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(b)),
    );
  expect(r.relocations.count, `${what}: count`).toBe(ref.count);
  near(r.relocations.estimated_savings_usd_per_hour, ref.estimated, 'estimated');
  near(r.relocations.realized_savings_usd, ref.realised, 'realised');
  near(r.relocations.hours_in_effect, ref.hours, 'hours in effect');
  near(r.energy_saved_kwh, ref.kwh, 'energy');
  near(r.run_rate_usd_per_hour, ref.runRate, 'run-rate');
  near(r.relocations.run_rate_usd_per_hour, ref.runRate, 'relocations run-rate');
  near(r.monthly_projection_usd, ref.monthly, 'monthly');
  near(r.relocations.downtime_seconds, ref.downtime, 'downtime');
  for (const t of r.relocations.by_trigger)
    near(t.realized_savings_usd, ref.byTrigger.get(String(t.trigger)) ?? 0, `trigger ${t.trigger}`);
  expect(r.window.since, `${what}: window start`).toBe(microsToIso(ref.start));
  expect(r.window.until, `${what}: window end`).toBe(microsToIso(ref.end));
}

/**
 * w1: placed on A, moved A→B (2 USD/h), superseded by B→C (1.5 USD/h);
 * w2: moved A→C (4 USD/h), then placed again at 5 h;
 * w3: moved B→D (0.5 USD/h), overlapping the others, never placed in the log;
 * w4: moved C→A (3 USD/h) at 6 h; the newest event is an inefficiency at 8 h.
 */
const HAND: Ev[] = [
  pl(0, 'w1', 'A'),
  pl(0.5, 'w2', 'A'),
  mv(1, 'w1', 'A', 'B', 2, 100),
  mv(1.5, 'w3', 'B', 'D', 0.5, 30, 'load_balancing'),
  mv(2, 'w2', 'A', 'C', 4, 200),
  mv(3, 'w1', 'B', 'C', 1.5, 50),
  pl(5, 'w2', 'D'),
  mv(6, 'w4', 'C', 'A', 3, 10, 'load_balancing'),
  { kind: 'other', us: T + 8 * H, cluster: 'A' },
];

/** Many workloads, relocations and placements at random times (ties on purpose), for the same checks. */
function randomScenario(seed: number): Ev[] {
  const r = rng(seed);
  const out: Ev[] = [];
  const cl = ['A', 'B', 'C', 'D'];
  for (let i = 0; i < 400; i++) {
    const us = T + Math.floor(r() * 48) * 0.25 * H + Math.floor(r() * 3) * 1000;
    const workload = `w${Math.floor(r() * 30)}`;
    // A placement of any outcome ends the saving of the workload's relocation before it.
    if (r() < 0.3)
      out.push(pl((us - T) / H, workload, cl[Math.floor(r() * 4)]!, r() < 0.2 ? 'failed' : undefined));
    else
      out.push(
        mv(
          (us - T) / H,
          workload,
          cl[Math.floor(r() * 4)]!,
          cl[Math.floor(r() * 4)]!,
          Math.round(r() * 500) / 100,
          Math.round(r() * 300),
          r() < 0.5 ? 'cost_optimization' : 'load_balancing',
        ),
      );
  }
  out.push({ kind: 'other', us: T + 13 * H + 17, cluster: 'A' });
  return out;
}

let dir: string;
const stores: Store[] = [];
let hand: Store;
let rand: Store;
let randEvents: Ev[];

async function storeOf(evs: Ev[], name: string): Promise<Store> {
  const db = path.join(dir, `${name}.duckdb`);
  await ingestLines(db, evs.map(line));
  const s = await openStore(db, { readOnly: true });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  dir = tmpDir();
  hand = await storeOf(HAND, 'hand');
  randEvents = randomScenario(7);
  rand = await storeOf(randEvents, 'rand');
}, 60_000);

afterAll(() => {
  for (const s of stores) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('savings in effect: the hand-made scenario', () => {
  it('whole store: each saving until the next move or placement of its workload, else the newest event', async () => {
    const r = await analyzeCost(hand, { filter: {} });
    // By hand: w1 2 x 2 h + 1.5 x 5 h, w2 4 x 3 h, w3 0.5 x 6.5 h, w4 3 x 2 h (+ 1 µs each open one).
    expect(r.relocations.realized_savings_usd).toBeCloseTo(4 + 7.5 + 12 + 3.25 + 6, 4);
    // In effect at the end: w1's second relocation, w3's, w4's; w1's first is superseded, w2 placed again.
    expect(r.run_rate_usd_per_hour).toBeCloseTo(1.5 + 0.5 + 3, 9);
    expect(r.monthly_projection_usd).toBeCloseTo(5 * 730, 6);
    expect(r.relocations.estimated_savings_usd_per_hour).toBeCloseTo(11, 9);
    expect(r.energy_saved_kwh).toBeCloseTo((100 * 2 + 50 * 5 + 200 * 3 + 30 * 6.5 + 10 * 2) / 1000, 6);
    expect(r.relocations.in_effect_at_end).toBe(3);
    expectFigures(r, reference(HAND), 'whole store');
    expect(r.basis.monthly_projection_usd).toMatch(/run-rate 5 USD\/h x 730 h/);
  });

  it('a window wider than the data changes no figure', async () => {
    const base = await analyzeCost(hand, { filter: {} });
    for (const [since, until] of [
      [T - 30 * 24 * H, T + 60 * 24 * H],
      [undefined, T + 365 * 24 * H],
      [T - 2 * H, undefined],
    ] as const) {
      const r = await analyzeCost(hand, { filter: { since, until } });
      expectFigures(r, reference(HAND, { since, until }), `wide ${since} ${until}`);
      for (const k of ['realized_savings_usd', 'hours_in_effect', 'estimated_savings_usd_per_hour'] as const)
        expect(r.relocations[k]).toBe(base.relocations[k]);
      expect([r.energy_saved_kwh, r.monthly_projection_usd, r.run_rate_usd_per_hour]).toEqual([
        base.energy_saved_kwh,
        base.monthly_projection_usd,
        base.run_rate_usd_per_hour,
      ]);
      expect(r.window.until).toBe(base.window.until);
      expect(r.trend.length).toBe(base.trend.length);
    }
  });

  it('a window cutting intervals: savings from before the window count for their hours inside it', async () => {
    const since = T + 2.5 * H;
    const until = T + 4 * H;
    const r = await analyzeCost(hand, { filter: { since, until } });
    // w1 2 x 0.5 h + 1.5 x 1 h, w2 4 x 1.5 h, w3 0.5 x 1.5 h; at 4 h w1 (1.5), w2 (4) and w3 (0.5) are in effect.
    expect(r.relocations.realized_savings_usd).toBeCloseTo(1 + 1.5 + 6 + 0.75, 9);
    expect(r.run_rate_usd_per_hour).toBeCloseTo(6, 9);
    expect(r.relocations.count).toBe(1);
    expect(r.relocations.in_effect_from_before).toBe(3);
    expectFigures(r, reference(HAND, { since, until }), 'cut');
  });

  it('--until before the newest event ends every interval there', async () => {
    for (const h of [5.5, 6, 2, 1]) {
      const until = T + h * H;
      expectFigures(
        await analyzeCost(hand, { filter: { until } }),
        reference(HAND, { until }),
        `until ${h} h`,
      );
    }
  });

  it('the cluster filter selects relocations by destination; their successors are any move of the workload', async () => {
    const r = await analyzeCost(hand, { filter: { clusters: ['C'] } });
    expectFigures(r, reference(HAND, { to: 'C' }), 'cluster C');
    expect(r.relocations.realized_savings_usd).toBeCloseTo(12 + 7.5, 4);
  });

  it('a window beside the data is empty: every figure 0', async () => {
    for (const f of [{ since: T + 9 * H }, { until: T - H }, { since: T - 3 * H, until: T - H }]) {
      const r = await analyzeCost(hand, { filter: f });
      expectFigures(r, reference(HAND, f), `empty ${JSON.stringify(f)}`);
      expect(r.relocations.realized_savings_usd).toBe(0);
      expect(r.monthly_projection_usd).toBe(0);
      expect(r.window.minutes).toBe(0);
    }
  });

  it('trend buckets hold the realised savings, and none lies past the newest event', async () => {
    const r = await analyzeCost(hand, { filter: { until: T + 40 * 24 * H }, intervalMs: 3_600_000 });
    expect(r.trend.map((t) => t.start).at(-1)).toBe(microsToIso(T + 8 * H));
    expect(r.trend.reduce((a, t) => a + t.realized_savings_usd, 0)).toBeCloseTo(
      r.relocations.realized_savings_usd,
      9,
    );
    // 03:00-04:00: w1 1.5 + w2 4 + w3 0.5.
    expect(r.trend.find((t) => t.start === microsToIso(T + 3 * H))!.realized_savings_usd).toBeCloseTo(6, 9);
  });
});

describe('savings in effect: a random scenario', () => {
  it('equals the reference for many windows', async () => {
    const windows: { since?: number; until?: number; to?: string }[] = [
      {},
      { since: T - 24 * H, until: T + 100 * H },
      { since: T + 3.3 * H },
      { until: T + 7.1 * H },
      { since: T + 2 * H, until: T + 2.5 * H },
      { since: T + 4 * H, until: T + 9 * H, to: 'B' },
    ];
    for (const w of windows) {
      const r = await analyzeCost(rand, {
        filter: { since: w.since, until: w.until, clusters: w.to ? [w.to] : undefined },
      });
      expectFigures(r, reference(randEvents, w), JSON.stringify(w));
    }
  });
});
