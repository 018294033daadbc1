import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { traceWorkload } from '../../src/lib/query/trace.js';
import { NotFoundError } from '../../src/lib/errors.js';
import { microsToIso } from '../../src/lib/time.js';
import Trace from '../../src/commands/trace.js';
import { runCmd } from '../run-command.js';
import { ingestLines } from '../helpers.js';
import { line, mv, pl, T, type Ev } from './handmade.js';
import {
  buildStore,
  close,
  generate,
  tmpDir,
  type GenDecision,
  type GenEvent,
  type GenInefficiency,
  type GenRelocation,
} from '../scenario.js';

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

  it('the human output draws the latest --timeline entries (200 by default) and says how many it left out', async () => {
    const r = await traceWorkload(store, 'wl-7');
    const entries = (out: string) => out.match(/^\d{4}-\d\d-\d\dT\S+ {2}.*$/gm) ?? []; // one line per entry starts with its time
    const all = await runCmd(Trace, ['wl-7', '--db', store.path, '--timeline', 'all', '--limit', 'all'], {
      json: false,
    });
    expect(all.code, all.stderr).toBe(0);
    const n = entries(all.stdout).length;
    expect(n).toBeGreaterThanOrEqual(r.events.length);
    expect(all.stdout).not.toContain('earlier timeline entries');
    const byDefault = await runCmd(Trace, ['wl-7', '--db', store.path, '--limit', 'all'], { json: false });
    expect(entries(byDefault.stdout)).toHaveLength(Math.min(n, 200));
    const five = await runCmd(Trace, ['wl-7', '--db', store.path, '--timeline', '5', '--limit', 'all'], {
      json: false,
    });
    expect(five.code, five.stderr).toBe(0);
    expect(entries(five.stdout)).toEqual(entries(all.stdout).slice(-5));
    expect(five.stdout).toContain(
      `… ${n - 5} earlier timeline entries not drawn: the latest 5 of ${n} follow (--timeline N|all; --json holds every event)`,
    );
    const json = await runCmd(Trace, ['wl-7', '--db', store.path, '--timeline', '5', '--json']);
    expect((JSON.parse(json.stdout) as { events: unknown[] }).events).toHaveLength(r.events.length);
    const bad = await runCmd(Trace, ['wl-7', '--db', store.path, '--timeline', 'x'], { json: false });
    expect(bad.code).toBe(2);
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
    expect((err as NotFoundError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/did you mean: .*wl-17/);
    const none = await traceWorkload(store, 'zzzzzzzzzzzzzzzzzz').catch((e: unknown) => e);
    expect(none).toBeInstanceOf(NotFoundError);
    expect((none as Error).message).not.toContain('did you mean');
  });
});

describe('traceWorkload: relocations inconsistent with where the workload was', () => {
  // wx: placed on gpu-1; moved "from gpu-2" (inconsistent); gpu-3 -> gpu-1 (consistent); a failed
  // placement on gpu-4 moves nothing, so gpu-1 -> gpu-2 is consistent; placed on gpu-5, then moved
  // "from gpu-2" (inconsistent). wy: its first event is a relocation (nothing to check it against).
  const evs: Ev[] = [
    pl(0, 'wx', 'gpu-1'),
    mv(1, 'wx', 'gpu-2', 'gpu-3', 1, 10),
    mv(2, 'wx', 'gpu-3', 'gpu-1', 1, 10),
    pl(3, 'wx', 'gpu-4', 'failed'),
    mv(4, 'wx', 'gpu-1', 'gpu-2', 1, 10),
    pl(5, 'wx', 'gpu-5'),
    mv(6, 'wx', 'gpu-2', 'gpu-1', 1, 10),
    mv(1, 'wy', 'a', 'b', 1, 10),
  ];
  let hd: string;
  let s: Store;
  beforeAll(async () => {
    hd = tmpDir();
    await ingestLines(`${hd}/h.duckdb`, evs.map(line));
    s = await openStore(`${hd}/h.duckdb`, { readOnly: true });
  });
  afterAll(() => {
    s?.close();
    fs.rmSync(hd, { recursive: true, force: true });
  });

  it('flags each relocation whose from_cluster is not the cluster of the previous placement or relocation', async () => {
    const r = await traceWorkload(s, 'wx');
    expect(r.relocations.map((x) => [x.was_on, x.inconsistent])).toEqual([
      ['gpu-1', 'from_cluster gpu-2 but the workload was on gpu-1'],
      ['gpu-3', null],
      ['gpu-1', null],
      ['gpu-5', 'from_cluster gpu-2 but the workload was on gpu-5'],
    ]);
    expect(r.summary.inconsistent_relocations).toBe(2);
    const y = await traceWorkload(s, 'wy');
    expect(y.relocations.map((x) => [x.was_on, x.inconsistent])).toEqual([[null, null]]);
    expect(y.summary.inconsistent_relocations).toBe(0);
  });

  it('with --since, where the workload was comes from its events before the window', async () => {
    expect((await traceWorkload(s, 'wx', { since: T + 2 * HOUR })).relocations[0]).toMatchObject({
      was_on: 'gpu-3',
      inconsistent: null,
    });
    expect((await traceWorkload(s, 'wx', { since: T + 5.5 * HOUR })).relocations[0]).toMatchObject({
      was_on: 'gpu-5',
      inconsistent: 'from_cluster gpu-2 but the workload was on gpu-5',
    });
  });

  it('stays end at the newest stored event, also when --until is later', async () => {
    const wide = await traceWorkload(s, 'wx', { until: T + 90 * 24 * HOUR });
    expect(wide.summary.end).toBe(microsToIso(T + 6 * HOUR));
    expect(wide.summary.end_basis).toMatch(/--until is later/);
    expect(wide.summary.total_hours).toBeCloseTo(6, 9);
    expect(wide.stays).toEqual((await traceWorkload(s, 'wx')).stays);
    const cut = await traceWorkload(s, 'wx', { until: T + 5.5 * HOUR });
    expect([cut.summary.end, cut.summary.end_basis]).toEqual([microsToIso(T + 5.5 * HOUR), '--until']);
  });

  it('the human output says so under the relocation', async () => {
    const r = await runCmd(Trace, ['wx', '--db', `${hd}/h.duckdb`], { json: false });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /RELOCATED gpu-2 → gpu-3.*\n(?:.*\n)*?\s+! inconsistent: from_cluster gpu-2 but the workload was on gpu-1/,
    );
    expect(r.stdout.match(/! inconsistent:/g)).toHaveLength(2);
    expect(r.stdout).toContain('2 inconsistent relocations');
  });
});
