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
import { num } from '../store/sql.js';
import { isStoreFailure } from '../store/failure.js';
import { microsToIso } from '../time.js';
import type { Slo, SloSet } from '../analyze/sla.js';
import { sliSql } from '../analyze/sla.js';
import { SEVERITIES, SEVERITY_RANK_SQL } from './fields.js';
import {
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

export interface MatchedEvent {
  seq: number;
  event_id: string;
  ts: string;
  event_type: string;
  workload_id: string | null;
  cluster_id: string | null;
  severity: string | null;
}

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

function paramList() {
  const params: Param[] = [];
  return { params, p: (v: Param) => (params.push(v), `$${params.length}`) };
}

/** The condition of a rule in words. */
export function ruleCondition(rule: Rule): string {
  const where = rule.conditions.map((c) => c.text).join(' and ');
  if (rule.kind === 'event')
    return `${rule.types.length ? rule.types.join(' or ') : 'any event'}${where ? ` where ${where}` : ''}`;
  const w = fmtDur(rule.windowMs);
  const m = rule.metric === 'slo_burn_rate' ? `slo_burn_rate(${rule.slo})` : rule.metric;
  return `${m} over ${w} ${rule.op} ${rule.threshold}${where ? ` (${rule.types.join(' or ')} where ${where})` : rule.metric === 'event_count' ? ` (${rule.types.join(' or ')})` : ''}${rule.forMs ? ` for ${fmtDur(rule.forMs)}` : ''}`;
}

export function fmtDur(ms: number): string {
  for (const [u, f] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
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
  const { params, p } = paramList();
  const cols = templateColumns(rule).filter(
    (c) => !['seq', 'event_id', 'event_type', 'workload_id', 'cluster_id', 'severity'].includes(c),
  );
  const where = matchSql(rule.types, rule.conditions, p);
  const sql = `SELECT seq, event_id, epoch_us(ts) AS t, event_type, workload_id, cluster_id, severity,
       ${cols.map((c) => (c === 'trigger' ? '"trigger"' : c)).join(', ')}${cols.length ? ',' : ''}
       count(*) OVER () AS total
FROM events
WHERE ${where} AND ts >= make_timestamp(${p(from)}::BIGINT) AND ts <= make_timestamp(${p(at)}::BIGINT)
ORDER BY ts ${newestFirst ? 'DESC' : ''}, seq ${newestFirst ? 'DESC' : ''}
LIMIT ${Math.max(0, Math.floor(limit))}`;
  const rows = (await store.conn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
  let total = rows.length ? Number(rows[0]!.total) : 0;
  if (!rows.length && limit === 0) {
    const { params: cp, p: cpp } = paramList();
    const w = matchSql(rule.types, rule.conditions, cpp);
    const r = await store.conn.runAndReadAll(
      `SELECT count(*) FROM events WHERE ${w} AND ts >= make_timestamp(${cpp(from)}::BIGINT) AND ts <= make_timestamp(${cpp(at)}::BIGINT)`,
      cp,
    );
    total = Number(r.getRows()[0]![0]);
  }
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
  const every = rule.everyMs * 1000;
  const W = rule.windowMs * 1000;
  const m = Math.round(W / every);
  const K = Math.floor(Math.max(0, at - from) / every);
  if (K + 1 > MAX_STEPS)
    throw new Error(
      `rule "${rule.name}": ${(K + 1).toLocaleString('en-US')} evaluation steps of ${fmtDur(rule.everyMs)}; shorten the span (--since) or raise \`every\``,
    );
  const { params, p } = paramList();
  const where = `${matchSql(rule.types, rule.conditions, p)} AND ts > make_timestamp(${p(at - K * every - W)}::BIGINT) AND ts <= make_timestamp(${p(at)}::BIGINT)`;
  const k0 = `((${p(at)}::BIGINT - epoch_us(ts)) // ${every})`;
  const steps: Step[] = [];
  const series = (value: (k: number) => number | null) => {
    for (let k = K; k >= 0; k--) steps.push({ t: at - k * every, v: value(k) });
    return steps;
  };

  // Per-step SQL (not decomposable over buckets).
  const perStep = async (select: string, input: string, filter = 'TRUE'): Promise<Map<number, unknown[]>> => {
    const sql = `SELECT k, ${select} FROM (
  SELECT unnest(range(greatest(k0 - ${m - 1}, 0), least(k0, ${K}) + 1)) AS k, x, wl FROM (
    SELECT ${k0} AS k0, ${input} FROM events WHERE ${where} AND ${filter}))
GROUP BY k`;
    const rows = (await store.conn.runAndReadAll(sql, params)).getRows();
    return new Map(rows.map((r) => [Number(r[0]), r.slice(1) as unknown[]]));
  };
  const quantile = async (q: number) => {
    const byK = await perStep(`quantile_cont(x, ${q})`, 'exec_ms AS x, NULL AS wl', 'exec_ms IS NOT NULL');
    return series((k) => num(byK.get(k)?.[0]));
  };
  switch (rule.metric) {
    case 'latency_p50_ms':
      return quantile(0.5);
    case 'latency_p90_ms':
      return quantile(0.9);
    case 'latency_p95_ms':
      return quantile(0.95);
    case 'latency_p99_ms':
      return quantile(0.99);
  }
  if (rule.metric === 'slo_burn_rate' && slo?.sli === 'relocation_availability') {
    const budget = 1 - slo.objective;
    const byK = await perStep(
      'sum(x), count(DISTINCT wl)',
      'coalesce(downtime_seconds, 0) AS x, workload_id AS wl',
    );
    return series((k) => {
      const r = byK.get(k);
      const wl = num(r?.[1]) ?? 0;
      if (!wl) return null;
      return Math.min(1, (num(r?.[0]) ?? 0) / (wl * (W / 1e6))) / budget;
    });
  }

  // Decomposable: a and b summed per bucket, slid over m buckets.
  let a: string;
  let b = 'count(*)';
  let value: (sa: number, sb: number) => number | null;
  switch (rule.metric) {
    case 'latency_avg_ms':
      a = 'sum(exec_ms)';
      b = 'count(exec_ms)';
      value = (sa, sb) => (sb ? sa / sb : null);
      break;
    case 'failure_rate':
      a = "sum((outcome = 'failed')::BIGINT)";
      value = (sa, sb) => (sb ? sa / sb : null);
      break;
    case 'success_rate':
      a = "sum((outcome = 'scheduled')::BIGINT)";
      value = (sa, sb) => (sb ? sa / sb : null);
      break;
    case 'waste_usd_per_day':
      a = 'sum(wasted_cost)';
      value = (sa, sb) => (sb ? (sa * 86_400e6) / W : 0);
      break;
    case 'event_count':
      a = 'count(*)';
      value = (sa) => sa;
      break;
    case 'slo_burn_rate': {
      if (!slo) throw new Error(`rule "${rule.name}": SLO "${rule.slo}" not found`);
      const s = sliSql(slo);
      const budget = 1 - slo.objective;
      a = `sum(${s.bad})`;
      b = `sum(${s.valid})`;
      value = (sa, sb) => (sb ? sa / sb / budget : null);
      break;
    }
    default:
      throw new Error(`metric ${rule.metric}`);
  }
  const rows = (
    await store.conn.runAndReadAll(
      `SELECT ${k0} AS k, coalesce(${a}, 0), coalesce(${b}, 0) FROM events WHERE ${where} GROUP BY ALL`,
      params,
    )
  ).getRows();
  const A = new Float64Array(K + m + 1);
  const B = new Float64Array(K + m + 1);
  for (const r of rows) {
    const k = Number(r[0]);
    if (k >= 0 && k < A.length) {
      A[k] += Number(r[1]);
      B[k] += Number(r[2]);
    }
  }
  // Prefix sums from the oldest bucket: window of step k = buckets k .. k+m-1.
  const PA = new Float64Array(A.length + 1);
  const PB = new Float64Array(A.length + 1);
  for (let i = 0; i < A.length; i++) {
    PA[i + 1] = PA[i]! + A[i]!;
    PB[i + 1] = PB[i]! + B[i]!;
  }
  return series((k) => {
    const hi = Math.min(k + m, A.length);
    return value(PA[hi]! - PA[k]!, PB[hi]! - PB[k]!);
  });
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
        return fmtDur(rule.windowMs);
      case 'for':
        return fmtDur(rule.forMs);
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

async function storeSpan(store: Store): Promise<{ first: number | null; last: number | null }> {
  const r = (
    await store.conn.runAndReadAll('SELECT epoch_us(min(ts)), epoch_us(max(ts)) FROM events')
  ).getRows()[0]!;
  return { first: num(r[0]), last: num(r[1]) };
}

const BASIS = {
  event_rules:
    'one alert per matching event (typed columns compared, no JSON parsing), firing from the event time for keep_firing_for, then resolved',
  threshold_rules:
    'the metric over the window (t - window, t] at every step t (every, aligned to the evaluation instant); condition true = pending, true for `for` = firing, false again = resolved; no data in the window = condition false',
  percentiles: 'continuous (DuckDB quantile_cont)',
};

/** Evaluate rules: the alerts active at `at`, and those resolved within the span. */
export async function evaluateAlerts(
  store: Store,
  rules: Rule[],
  slos: SloSet,
  opts: EvaluateOptions = {},
  preErrors: RuleError[] = [],
): Promise<AlertsResult> {
  const span = await storeSpan(store);
  const at = opts.at ?? span.last;
  const from = opts.from ?? span.first;
  // Threshold rules cost a pass per step over their window: without --since they look back
  // THRESHOLD_LOOKBACK_MS from the evaluation instant (enough for state and "since").
  const thresholdFrom =
    opts.from ??
    (span.first === null || at === null ? null : Math.max(span.first, at - THRESHOLD_LOOKBACK_MS * 1000));
  const limit = opts.limit ?? DEFAULT_EVENT_LIMIT;
  const result: AlertsResult = {
    at: at === null ? null : microsToIso(at),
    at_basis: opts.at !== undefined ? 'given' : 'the newest stored event',
    from: from === null ? null : microsToIso(from),
    from_basis:
      opts.from !== undefined
        ? 'given'
        : `event rules: the oldest stored event; threshold rules: ${fmtDur(THRESHOLD_LOOKBACK_MS)} before the evaluation instant (not before the oldest event)`,
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
    try {
      if (rule.kind === 'event') {
        const m = await matchEvents(store, rule, from, at, limit, true);
        const s = summary(rule);
        s.evaluated_from = microsToIso(from);
        s.matched_events = m.total;
        s.truncated = Math.max(0, m.total - m.rows.length);
        for (const { ev, t, message } of m.rows) {
          const end = t + rule.keepFiringMs * 1000;
          const firing = end > at;
          result.alerts.push({
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
          });
          if (firing) s.firing++;
          else s.resolved++;
        }
        // Counts are exact even past the limit: events beyond it are the oldest, hence resolved
        // unless still within keep_firing_for.
        if (s.truncated) {
          const still = await countSince(store, rule, Math.max(from, at - rule.keepFiringMs * 1000 + 1), at);
          s.firing = still;
          s.resolved = m.total - still;
        }
        result.rules.push(s);
      } else {
        const slo = rule.slo ? (slos.slos.find((x) => x.name === rule.slo) ?? null) : null;
        if (rule.metric === 'slo_burn_rate' && !slo) {
          result.errors.push({ rule: rule.name, reason: `no SLO named "${rule.slo}" in ${slos.source}` });
          continue;
        }
        const steps = await metricSeries(store, rule, slo, thresholdFrom ?? from, at);
        const { done, open } = episodes(rule, steps);
        const s = summary(rule);
        s.evaluated_from = microsToIso(thresholdFrom ?? from);
        s.value = steps.length ? steps[steps.length - 1]!.v : null;
        const instances: AlertInstance[] = [];
        if (open) {
          const firing = open.firingAt !== null;
          instances.push({
            rule: rule.name,
            kind: 'threshold',
            state: firing ? 'firing' : 'pending',
            since: microsToIso(firing ? open.firingAt! : open.activeAt),
            active_since: microsToIso(open.activeAt),
            resolved_at: null,
            value: s.value,
            threshold: rule.threshold,
            labels: rule.labels,
            message: thresholdMessage(rule, s.value, open.activeAt, at),
            event: null,
          });
          if (firing) s.firing++;
          else s.pending++;
        }
        for (const e of [...done].reverse()) {
          instances.push({
            rule: rule.name,
            kind: 'threshold',
            state: 'resolved',
            since: microsToIso(e.firingAt!),
            active_since: microsToIso(e.activeAt),
            resolved_at: microsToIso(e.resolvedAt!),
            value: e.peak,
            threshold: rule.threshold,
            labels: rule.labels,
            message: thresholdMessage(rule, e.peak, e.activeAt, e.resolvedAt!),
            event: null,
          });
          s.resolved++;
        }
        s.truncated = Math.max(0, instances.length - limit);
        result.alerts.push(...instances.slice(0, limit));
        result.rules.push(s);
      }
    } catch (e) {
      if (isStoreFailure(e)) throw e;
      result.errors.push({ rule: rule.name, reason: (e as Error).message.split('\n')[0]! });
    }
  }
  const order: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };
  result.alerts.sort(
    (a, b) =>
      order[a.state] - order[b.state] ||
      (b.resolved_at ?? b.since).localeCompare(a.resolved_at ?? a.since) ||
      b.since.localeCompare(a.since) ||
      (b.event?.seq ?? 0) - (a.event?.seq ?? 0),
  );
  for (const r of result.rules) {
    result.counts.firing += r.firing;
    result.counts.pending += r.pending;
    result.counts.resolved += r.resolved;
  }
  return result;
}

async function countSince(store: Store, rule: EventRule, from: number, at: number): Promise<number> {
  const { params, p } = paramList();
  const w = matchSql(rule.types, rule.conditions, p);
  const r = await store.conn.runAndReadAll(
    `SELECT count(*) FROM events WHERE ${w} AND ts >= make_timestamp(${p(from)}::BIGINT) AND ts <= make_timestamp(${p(at)}::BIGINT)`,
    params,
  );
  return Number(r.getRows()[0]![0]);
}

function summary(rule: Rule): RuleSummary {
  return {
    rule: rule.name,
    kind: rule.kind,
    condition: ruleCondition(rule),
    method:
      rule.kind === 'event'
        ? `each matching event fires for ${fmtDur(rule.keepFiringMs) === '0ms' ? '0s' : fmtDur(rule.keepFiringMs)} (keep_firing_for)`
        : `${METRIC_METHOD[rule.metric]}; evaluated every ${fmtDur(rule.everyMs)}`,
    firing: 0,
    pending: 0,
    resolved: 0,
    matched_events: rule.kind === 'event' ? 0 : null,
    value: null,
    truncated: 0,
    evaluated_from: null,
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
  const span = await storeSpan(store);
  const until = opts.until ?? span.last;
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
    try {
      const base = {
        rule: rule.name,
        kind: rule.kind,
        condition: ruleCondition(rule),
        method: summary(rule).method,
      };
      if (rule.kind === 'event') {
        const m = await matchEvents(store, rule, opts.from, until, limit, false);
        const keep = rule.keepFiringMs * 1000;
        // Firing time: union of [t, t + keep) clipped to the span.
        let firingUs = 0;
        let curS = -1;
        let curE = -1;
        const all = m.rows.map((r) => r.t);
        for (const t of all) {
          const e = Math.min(t + keep, until);
          if (t > curE) {
            if (curE > curS) firingUs += curE - curS;
            curS = t;
            curE = e;
          } else curE = Math.max(curE, e);
        }
        if (curE > curS) firingUs += curE - curS;
        out.rules.push({
          ...base,
          fired: m.total,
          firing_seconds: firingUs / 1e6,
          firings: m.rows.map(({ ev, t, message }) => ({
            pending_since: ev.ts,
            firing_since: ev.ts,
            resolved_at: t + keep <= until ? microsToIso(t + keep) : null,
            peak_value: null,
            event: ev,
            message,
          })),
          truncated: Math.max(0, m.total - m.rows.length),
        });
      } else {
        const slo = rule.slo ? (slos.slos.find((x) => x.name === rule.slo) ?? null) : null;
        if (rule.metric === 'slo_burn_rate' && !slo) {
          out.errors.push({ rule: rule.name, reason: `no SLO named "${rule.slo}" in ${slos.source}` });
          continue;
        }
        const steps = await metricSeries(store, rule, slo, opts.from, until);
        const { done, open } = episodes(rule, steps);
        const eps = [...done, ...(open && open.firingAt !== null ? [open] : [])];
        const firings: Firing[] = eps.map((e) => ({
          pending_since: microsToIso(e.activeAt),
          firing_since: microsToIso(e.firingAt!),
          resolved_at: e.resolvedAt === null ? null : microsToIso(e.resolvedAt),
          peak_value: e.peak,
          event: null,
          message: thresholdMessage(rule, e.peak, e.activeAt, e.resolvedAt ?? until),
        }));
        out.rules.push({
          ...base,
          fired: firings.length,
          firing_seconds: eps.reduce((s, e) => s + ((e.resolvedAt ?? until) - e.firingAt!) / 1e6, 0),
          firings: firings.slice(0, limit),
          truncated: Math.max(0, firings.length - limit),
        });
      }
    } catch (e) {
      if (isStoreFailure(e)) throw e;
      out.errors.push({ rule: rule.name, reason: (e as Error).message.split('\n')[0]! });
    }
  }
  return out;
}
