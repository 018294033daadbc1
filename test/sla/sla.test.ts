/**
 * SLO compliance, error budget and burn rates against an independent
 * computation in plain JS from the generated events; the SLO file schema and
 * its error messages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyzeSla,
  loadSlos,
  parseSloSpec,
  type SloResult,
  type SloSet,
} from '../../src/lib/analyze/sla.js';
import { parseSpecText } from '../../src/lib/specfile.js';
import { UsageError } from '../../src/lib/errors.js';
import type { Store } from '../../src/lib/store/open.js';
import {
  buildDb,
  HOUR,
  MIN,
  near,
  open,
  scenario,
  T0,
  tmpDir,
  type Decision,
  type Ev,
  type Relocation,
} from '../scenario.js';

let dir: string;
let store: Store;
let events: Ev[];
let decisions: Decision[];
let relocations: Relocation[];

beforeAll(async () => {
  dir = tmpDir();
  events = scenario({ seed: 11, hours: 80, decisionGap: 90, slow: [70, 72] });
  decisions = events.filter((e): e is Decision => e.kind === 'decision');
  relocations = events.filter((e): e is Relocation => e.kind === 'relocation');
  store = await open(await buildDb(dir, 'sla', events));
}, 120_000);

afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The reference: each SLI over [start, end) from the generated values. */
function ref(kind: SloResult['sli_kind'], start: number, end: number, thr = 100) {
  const ds = decisions.filter((d) => d.us >= start && d.us < end);
  if (kind === 'decision_latency') {
    const good = ds.filter((d) => d.execMs <= thr).length;
    return { valid: ds.length, good, sli: ds.length ? good / ds.length : null };
  }
  if (kind === 'decision_success') {
    const good = ds.filter((d) => d.outcome === 'scheduled').length;
    return { valid: ds.length, good, sli: ds.length ? good / ds.length : null };
  }
  const rs = relocations.filter((x) => x.us >= start && x.us < end);
  const workloads = new Set(rs.map((x) => x.workload)).size;
  const downtime = rs.reduce((s, x) => s + x.downtime, 0);
  const ws = workloads * ((end - start) / 1e6);
  return { valid: rs.length, workloads, downtime, sli: ws ? Math.max(0, 1 - downtime / ws) : null };
}

describe('analyze sla: compliance, error budget and burn rates', () => {
  const slos: SloSet = loadSlos();
  const since = T0 + 6 * HOUR;
  const until = T0 + 72 * HOUR;

  it('uses the documented defaults', () => {
    expect(slos.source).toBe('defaults');
    expect(slos.slos.map((s) => [s.name, s.sli, s.objective, s.period, s.threshold_ms ?? null])).toEqual([
      ['decision-latency', 'decision_latency', 0.99, '30d', 100],
      ['relocation-availability', 'relocation_availability', 0.999, '30d', null],
      ['decision-success', 'decision_success', 0.99, '30d', null],
    ]);
    expect(slos.burnAlerts.map((a) => [a.name, a.long, a.short])).toEqual([
      ['page-fast', '1h', '5m'],
      ['page-slow', '6h', '30m'],
      ['ticket', '3d', '6h'],
    ]);
  });

  it('SLI, compliance and error budget equal the independent computation (--since/--until)', async () => {
    const r = await analyzeSla(store, slos, { since, until });
    expect(r.until).toBe(new Date(until / 1000).toISOString().replace('.000Z', 'Z'));
    for (const s of r.slos) {
      const x = ref(s.sli_kind, since, until);
      expect(x.sli, s.name).not.toBeNull();
      expect(near(s.sli, x.sli), `${s.name} sli ${s.sli} vs ${x.sli}`).toBe(true);
      expect(s.window.seconds).toBe((until - since) / 1e6);
      expect(s.status).toBe(x.sli! >= s.objective ? 'met' : 'breached');
      expect(s.compliant).toBe(x.sli! >= s.objective);
      const consumed = (1 - x.sli!) / (1 - s.objective);
      expect(near(s.error_budget.consumed, consumed)).toBe(true);
      expect(near(s.error_budget.remaining, 1 - consumed)).toBe(true);
      expect(near(s.error_budget.allowed, 1 - s.objective)).toBe(true);
      if (s.sli_kind === 'relocation_availability') {
        expect(s.workloads).toBe(x.workloads);
        expect(s.downtime_seconds).toBe(x.downtime);
        expect(
          near(
            s.error_budget.remaining_downtime_seconds,
            (1 - s.objective) * x.workloads! * ((until - since) / 1e6) - x.downtime!,
          ),
        ).toBe(true);
      } else {
        expect(s.valid).toBe(x.valid);
        expect(s.good).toBe(x.good);
        expect(
          near(s.error_budget.remaining_bad_events, (1 - s.objective) * x.valid - (x.valid - x.good!)),
        ).toBe(true);
      }
    }
    // The slow hours (70..72) breach the latency SLO.
    expect(r.breached).toContain('decision-latency');
  });

  it('burn rates over 5m, 30m, 1h, 6h and 3d end at --until, clipped to --since', async () => {
    const r = await analyzeSla(store, slos, { since, until });
    for (const s of r.slos) {
      expect(s.burn_rates.map((b) => b.window)).toEqual(['5m', '30m', '1h', '6h', '3d']);
      for (const b of s.burn_rates) {
        const len = { '5m': 5 * MIN, '30m': 30 * MIN, '1h': HOUR, '6h': 6 * HOUR, '3d': 72 * HOUR }[
          b.window
        ]!;
        const start = Math.max(until - len, since);
        const x = ref(s.sli_kind, start, until);
        expect(b.seconds).toBe((until - start) / 1e6);
        const burn = x.sli === null ? null : (1 - x.sli) / (1 - s.objective);
        expect(near(b.burn_rate, burn), `${s.name} ${b.window}: ${b.burn_rate} vs ${burn}`).toBe(true);
      }
      // workbook thresholds for a 30-day period: 14.4, 6, 1
      expect(s.burn_alerts.map((a) => Number(a.threshold.toFixed(6)))).toEqual([14.4, 6, 1]);
      for (const a of s.burn_alerts) {
        const lb = s.burn_rates.find((b) => b.window === a.long)!.burn_rate;
        const sb = s.burn_rates.find((b) => b.window === a.short)!.burn_rate;
        expect(a.firing).toBe(lb !== null && sb !== null && lb >= a.threshold && sb >= a.threshold);
      }
    }
    // The last two hours are slow: the latency SLO pages.
    const lat = r.slos.find((s) => s.name === 'decision-latency')!;
    expect(lat.burn_alerts.find((a) => a.name === 'page-fast')!.firing).toBe(true);
    expect(r.burning).toContain('decision-latency');
  });

  it('defaults: the window ends just after the newest event and starts one period earlier, not before the first event', async () => {
    const r = await analyzeSla(store, slos);
    const first = Math.min(...events.map((e) => e.us));
    const last = Math.max(...events.map((e) => e.us));
    for (const s of r.slos) {
      const x = ref(s.sli_kind, first, last + 1);
      expect(near(s.sli, x.sli)).toBe(true);
      expect(s.window.seconds).toBe((last + 1 - first) / 1e6);
    }
  });

  it('a window wider than the data gives the figures of the data: it ends just after the newest event', async () => {
    const first = Math.min(...events.map((e) => e.us));
    const last = Math.max(...events.map((e) => e.us));
    const base = await analyzeSla(store, slos);
    const wide = await analyzeSla(store, slos, {
      since: first - 10 * 24 * HOUR,
      until: last + 20 * 24 * HOUR,
    });
    expect(wide.until).toBe(base.until);
    expect(wide.slos.map((s) => [s.name, s.sli, s.window.seconds, s.workloads, s.burn_rates])).toEqual(
      base.slos.map((s) => [s.name, s.sli, s.window.seconds, s.workloads, s.burn_rates]),
    );
    const avail = wide.slos.find((s) => s.sli_kind === 'relocation_availability')!;
    const x = ref('relocation_availability', first, last + 1);
    expect(near(avail.sli, x.sli)).toBe(true);
    expect(avail.window.basis).toMatch(/--until is later; nothing is stored after it/);
  });

  it('an SLO file: custom threshold, objective forms, period and burn pairs', async () => {
    const set = parseSloSpec(
      parseSpecText(
        `period: 7d
slos:
  - name: lat
    sli: decision_latency
    threshold_ms: 150
    objective: 0.95
  - name: ok
    sli: decision_success
    objective: 90
    period: 1d
burn_rate_alerts:
  - { name: fast, long: 1h, short: 5m, budget: 2% }
`,
        'slo.yaml',
      ),
      'slo.yaml',
    );
    expect(set.slos.map((s) => [s.objective, s.periodMs])).toEqual([
      [0.95, 7 * 86_400_000],
      [0.9, 86_400_000],
    ]);
    const r = await analyzeSla(store, set, { until });
    const lat = r.slos[0]!;
    const x = ref('decision_latency', until - 7 * 24 * HOUR, until, 150);
    expect(near(lat.sli, x.sli)).toBe(true);
    expect(lat.burn_alerts).toHaveLength(1);
    expect(near(lat.burn_alerts[0]!.threshold, (0.02 * 7 * 24) / 1)).toBe(true);
    const ok = r.slos[1]!;
    expect(near(ok.sli, ref('decision_success', until - 24 * HOUR, until).sli)).toBe(true);
    expect(ok.window.seconds).toBe(86_400);
  });

  it('a window without events is no-data, not a breach', async () => {
    const r = await analyzeSla(store, slos, { since: T0 - 10 * HOUR, until: T0 - 9 * HOUR });
    for (const s of r.slos) {
      expect(s.status).toBe('no-data');
      expect(s.sli).toBeNull();
      expect(s.compliant).toBeNull();
    }
    expect(r.breached).toEqual([]);
  });
});

describe('SLO file validation names the bad key', () => {
  const bad = (text: string, name = 'slo.yaml') => {
    try {
      parseSloSpec(parseSpecText(text, name), name);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('unknown keys', () => {
    expect(
      bad('slos:\n  - name: a\n    sli: decision_latency\n    treshold_ms: 100\n    objective: 99%\n'),
    ).toMatch(/slos\[0\]\.treshold_ms: unknown key/);
    expect(bad('slo:\n  - name: a\n')).toMatch(/slo: unknown key/);
  });

  it('missing and mistyped values', () => {
    expect(bad('slos:\n  - name: a\n    sli: decision_latency\n    objective: 99%\n')).toMatch(
      /slos\[0\]\.threshold_ms: is required/,
    );
    expect(bad('slos:\n  - name: a\n    sli: decision_success\n    objective: 100%\n')).toMatch(
      /slos\[0\]\.objective: expected a target/,
    );
    expect(
      bad('slos:\n  - name: a\n    sli: decision_success\n    objective: 99\n    period: soon\n'),
    ).toMatch(/slos\[0\]\.period: expected a duration/);
    expect(bad('slos:\n  - name: a\n    sli: uptime\n    objective: 99\n')).toMatch(
      /slos\[0\]\.sli: .*decision_latency/,
    );
    expect(bad('slos: []\n')).toMatch(/slos: expected at least one SLO/);
  });

  it('duplicate names, broken YAML and JSON', () => {
    expect(
      bad(
        'slos:\n  - {name: a, sli: decision_success, objective: 99}\n  - {name: a, sli: decision_success, objective: 98}\n',
      ),
    ).toMatch(/slos\[1\]\.name: duplicate SLO name "a"/);
    expect(bad('slos: [\n')).toMatch(/slo\.yaml: not valid YAML/);
    expect(
      bad('{"slos": [{"name": "a", "sli": "decision_success", "objective": "99%", "x": 1}]}', 'slo.json'),
    ).toMatch(/slos\[0\]\.x: unknown key/);
  });

  it('examples/slo.yaml is valid and equals the defaults', () => {
    const file = path.resolve(__dirname, '../../examples/slo.yaml');
    const set = loadSlos(file);
    const def = loadSlos();
    expect(set.slos.map(({ description: _d, ...s }) => s)).toEqual(
      def.slos.map(({ description: _d, ...s }) => s),
    );
    expect(set.burnAlerts).toEqual(def.burnAlerts);
  });
});
