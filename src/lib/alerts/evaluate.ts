/**
 * Evaluating alert rules over the stored events. Nothing is kept between
 * runs: states are recomputed from the events, so the same store and the same
 * instant always give the same alerts (and a backtest is the same evaluation
 * over a longer span).
 *
 * - Event rules: one alert per matching event, firing from the event's time
 *   for `keep_firing_for`, then resolved.
 * - Threshold rules: the metric is computed at every step (`every`, aligned
 *   so the last step is the evaluation instant) over the window
 *   (t - window, t], in one SQL query per rule (the steps are rows in the
 *   same ordered stream as the events, aggregated with a RANGE window
 *   frame). Condition true: pending from that step; true for at least `for`:
 *   firing; false again: resolved. No data in the window (no decisions for a
 *   latency) is "condition false".
 */
import type { Store } from '../store/open.js';
import type { EventRow } from '../query/events.js';
import { exactSum, num, numOrZero, Params, queryRows, queryValue } from '../store/sql.js';
import { dataExtent } from '../analyze/window.js';
import { isStoreFailure } from '../store/failure.js';
import { formatDuration, microsToIso } from '../time.js';
import type { Slo, SloSet } from '../analyze/sla.js';
import { sliSql } from '../analyze/sla.js';
import { SEVERITIES, SEVERITY_RANK_SQL } from './fields.js';
import { UsageError } from '../errors.js';
import type { StoredRule } from './store.js';
import {
  compileRule,
  METRIC_METHOD,
  renderTemplate,
  templateField,
  templateColumns,
  type Condition,
  type EventRule,
  type Rule,
  type RuleError,
  type ThresholdRule,
} from './rules.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

export const DEFAULT_EVENT_LIMIT = 10_000;
/** How far back threshold rules are evaluated without an explicit start (7 days). */
export const THRESHOLD_LOOKBACK_MS = 7 * 86_400_000;
const MAX_STEPS = 1_000_000;

/** The event that fired an event rule: the identifying columns of an event search row. */
export type MatchedEvent = Pick<
  EventRow,
  'seq' | 'event_id' | 'ts' | 'event_type' | 'workload_id' | 'cluster_id' | 'severity'
>;

export interface AlertInstance {
  rule: string;
  kind: Rule['kind'];
  state: AlertState;
  /** pending: when the condition became true; firing/resolved: when it started firing. */
  since: string;
  /** When the condition first held (threshold rules; equals `since` for event rules). */
  active_since: string;
  resolved_at: string | null;
  /** Threshold rules: the metric at the evaluation instant (active) or its peak while firing (resolved). */
  value: number | null;
  threshold: number | null;
  labels: Record<string, string>;
  message: string;
  /** Event rules: the event that fired. */
  event: MatchedEvent | null;
}

export interface RuleSummary {
  rule: string;
  kind: Rule['kind'];
  /** The condition in words. */
  condition: string;
  method: string;
  firing: number;
  pending: number;
  resolved: number;
  /** Event rules: events that matched in the evaluated span. */
  matched_events: number | null;
  /** Threshold rules: the metric at the evaluation instant. */
  value: number | null;
  /** Instances left out of `alerts` past --limit. */
  truncated: number;
  /** Start of the span evaluated for this rule. */
  evaluated_from: string | null;
}

export interface AlertsResult {
  /** Evaluation instant (inclusive), ISO UTC. */
  at: string | null;
  at_basis: string;
  /** Start of the evaluated span (inclusive). */
  from: string | null;
  from_basis: string;
  rules: RuleSummary[];
  /** Firing first, then pending, then resolved; newest first within each. */
  alerts: AlertInstance[];
  counts: { firing: number; pending: number; resolved: number };
  errors: RuleError[];
  basis: Record<string, string>;
}

export interface Firing {
  /** Threshold rules: when the condition became true. */
  pending_since: string;
  firing_since: string;
  resolved_at: string | null;
  /** Threshold rules: the extreme value while firing (max for > and >=, min for < and <=). */
  peak_value: number | null;
  event: MatchedEvent | null;
  message: string;
}

export interface BacktestRule {
  rule: string;
  kind: Rule['kind'];
  condition: string;
  method: string;
  /** Number of firings (event rules: matching events). */
  fired: number;
  /** Total time firing within the span, seconds. */
  firing_seconds: number;
  firings: Firing[];
  /** Firings left out past --limit. */
  truncated: number;
}

export interface BacktestResult {
  from: string | null;
  until: string | null;
  basis: string;
  rules: BacktestRule[];
  errors: RuleError[];
}

export interface EvaluateOptions {
  /** Evaluation instant, epoch µs inclusive; default the newest stored event. */
  at?: number;
  /** Start of the span, epoch µs inclusive; default the oldest stored event. */
  from?: number;
  /** Instances listed per rule at most (counts stay exact). */
  limit?: number;
}

/* ----------------------------------------------------------------------------------------------
 * SQL helpers
 * -------------------------------------------------------------------------------------------- */

type Param = string | number;

function conditionSql(c: Condition, p: (v: Param) => string): string {
  const col = c.field.column === 'trigger' ? '"trigger"' : c.field.column;
  const v = c.value;
  switch (c.field.type) {
    case 'number':
      return c.op === '!='
        ? `${col} IS DISTINCT FROM ${p(v as number)}::DOUBLE`
        : `${col} ${c.op === '=' ? '=' : c.op} ${p(v as number)}::DOUBLE`;
    case 'boolean':
      return `${col} ${c.op === '=' ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM'} ${v ? 'TRUE' : 'FALSE'}`;
    case 'severity':
      if (c.op === '~') return `contains(lower(${col}), lower(${p(String(v))}))`;
      if (c.op === '=') return `${col} = ${p(String(v))}`;
      if (c.op === '!=') return `${col} IS DISTINCT FROM ${p(String(v))}`;
      return `${SEVERITY_RANK_SQL} ${c.op} ${SEVERITIES.indexOf(v as (typeof SEVERITIES)[number]) + 1}`;
    case 'text':
      if (c.op === '~') return `contains(lower(${col}), lower(${p(String(v))}))`;
      if (c.op === '!=') return `${col} IS DISTINCT FROM ${p(String(v))}`;
      return `${col} = ${p(String(v))}`;
  }
}

function matchSql(types: readonly string[], conds: readonly Condition[], p: (v: Param) => string): string {
  const parts: string[] = [];
  if (types.length) parts.push(`event_type IN (${types.map((t) => p(t)).join(', ')})`);
  for (const c of conds) parts.push(`(${conditionSql(c, p)})`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

/** The condition of a rule in words. */
export function ruleCondition(rule: Rule): string {
  const where = rule.conditions.map((c) => c.text).join(' and ');
  if (rule.kind === 'event')
    return `${rule.types.length ? rule.types.join(' or ') : 'any event'}${where ? ` where ${where}` : ''}`;
  const w = formatDuration(rule.windowMs);
  const m = rule.metric === 'slo_burn_rate' ? `slo_burn_rate(${rule.slo})` : rule.metric;
  return `${m} over ${w} ${rule.op} ${rule.threshold}${where ? ` (${rule.types.join(' or ')} where ${where})` : rule.metric === 'event_count' ? ` (${rule.types.join(' or ')})` : ''}${rule.forMs ? ` for ${formatDuration(rule.forMs)}` : ''}`;
}

/** A stored rule with its condition in words, or why it no longer compiles. */
export type DescribedRule = StoredRule & { condition: string | null; error: string | null };

/** The stored rules as `alerts rules list` shows them. */
export function describeRules(stored: readonly StoredRule[]): DescribedRule[] {
  return stored.map((s) => {
    try {
      return { ...s, condition: ruleCondition(compileRule(s.spec)), error: null };
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      return { ...s, condition: null, error: e.message };
    }
  });
}

/* ----------------------------------------------------------------------------------------------
 * Event rules
 * -------------------------------------------------------------------------------------------- */

interface EventMatches {
  total: number;
  rows: { ev: MatchedEvent; t: number; message: string }[];
}

async function matchEvents(
  store: Store,
  rule: EventRule,
  from: number,
  at: number,
  limit: number,
  newestFirst: boolean,
): Promise<EventMatches> {
  const ps = new Params();
  const cols = templateColumns(rule).filter(
    (c) => !['seq', 'event_id', 'event_type', 'workload_id', 'cluster_id', 'severity'].includes(c),
  );
  const where = matchSql(rule.types, rule.conditions, ps.p);
  const sql = `SELECT seq, event_id, epoch_us(ts) AS t, event_type, workload_id, cluster_id, severity,
       ${cols.map((c) => (c === 'trigger' ? '"trigger"' : c)).join(', ')}${cols.length ? ',' : ''}
       count(*) OVER () AS total
FROM events
WHERE ${where} AND ts >= make_timestamp(${ps.p(from)}::BIGINT) AND ts <= make_timestamp(${ps.p(at)}::BIGINT)
ORDER BY ts ${newestFirst ? 'DESC' : ''}, seq ${newestFirst ? 'DESC' : ''}
LIMIT ${Math.max(0, Math.floor(limit))}`;
  const rows = await queryRows(store, sql, ps.values);
  const total = rows.length
    ? Number(rows[0]!.total)
    : limit === 0
      ? await countSince(store, rule, from, at)
      : 0;
  return {
    total,
    rows: rows.map((r) => {
      const t = Number(r.t);
      const ev: MatchedEvent = {
        seq: Number(r.seq),
        event_id: String(r.event_id),
        ts: microsToIso(t),
        event_type: String(r.event_type),
        workload_id: r.workload_id === null ? null : String(r.workload_id),
        cluster_id: r.cluster_id === null ? null : String(r.cluster_id),
        severity: r.severity === null ? null : String(r.severity),
      };
      const message = renderTemplate(rule.message, (name) => {
        if (name === 'rule') return rule.name;
        if (name === 'ts') return ev.ts;
        if (name.startsWith('labels.')) return rule.labels[name.slice(7)];
        if (name === 'seq' || name === 'event_id' || name === 'event_type') return ev[name];
        const col = templateField(name, rule.types);
        if (!col) return undefined;
        const v = r[col];
        return typeof v === 'bigint' ? Number(v) : v;
      });
      return { ev, t, message };
    }),
  };
}

/* ----------------------------------------------------------------------------------------------
 * Threshold rules
 * -------------------------------------------------------------------------------------------- */

interface Step {
  t: number;
  v: number | null;
}

/** The step grid of a threshold rule over [from, at]: step length, window, steps per window, last step index. */
interface StepGrid {
  every: number;
  W: number;
  m: number;
  K: number;
}

function stepGrid(rule: ThresholdRule, from: number, at: number): StepGrid {
  const every = rule.everyMs * 1000;
  const W = rule.windowMs * 1000;
  const K = Math.floor(Math.max(0, at - from) / every);
  if (K + 1 > MAX_STEPS)
    throw new Error(
      `rule "${rule.name}": ${(K + 1).toLocaleString('en-US')} evaluation steps of ${formatDuration(rule.everyMs)}; shorten the span (--since) or raise \`every\``,
    );
  return { every, W, m: Math.round(W / every), K };
}

/** A metric as two sums per step bucket (`a`, `b`) and its value from their sums over a window. */
interface Decomposed {
  a: string;
  b: string;
  value: (sa: number, sb: number) => number | null;
}

const share = (sa: number, sb: number) => (sb ? sa / sb : null);

function decompose(rule: ThresholdRule, slo: Slo | null, W: number): Decomposed {
  switch (rule.metric) {
    case 'latency_avg_ms':
      return { a: exactSum('exec_ms'), b: 'count(exec_ms)', value: share };
    case 'failure_rate':
      return { a: "sum((outcome = 'failed')::BIGINT)", b: 'count(*)', value: share };
    case 'success_rate':
      return { a: "sum((outcome = 'scheduled')::BIGINT)", b: 'count(*)', value: share };
    case 'waste_usd_per_day':
      return { a: exactSum('wasted_cost'), b: 'count(*)', value: (sa, sb) => (sb ? (sa * 86_400e6) / W : 0) };
    case 'event_count':
      return { a: 'count(*)', b: 'count(*)', value: (sa) => sa };
    case 'slo_burn_rate': {
      if (!slo) throw new Error(`rule "${rule.name}": SLO "${rule.slo}" not found`);
      const s = sliSql(slo);
      const budget = 1 - slo.objective;
      return { a: `sum(${s.bad})`, b: `sum(${s.valid})`, value: (sa, sb) => (sb ? sa / sb / budget : null) };
    }
    default:
      throw new Error(`metric ${rule.metric}`);
  }
}

/** Per-bucket sums slid over m buckets with prefix sums: window of step k = buckets k .. k+m-1. */
function slide(rows: unknown[][], g: StepGrid, value: Decomposed['value']): (k: number) => number | null {
  const n = g.K + g.m + 1;
  const PA = new Float64Array(n + 1);
  const PB = new Float64Array(n + 1);
  for (const r of rows) {
    const k = Number(r[0]);
    if (k >= 0 && k < n) {
      PA[k + 1] += Number(r[1]);
      PB[k + 1] += Number(r[2]);
    }
  }
  for (let i = 0; i < n; i++) {
    PA[i + 1] += PA[i]!;
    PB[i + 1] += PB[i]!;
  }
  return (k) => {
    const hi = Math.min(k + g.m, n);
    return value(PA[hi]! - PA[k]!, PB[hi]! - PB[k]!);
  };
}

const QUANTILE_METRICS: Partial<Record<ThresholdRule['metric'], number>> = {
  latency_p50_ms: 0.5,
  latency_p90_ms: 0.9,
  latency_p95_ms: 0.95,
  latency_p99_ms: 0.99,
};

/**
 * The metric at every step from `from` (aligned to `at`) to `at`.
 *
 * Step k is the instant t_k = at - k x every; its window (t_k - window, t_k] is the union of
 * the `window / every` step buckets k .. k + m - 1, where an event at time e is in bucket
 * (at - e) // every. Sums and counts are added up per bucket in one GROUP BY and slid over
 * the buckets here; percentiles (exact quantile_cont) and distinct workloads are computed per
 * step in SQL, each event repeated into the m steps whose window holds it.
 */
export async function metricSeries(
  store: Store,
  rule: ThresholdRule,
  slo: Slo | null,
  from: number,
  at: number,
): Promise<Step[]> {
  const g = stepGrid(rule, from, at);
  const { every, W, m, K } = g;
  const ps = new Params();
  const where = `${matchSql(rule.types, rule.conditions, ps.p)} AND ts > make_timestamp(${ps.p(at - K * every - W)}::BIGINT) AND ts <= make_timestamp(${ps.p(at)}::BIGINT)`;
  const k0 = `((${ps.p(at)}::BIGINT - epoch_us(ts)) // ${every})`;
  const series = (value: (k: number) => number | null): Step[] => {
    const steps: Step[] = [];
    for (let k = K; k >= 0; k--) steps.push({ t: at - k * every, v: value(k) });
    return steps;
  };
  const rowsOf = async (sql: string) => (await queryRows(store, sql, ps.values)).map((r) => Object.values(r));

  // Per-step SQL (not decomposable over buckets).
  const perStep = async (select: string, input: string, filter = 'TRUE'): Promise<Map<number, unknown[]>> => {
    const rows = await rowsOf(`SELECT k, ${select} FROM (
  SELECT unnest(range(greatest(k0 - ${m - 1}, 0), least(k0, ${K}) + 1)) AS k, x, wl FROM (
    SELECT ${k0} AS k0, ${input} FROM events WHERE ${where} AND ${filter}))
GROUP BY k`);
    return new Map(rows.map((r) => [Number(r[0]), r.slice(1)]));
  };
  const q = QUANTILE_METRICS[rule.metric];
  if (q !== undefined) {
    const byK = await perStep(`quantile_cont(x, ${q})`, 'exec_ms AS x, NULL AS wl', 'exec_ms IS NOT NULL');
    return series((k) => num(byK.get(k)?.[0]));
  }
  if (rule.metric === 'slo_burn_rate' && slo?.sli === 'relocation_availability') {
    const budget = 1 - slo.objective;
    const byK = await perStep(
      `${exactSum('x')}, count(DISTINCT wl)`,
      'coalesce(downtime_seconds, 0) AS x, workload_id AS wl',
    );
    return series((k) => {
      const r = byK.get(k);
      const wl = num(r?.[1]) ?? 0;
      if (!wl) return null;
      return Math.min(1, (num(r?.[0]) ?? 0) / (wl * (W / 1e6))) / budget;
    });
  }
  const d = decompose(rule, slo, W);
  const rows = await rowsOf(
    `SELECT ${k0} AS k, coalesce(${d.a}, 0) AS a, coalesce(${d.b}, 0) AS b FROM events WHERE ${where} GROUP BY ALL`,
  );
  return series(slide(rows, g, d.value));
}

interface Episode {
  activeAt: number;
  firingAt: number | null;
  resolvedAt: number | null;
  peak: number | null;
  last: number | null;
}

const holds = (v: number | null, op: ThresholdRule['op'], thr: number) =>
  v !== null && (op === '>' ? v > thr : op === '>=' ? v >= thr : op === '<' ? v < thr : v <= thr);

/** Run the pending/firing/resolved state machine over the steps. */
function episodes(rule: ThresholdRule, steps: Step[]): { done: Episode[]; open: Episode | null } {
  const done: Episode[] = [];
  let cur: Episode | null = null;
  const better = (a: number, b: number) =>
    rule.op === '>' || rule.op === '>=' ? Math.max(a, b) : Math.min(a, b);
  for (const s of steps) {
    if (holds(s.v, rule.op, rule.threshold)) {
      if (!cur) cur = { activeAt: s.t, firingAt: null, resolvedAt: null, peak: null, last: null };
      if (cur.firingAt === null && s.t - cur.activeAt >= rule.forMs * 1000) cur.firingAt = s.t;
      if (cur.firingAt !== null) cur.peak = cur.peak === null ? s.v : better(cur.peak, s.v!);
      cur.last = s.v;
    } else if (cur) {
      if (cur.firingAt !== null) done.push({ ...cur, resolvedAt: s.t });
      cur = null;
    }
  }
  return { done, open: cur };
}

function thresholdMessage(rule: ThresholdRule, value: number | null, since: number, at: number): string {
  return renderTemplate(rule.message, (name) => {
    if (name.startsWith('labels.')) return rule.labels[name.slice(7)];
    switch (name) {
      case 'rule':
        return rule.name;
      case 'metric':
        return rule.metric;
      case 'value':
        return value;
      case 'threshold':
        return rule.threshold;
      case 'op':
        return rule.op;
      case 'window':
        return formatDuration(rule.windowMs);
      case 'for':
        return formatDuration(rule.forMs);
      case 'slo':
        return rule.slo;
      case 'since':
        return microsToIso(since);
      case 'at':
        return microsToIso(at);
    }
    return undefined;
  });
}

/* ----------------------------------------------------------------------------------------------
 * Entry points
 * -------------------------------------------------------------------------------------------- */

const BASIS = {
  event_rules:
    'one alert per matching event (typed columns compared, no JSON parsing), firing from the event time for keep_firing_for, then resolved',
  threshold_rules:
    'the metric over the window (t - window, t] at every step t (every, aligned to the evaluation instant); condition true = pending, true for `for` = firing, false again = resolved; no data in the window = condition false',
  percentiles: 'continuous (DuckDB quantile_cont)',
};

/** A rule's outcome: its summary row and its alert instances (listed up to the limit). */
interface RuleAlerts {
  summary: RuleSummary;
  alerts: AlertInstance[];
}

async function eventRuleAlerts(
  store: Store,
  rule: EventRule,
  from: number,
  at: number,
  limit: number,
): Promise<RuleAlerts> {
  const m = await matchEvents(store, rule, from, at, limit, true);
  const s = summary(rule);
  s.evaluated_from = microsToIso(from);
  s.matched_events = m.total;
  s.truncated = Math.max(0, m.total - m.rows.length);
  const alerts = m.rows.map(({ ev, t, message }): AlertInstance => {
    const end = t + rule.keepFiringMs * 1000;
    const firing = end > at;
    if (firing) s.firing++;
    else s.resolved++;
    return {
      rule: rule.name,
      kind: 'event',
      state: firing ? 'firing' : 'resolved',
      since: ev.ts,
      active_since: ev.ts,
      resolved_at: firing ? null : microsToIso(end),
      value: null,
      threshold: null,
      labels: rule.labels,
      message,
      event: ev,
    };
  });
  // Counts are exact even past the limit: events beyond it are the oldest, hence resolved
  // unless still within keep_firing_for.
  if (s.truncated) {
    const still = await countSince(store, rule, Math.max(from, at - rule.keepFiringMs * 1000 + 1), at);
    s.firing = still;
    s.resolved = m.total - still;
  }
  return { summary: s, alerts };
}

function thresholdInstance(
  rule: ThresholdRule,
  state: AlertState,
  e: { since: number; activeAt: number; resolvedAt: number | null; value: number | null; messageAt: number },
): AlertInstance {
  return {
    rule: rule.name,
    kind: 'threshold',
    state,
    since: microsToIso(e.since),
    active_since: microsToIso(e.activeAt),
    resolved_at: e.resolvedAt === null ? null : microsToIso(e.resolvedAt),
    value: e.value,
    threshold: rule.threshold,
    labels: rule.labels,
    message: thresholdMessage(rule, e.value, e.activeAt, e.messageAt),
    event: null,
  };
}

/** A threshold rule evaluated over [from, to], instances listed up to `limit`. */
interface ThresholdRun {
  store: Store;
  rule: ThresholdRule;
  slo: Slo | null;
  from: number;
  to: number;
  limit: number;
}

/** The metric's steps and the rule's episodes over them. */
async function thresholdEpisodes(x: ThresholdRun) {
  const steps = await metricSeries(x.store, x.rule, x.slo, x.from, x.to);
  return { steps, ...episodes(x.rule, steps) };
}

async function thresholdRuleAlerts(x: ThresholdRun): Promise<RuleAlerts> {
  const { rule, from, to: at, limit } = x;
  const { steps, done, open } = await thresholdEpisodes(x);
  const s = summary(rule);
  s.evaluated_from = microsToIso(from);
  s.value = steps.length ? steps[steps.length - 1]!.v : null;
  const instances: AlertInstance[] = [];
  if (open) {
    const firing = open.firingAt !== null;
    const since = firing ? open.firingAt! : open.activeAt;
    instances.push(
      thresholdInstance(rule, firing ? 'firing' : 'pending', {
        ...open,
        since,
        value: s.value,
        messageAt: at,
      }),
    );
    if (firing) s.firing++;
    else s.pending++;
  }
  for (const e of [...done].reverse()) {
    const ep = { ...e, since: e.firingAt!, value: e.peak, messageAt: e.resolvedAt! };
    instances.push(thresholdInstance(rule, 'resolved', ep));
    s.resolved++;
  }
  s.truncated = Math.max(0, instances.length - limit);
  return { summary: s, alerts: instances.slice(0, limit) };
}

/** The SLO a threshold rule reads (null when it reads none); an error text when it names an unknown one. */
function sloOf(rule: ThresholdRule, slos: SloSet): { slo: Slo | null } | { error: RuleError } {
  const slo = rule.slo ? (slos.slos.find((x) => x.name === rule.slo) ?? null) : null;
  if (rule.metric === 'slo_burn_rate' && !slo)
    return { error: { rule: rule.name, reason: `no SLO named "${rule.slo}" in ${slos.source}` } };
  return { slo };
}

/** Run `f` for a rule; a rule that fails (not the store) becomes an error in `errors`. */
async function perRule(rule: Rule, errors: RuleError[], f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (isStoreFailure(e)) throw e;
    errors.push({ rule: rule.name, reason: (e as Error).message.split('\n')[0]! });
  }
}

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };

/** Firing first, then pending, then resolved; newest first within each. */
const byStateThenNewest = (a: AlertInstance, b: AlertInstance) =>
  STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
  (b.resolved_at ?? b.since).localeCompare(a.resolved_at ?? a.since) ||
  b.since.localeCompare(a.since) ||
  (b.event?.seq ?? 0) - (a.event?.seq ?? 0);

/** Evaluate rules: the alerts active at `at`, and those resolved within the span. */
export async function evaluateAlerts(
  store: Store,
  rules: Rule[],
  slos: SloSet,
  opts: EvaluateOptions = {},
  preErrors: RuleError[] = [],
): Promise<AlertsResult> {
  const span = await dataExtent(store);
  const at = opts.at ?? span.newestUs;
  const from = opts.from ?? span.firstUs;
  // Threshold rules cost a pass per step over their window: without --since they look back
  // THRESHOLD_LOOKBACK_MS from the evaluation instant (enough for state and "since").
  const thresholdFrom =
    opts.from ??
    (span.firstUs === null || at === null ? null : Math.max(span.firstUs, at - THRESHOLD_LOOKBACK_MS * 1000));
  const limit = opts.limit ?? DEFAULT_EVENT_LIMIT;
  const result: AlertsResult = {
    at: at === null ? null : microsToIso(at),
    at_basis: opts.at !== undefined ? 'given' : 'the newest stored event',
    from: from === null ? null : microsToIso(from),
    from_basis:
      opts.from !== undefined
        ? 'given'
        : `event rules: the oldest stored event; threshold rules: ${formatDuration(THRESHOLD_LOOKBACK_MS)} before the evaluation instant (not before the oldest event)`,
    rules: [],
    alerts: [],
    counts: { firing: 0, pending: 0, resolved: 0 },
    errors: [...preErrors],
    basis: BASIS,
  };
  if (at === null || from === null) {
    result.rules = rules.map((r) => summary(r));
    return result;
  }
  for (const rule of rules) {
    await perRule(rule, result.errors, async () => {
      let r: RuleAlerts;
      if (rule.kind === 'event') r = await eventRuleAlerts(store, rule, from, at, limit);
      else {
        const s = sloOf(rule, slos);
        if ('error' in s) return void result.errors.push(s.error);
        r = await thresholdRuleAlerts({
          store,
          rule,
          slo: s.slo,
          from: thresholdFrom ?? from,
          to: at,
          limit,
        });
      }
      result.alerts.push(...r.alerts);
      result.rules.push(r.summary);
    });
  }
  result.alerts.sort(byStateThenNewest);
  for (const r of result.rules) {
    result.counts.firing += r.firing;
    result.counts.pending += r.pending;
    result.counts.resolved += r.resolved;
  }
  return result;
}

async function countSince(store: Store, rule: EventRule, from: number, at: number): Promise<number> {
  const ps = new Params();
  const w = matchSql(rule.types, rule.conditions, ps.p);
  return numOrZero(
    await queryValue(
      store,
      `SELECT count(*) FROM events WHERE ${w} AND ts >= make_timestamp(${ps.p(from)}::BIGINT) AND ts <= make_timestamp(${ps.p(at)}::BIGINT)`,
      ps.values,
    ),
  );
}

function summary(rule: Rule): RuleSummary {
  return {
    rule: rule.name,
    kind: rule.kind,
    condition: ruleCondition(rule),
    method:
      rule.kind === 'event'
        ? `each matching event fires for ${rule.keepFiringMs === 0 ? '0s' : formatDuration(rule.keepFiringMs)} (keep_firing_for)`
        : `${METRIC_METHOD[rule.metric]}; evaluated every ${formatDuration(rule.everyMs)}`,
    firing: 0,
    pending: 0,
    resolved: 0,
    matched_events: rule.kind === 'event' ? 0 : null,
    value: null,
    truncated: 0,
    evaluated_from: null,
  };
}

/** Total time covered by the intervals [t, t + keep) of sorted times `ts`, clipped to `until`, µs. */
function unionLength(ts: number[], keep: number, until: number): number {
  let total = 0;
  let curS = -1;
  let curE = -1;
  for (const t of ts) {
    const e = Math.min(t + keep, until);
    if (t > curE) {
      if (curE > curS) total += curE - curS;
      curS = t;
      curE = e;
    } else curE = Math.max(curE, e);
  }
  if (curE > curS) total += curE - curS;
  return total;
}

type BacktestFigures = Pick<BacktestRule, 'fired' | 'firing_seconds' | 'firings' | 'truncated'>;

async function backtestEventRule(
  store: Store,
  rule: EventRule,
  from: number,
  until: number,
  limit: number,
): Promise<BacktestFigures> {
  const m = await matchEvents(store, rule, from, until, limit, false);
  const keep = rule.keepFiringMs * 1000;
  return {
    fired: m.total,
    // Firing time: union of [t, t + keep) clipped to the span.
    firing_seconds:
      unionLength(
        m.rows.map((r) => r.t),
        keep,
        until,
      ) / 1e6,
    firings: m.rows.map(({ ev, t, message }) => ({
      pending_since: ev.ts,
      firing_since: ev.ts,
      resolved_at: t + keep <= until ? microsToIso(t + keep) : null,
      peak_value: null,
      event: ev,
      message,
    })),
    truncated: Math.max(0, m.total - m.rows.length),
  };
}

async function backtestThresholdRule(x: ThresholdRun): Promise<BacktestFigures> {
  const { rule, to: until, limit } = x;
  const { done, open } = await thresholdEpisodes(x);
  const eps = [...done, ...(open && open.firingAt !== null ? [open] : [])];
  const firings: Firing[] = eps.map((e) => ({
    pending_since: microsToIso(e.activeAt),
    firing_since: microsToIso(e.firingAt!),
    resolved_at: e.resolvedAt === null ? null : microsToIso(e.resolvedAt),
    peak_value: e.peak,
    event: null,
    message: thresholdMessage(rule, e.peak, e.activeAt, e.resolvedAt ?? until),
  }));
  return {
    fired: firings.length,
    firing_seconds: eps.reduce((s, e) => s + ((e.resolvedAt ?? until) - e.firingAt!) / 1e6, 0),
    firings: firings.slice(0, limit),
    truncated: Math.max(0, firings.length - limit),
  };
}

/** When each rule would have fired over [from, until]. */
export async function backtestAlerts(
  store: Store,
  rules: Rule[],
  slos: SloSet,
  opts: { from: number; until?: number; limit?: number },
  preErrors: RuleError[] = [],
): Promise<BacktestResult> {
  const until = opts.until ?? (await dataExtent(store)).newestUs;
  const limit = opts.limit ?? DEFAULT_EVENT_LIMIT;
  const out: BacktestResult = {
    from: microsToIso(opts.from),
    until: until === null ? null : microsToIso(until),
    basis: `rules evaluated as by \`alerts\` at every instant from ${microsToIso(opts.from)} to ${until === null ? '-' : microsToIso(until)} (${opts.until !== undefined ? 'given' : 'the newest stored event'})`,
    rules: [],
    errors: [...preErrors],
  };
  if (until === null) return out;
  for (const rule of rules) {
    await perRule(rule, out.errors, async () => {
      const base = {
        rule: rule.name,
        kind: rule.kind,
        condition: ruleCondition(rule),
        method: summary(rule).method,
      };
      let figures: BacktestFigures;
      if (rule.kind === 'event') figures = await backtestEventRule(store, rule, opts.from, until, limit);
      else {
        const s = sloOf(rule, slos);
        if ('error' in s) return void out.errors.push(s.error);
        figures = await backtestThresholdRule({ store, rule, slo: s.slo, from: opts.from, to: until, limit });
      }
      out.rules.push({ ...base, ...figures });
    });
  }
  return out;
}
