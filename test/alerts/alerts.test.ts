/**
 * Alert rules: an event rule fires exactly on the matching events; threshold
 * rules follow pending / firing / resolved as an independent plain-JS
 * evaluation says; bad rules are refused with a reason; rules in the DB.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule, loadRulesFile, type ThresholdRule } from '../../src/lib/alerts/rules.js';
import { backtestAlerts, evaluateAlerts } from '../../src/lib/alerts/evaluate.js';
import { addRules, listStoredRules, loadStoredRules, removeRules } from '../../src/lib/alerts/store.js';
import { analyzeSla, loadSlos, parseSloSpec } from '../../src/lib/analyze/sla.js';
import { NotFoundError, UsageError } from '../../src/lib/errors.js';
import { microsToIso } from '../../src/lib/time.js';
import type { Store } from '../../src/lib/store/open.js';
import {
  buildDb,
  HOUR,
  MIN,
  near,
  open,
  quantile,
  scenario,
  T0,
  tmpDir,
  type Decision,
  type Ev,
  type Inefficiency,
} from '../scenario.js';

let dir: string;
let db: string;
let store: Store;
let events: Ev[];
let decisions: Decision[];
let ineff: Inefficiency[];
const slos = loadSlos();
const FROM = T0 + 18 * HOUR;
const AT = T0 + 23 * HOUR + 17 * MIN + 5_000_000;

beforeAll(async () => {
  dir = tmpDir();
  events = scenario({ seed: 7, hours: 26, decisionGap: 40, slow: [20, 21.5] });
  decisions = events.filter((e): e is Decision => e.kind === 'decision');
  ineff = events.filter((e): e is Inefficiency => e.kind === 'inefficiency');
  db = await buildDb(dir, 'alerts', events);
  store = await open(db, false);
}, 120_000);

afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const RANK = { low: 1, medium: 2, high: 3, critical: 4 };

describe('event rules fire exactly on the matching events', () => {
  const rule = compileRule({
    name: 'severe-waste',
    match: { type: 'inefficiency_detected', where: ['severity >= high', 'wasted_cost_estimate > 100'] },
    labels: { team: 'finops' },
    message: '{{severity}} on {{cluster}}: {{wasted_cost_estimate}} USD (seq {{seq}})',
  });
  const matches = (from: number, at: number) =>
    ineff.filter((e) => e.us >= from && e.us <= at && RANK[e.severity] >= 3 && e.waste > 100);

  it('alerts: one per matching event, firing for keep_firing_for (1h) then resolved', async () => {
    const r = await evaluateAlerts(store, [rule], slos, { at: AT, from: FROM });
    const want = matches(FROM, AT);
    expect(want.length).toBeGreaterThan(3);
    expect(r.alerts.map((a) => a.event!.event_id).sort()).toEqual(want.map((e) => e.id).sort());
    for (const a of r.alerts) {
      const e = want.find((x) => x.id === a.event!.event_id)!;
      expect(a.state).toBe(e.us + HOUR > AT ? 'firing' : 'resolved');
      expect(a.labels).toEqual({ team: 'finops' });
      expect(a.message).toBe(`${e.severity} on ${e.cluster}: ${e.waste} USD (seq ${a.event!.seq})`);
    }
    expect(r.counts.firing).toBe(want.filter((e) => e.us + HOUR > AT).length);
    expect(r.counts.resolved).toBe(want.filter((e) => e.us + HOUR <= AT).length);
    expect(r.rules[0]!.matched_events).toBe(want.length);
    // firing first, newest first
    expect(r.alerts[0]!.state).toBe(r.counts.firing ? 'firing' : 'resolved');
  });

  it('the whole store by default; backtest lists the same events in time order', async () => {
    const all = await evaluateAlerts(store, [rule], slos);
    expect(all.alerts.map((a) => a.event!.event_id).sort()).toEqual(
      matches(-Infinity, Infinity)
        .map((e) => e.id)
        .sort(),
    );
    const bt = await backtestAlerts(store, [rule], slos, { from: FROM, until: AT });
    expect(bt.rules[0]!.fired).toBe(matches(FROM, AT).length);
    expect(bt.rules[0]!.firings.map((f) => f.event!.event_id)).toEqual(matches(FROM, AT).map((e) => e.id));
  });

  it('counts stay exact past --limit', async () => {
    const r = await evaluateAlerts(store, [rule], slos, { limit: 2 });
    const want = matches(-Infinity, Infinity);
    const last = Math.max(...events.map((e) => e.us));
    expect(r.alerts).toHaveLength(2);
    expect(r.rules[0]!.truncated).toBe(want.length - 2);
    expect(r.counts.firing + r.counts.resolved).toBe(want.length);
    expect(r.counts.firing).toBe(want.filter((e) => e.us + HOUR > last).length);
  });

  it('text, boolean and object-form conditions', async () => {
    const r2 = compileRule({
      name: 'manual-gpu',
      match: {
        type: 'inefficiency_detected',
        where: ['auto_action_taken = false', 'cluster ~ GPU', { field: 'severity', op: '!=', value: 'low' }],
      },
    });
    const r = await evaluateAlerts(store, [r2], slos, { limit: 100000 });
    const want = ineff.filter((e) => !e.auto && e.cluster.includes('gpu') && e.severity !== 'low');
    expect(r.alerts.map((a) => a.event!.event_id).sort()).toEqual(want.map((e) => e.id).sort());
  });

  it('keep_firing_for 0: every match is resolved at once', async () => {
    const r0 = compileRule({ ...rule.spec, name: 'instant', keep_firing_for: '0' });
    const r = await evaluateAlerts(store, [r0], slos, { at: AT, from: FROM });
    expect(r.counts.firing).toBe(0);
    expect(r.alerts.every((a) => a.resolved_at === a.since)).toBe(true);
  });
});

/** Independent reference for threshold rules: value at each step, then the state machine. */
function reference(value: (t: number) => number | null, rule: ThresholdRule, from: number, at: number) {
  const every = rule.everyMs * 1000;
  const steps: number[] = [];
  for (let t = at; t >= from; t -= every) steps.unshift(t);
  const holds = (v: number | null) =>
    v !== null &&
    (rule.op === '>'
      ? v > rule.threshold
      : rule.op === '>='
        ? v >= rule.threshold
        : rule.op === '<'
          ? v < rule.threshold
          : v <= rule.threshold);
  const episodes: { active: number; firing: number; resolved: number | null }[] = [];
  let active: number | null = null;
  let firing: number | null = null;
  for (const t of steps) {
    if (holds(value(t))) {
      active ??= t;
      if (firing === null && t - active >= rule.forMs * 1000) firing = t;
    } else {
      if (firing !== null) episodes.push({ active: active!, firing, resolved: t });
      active = null;
      firing = null;
    }
  }
  const state = firing !== null ? 'firing' : active !== null ? 'pending' : null;
  if (firing !== null) episodes.push({ active: active!, firing, resolved: null });
  return { episodes, state, active, last: value(at) };
}

const inWindow = <T extends { us: number }>(xs: T[], t: number, w: number) =>
  xs.filter((x) => x.us > t - w && x.us <= t);
const isoOf = microsToIso;

describe('threshold rules: pending, firing, resolved', () => {
  const p95 = compileRule({
    name: 'slow',
    metric: 'latency_p95_ms',
    window: '10m',
    threshold: 250,
    for: '5m',
  }) as ThresholdRule;
  const p95At = (t: number) =>
    quantile(
      inWindow(decisions, t, 10 * MIN).map((d) => d.execMs),
      0.95,
    );

  it('episodes of a p95 latency rule equal the reference', async () => {
    const ref = reference(p95At, p95, FROM, AT);
    expect(ref.episodes.length).toBeGreaterThanOrEqual(1);
    const bt = await backtestAlerts(store, [p95], slos, { from: FROM, until: AT });
    expect(bt.rules[0]!.firings.map((f) => [f.pending_since, f.firing_since, f.resolved_at])).toEqual(
      ref.episodes.map((e) => [
        isoOf(e.active),
        isoOf(e.firing),
        e.resolved === null ? null : isoOf(e.resolved),
      ]),
    );
    const ev = await evaluateAlerts(store, [p95], slos, { at: AT, from: FROM });
    expect(
      ev.alerts.filter((a) => a.state === 'resolved').map((a) => [a.active_since, a.since, a.resolved_at]),
    ).toEqual(
      ref.episodes
        .filter((e) => e.resolved !== null)
        .reverse()
        .map((e) => [isoOf(e.active), isoOf(e.firing), isoOf(e.resolved!)]),
    );
    expect(near(ev.rules[0]!.value, ref.last)).toBe(true);
  });

  it('inside the slow period the rule is pending, then firing after `for`', async () => {
    for (const at of [T0 + 20 * HOUR + 4 * MIN + 1, T0 + 20 * HOUR + 9 * MIN, T0 + 20 * HOUR + 40 * MIN]) {
      const ref = reference(p95At, p95, FROM, at);
      const ev = await evaluateAlerts(store, [p95], slos, { at, from: FROM });
      const active = ev.alerts.find((a) => a.state !== 'resolved');
      expect(active?.state ?? null, isoOf(at)).toBe(ref.state);
      if (active) {
        expect(active.active_since).toBe(isoOf(ref.active!));
        expect(near(active.value, ref.last)).toBe(true);
      }
    }
    const mid = await evaluateAlerts(store, [p95], slos, { at: T0 + 20 * HOUR + 40 * MIN, from: FROM });
    expect(mid.counts.firing).toBe(1);
  });

  it('without a start, threshold rules look back 7 days and event rules cover the store', async () => {
    const late = AT + 10 * 86_400e6;
    const r = await evaluateAlerts(
      store,
      [p95, compileRule({ name: 'e', match: { type: 'policy_change' } })],
      slos,
      { at: late },
    );
    expect(r.rules[0]!.evaluated_from).toBe(isoOf(late - 7 * 86_400e6));
    expect(r.rules[1]!.evaluated_from).toBe(isoOf(Math.min(...events.map((e) => e.us))));
    expect(r.rules[1]!.matched_events).toBe(3);
  });

  it('failure rate, waste per day and event count at the evaluation instant', async () => {
    const rules = [
      compileRule({ name: 'fail', metric: 'failure_rate', window: '2h', threshold: '1%' }),
      compileRule({ name: 'waste', metric: 'waste_usd_per_day', window: '6h', threshold: 10, every: '5m' }),
      compileRule({
        name: 'count',
        metric: 'event_count',
        window: '3h',
        threshold: 0,
        match: { type: 'workload_relocation', where: ['downtime_seconds >= 20'] },
      }),
    ];
    const r = await evaluateAlerts(store, rules, slos, { at: AT, from: AT - 2 * HOUR });
    const ds = inWindow(decisions, AT, 2 * HOUR);
    expect(near(r.rules[0]!.value, ds.filter((d) => d.outcome === 'failed').length / ds.length)).toBe(true);
    const waste = inWindow(ineff, AT, 6 * HOUR).reduce((s, e) => s + e.waste, 0) * 4;
    expect(near(r.rules[1]!.value, waste, 1e-9)).toBe(true);
    const rel = events.filter((e) => e.kind === 'relocation' && e.downtime >= 20);
    expect(r.rules[2]!.value).toBe(inWindow(rel, AT, 3 * HOUR).length);
    expect(r.counts.firing).toBe(3);
    expect(r.alerts.find((a) => a.rule === 'fail')!.threshold).toBe(0.01);
  });

  it('slo_burn_rate equals analyze sla over the same window', async () => {
    const set = parseSloSpec(
      {
        slos: [
          { name: 'lat', sli: 'decision_latency', threshold_ms: 100, objective: '99%' },
          { name: 'avail', sli: 'relocation_availability', objective: 99.9 },
          { name: 'ok', sli: 'decision_success', objective: 95 },
        ],
      },
      'inline',
    );
    const at = T0 + 21 * HOUR;
    const rules = ['lat', 'avail', 'ok'].map((s) =>
      compileRule({ name: `burn-${s}`, metric: 'slo_burn_rate', slo: s, window: '1h', threshold: 1 }, set),
    );
    const r = await evaluateAlerts(store, rules, set, { at, from: at - HOUR });
    const sla = await analyzeSla(store, set, { since: T0, until: at + 1 });
    for (const [i, s] of ['lat', 'avail', 'ok'].entries()) {
      const b = sla.slos.find((x) => x.name === s)!.burn_rates.find((x) => x.window === '1h')!.burn_rate;
      expect(near(r.rules[i]!.value, b, 1e-9), `${s}: ${r.rules[i]!.value} vs ${b}`).toBe(true);
    }
    const ds = inWindow(decisions, at, HOUR);
    expect(near(r.rules[0]!.value, ds.filter((d) => d.execMs > 100).length / ds.length / 0.01, 1e-9)).toBe(
      true,
    );
  });
});

describe('bad rules are refused with a reason', () => {
  const cases: [unknown, RegExp][] = [
    [
      { name: 'a', match: { type: 'inefficiency_detected', where: ['wasted_cost_estimat > 100'] } },
      /match\.where\[0\]: unknown field "wasted_cost_estimat"/,
    ],
    [
      { name: 'a', match: { type: 'inefficiency_detected', where: ['severity >= urgent'] } },
      /severity is one of low, medium, high, critical/,
    ],
    [
      { name: 'a', match: { type: 'inefficiency_detected', where: ['recommended_action > 3'] } },
      /is text \(use =, != or ~\)/,
    ],
    [
      { name: 'a', match: { type: 'inefficiency_detected', where: ['wasted_cost_estimate > lots'] } },
      /wasted_cost is a number; "lots" is not/,
    ],
    [
      { name: 'a', match: { type: 'inefficiency_detected', where: ['execution_time_ms > 3'] } },
      /belongs to scheduling_decision/,
    ],
    [
      { name: 'a', match: { type: 'inefficency_detected' } },
      /match\.type: "inefficency_detected" is not an event type/,
    ],
    [{ name: 'a', match: {} }, /needs match\.type and\/or match\.where/],
    [{ name: 'a', match: { type: 'policy_change' }, for: '5m' }, /for: unknown key/],
    [{ name: 'a', metric: 'p95', window: '1h', threshold: 1 }, /metric: .*latency_p95_ms/],
    [{ name: 'a', metric: 'latency_p95_ms', threshold: 1 }, /window: is required/],
    [{ name: 'a', metric: 'latency_p95_ms', window: 'an hour', threshold: 1 }, /window: expected a duration/],
    [
      { name: 'a', metric: 'latency_p95_ms', window: '1h', threshold: 'high' },
      /threshold: expected a number/,
    ],
    [
      { name: 'a', metric: 'slo_burn_rate', window: '1h', threshold: 1 },
      /slo: slo_burn_rate needs the name of an SLO/,
    ],
    [
      { name: 'a', metric: 'slo_burn_rate', slo: 'nope', window: '1h', threshold: 1 },
      /no SLO named "nope" in the default SLOs/,
    ],
    [
      {
        name: 'a',
        metric: 'latency_p95_ms',
        window: '1h',
        threshold: 1,
        match: { type: 'workload_relocation' },
      },
      /reads scheduling_decision events/,
    ],
    [{ name: 'a', metric: 'event_count', window: '1h', threshold: 1 }, /event_count needs match/],
    [
      { name: 'a', metric: 'latency_p95_ms', window: '1m', every: '5m', threshold: 1 },
      /every: must not be longer than window/,
    ],
    [
      { name: 'a', metric: 'latency_p95_ms', window: '90s', every: '1m', threshold: 1 },
      /every: window \(90s\) must be a whole number of steps/,
    ],
    [
      { name: 'a', match: { type: 'policy_change' }, message: '{{nonsense}}' },
      /placeholder \{\{nonsense\}\}: unknown field/,
    ],
    [
      { name: 'a', metric: 'failure_rate', window: '1h', threshold: 1, message: '{{cluster}}' },
      /unknown placeholder \{\{cluster\}\}/,
    ],
    [{ name: 'bad name!', match: { type: 'policy_change' } }, /name: expected letters/],
    [
      { name: 'a', match: { type: 'workload_relocation', where: ['downtime_seconds >'] } },
      /expected FIELD OP VALUE|is a number/,
    ],
  ];
  for (const [raw, re] of cases) {
    it(JSON.stringify(raw), () => {
      let msg = '';
      try {
        compileRule(raw, slos);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        msg = (e as Error).message;
      }
      expect(msg).toMatch(re);
    });
  }

  it('every defaults to 1m, or the largest divisor of the window below it', () => {
    const r = (w: string) =>
      (compileRule({ name: 'a', metric: 'failure_rate', window: w, threshold: 1 }) as ThresholdRule).everyMs;
    expect([r('1h'), r('90s'), r('45s'), r('7m')]).toEqual([60_000, 30_000, 15_000, 60_000]);
  });

  it('a rules file is refused whole, listing every bad rule', () => {
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      f,
      'rules:\n  - name: ok\n    match: {type: policy_change}\n  - name: x\n    match: {where: ["nope = 1"]}\n  - name: ok\n    match: {type: policy_change}\n',
    );
    let msg = '';
    try {
      loadRulesFile(f, slos);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/2 rules refused/);
    expect(msg).toMatch(/rules\[1\] "x": match\.where\[0\]: unknown field "nope"/);
    expect(msg).toMatch(/rules\[2\] "ok": name: duplicate rule name/);
  });

  it('examples/alert-rules.yaml is valid', () => {
    const rules = loadRulesFile(path.resolve(__dirname, '../../examples/alert-rules.yaml'), slos);
    expect(rules.map((r) => r.kind)).toContain('event');
    expect(rules.map((r) => r.kind)).toContain('threshold');
  });
});

describe('rules in the database', () => {
  it('add, refuse a clash, replace, list, remove', async () => {
    const a = compileRule({ name: 'a', match: { type: 'policy_change' } });
    const b = compileRule({ name: 'b', metric: 'latency_p95_ms', window: '1h', threshold: 100 });
    expect(await addRules(store, [a, b], 'test')).toEqual({ added: ['a', 'b'], replaced: [] });
    await expect(addRules(store, [a], 'test')).rejects.toThrow(/"a" already exists; use --replace/);
    const a2 = compileRule({ name: 'a', match: { type: 'policy_change', where: ['actor = ops-team'] } });
    expect(await addRules(store, [a2], 'again', true)).toEqual({ added: [], replaced: ['a'] });
    const listed = await listStoredRules(store);
    expect(listed.map((r) => [r.name, r.kind, r.origin])).toEqual([
      ['a', 'event', 'again'],
      ['b', 'threshold', 'test'],
    ]);
    const { rules, errors } = await loadStoredRules(store, slos);
    expect(errors).toEqual([]);
    const r = await evaluateAlerts(
      store,
      rules.filter((x) => x.name === 'a'),
      slos,
    );
    const want = events.filter((e) => e.kind === 'policy' && e.actor === 'ops-team');
    expect(r.alerts.map((x) => x.event!.event_id)).toEqual(want.map((e) => e.id));
    await expect(removeRules(store, ['a', 'zz'])).rejects.toBeInstanceOf(NotFoundError);
    expect(await removeRules(store, ['a', 'b'])).toEqual(['a', 'b']);
    expect(await listStoredRules(store)).toEqual([]);
  });

  it('a stored rule whose SLO is gone is reported, not fatal', async () => {
    const set = parseSloSpec(
      { slos: [{ name: 'custom', sli: 'decision_success', objective: 99 }] },
      'custom.yaml',
    );
    await addRules(
      store,
      [
        compileRule(
          { name: 'burn', metric: 'slo_burn_rate', slo: 'custom', window: '1h', threshold: 2 },
          set,
        ),
      ],
      'test',
    );
    const { rules, errors } = await loadStoredRules(store, slos);
    expect(rules).toEqual([]);
    expect(errors[0]!.rule).toBe('burn');
    expect(errors[0]!.reason).toMatch(/no SLO named "custom"/);
    await removeRules(store, ['burn']);
  });
});
