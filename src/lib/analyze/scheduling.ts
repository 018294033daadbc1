/**
 * Scheduling performance: how fast and how well the meta-scheduler decides.
 *
 * One aggregate query over the typed columns of `scheduling_decision` rows
 * (GROUPING SETS: the totals, the `--by` breakdown and the trend buckets in
 * a single pass). Latency is `execution_time_ms`; percentiles are continuous
 * (DuckDB `quantile_cont`). Money is USD per hour as logged.
 */
import path from 'node:path';
import { openStore, type Store } from '../store/open.js';
import {
  exactAvg,
  exactSum,
  exactUnits,
  fromUnits,
  num,
  numOrZero,
  queryRows,
  str,
  type Row,
} from '../store/sql.js';
import { buildWhere, type EventFilter } from '../query/filters.js';
import { UsageError } from '../errors.js';
import { flagName, type OptionName } from '../option-name.js';
import { formatDuration, microsToIso } from '../time.js';
import { BUCKET_RULE, trendBuckets, trendInterval } from './buckets.js';

export const QUANTILE_BASIS =
  'continuous percentiles (DuckDB quantile_cont: linear interpolation between order statistics)';
export const DEFAULT_MIN_SAMPLE = 30;
export const DEFAULT_TARGET_REDUCTION_PCT = 30;

export const GROUP_BY = ['scheduler', 'cluster', 'workload-type', 'day'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

const GROUP_EXPR: Record<GroupBy, string> = {
  scheduler: 'scheduler',
  cluster: 'cluster_id',
  'workload-type': 'workload_type',
  day: "strftime(ts, '%Y-%m-%d')",
};

/* ----------------------------------------------------------------------------------------------
 * Shared helpers (also used by cost.ts)
 * -------------------------------------------------------------------------------------------- */

/** Round for output: keeps figures readable without losing the 0.5 % a check needs. */
export const round = (v: number | null, digits = 6): number | null =>
  v === null ? null : Number(v.toFixed(digits));

/** `part / whole`, null when whole is 0. */
export const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** Relative change in percent from `base` to `cur`, null when undefined. */
export const pctChange = (cur: number | null, base: number | null): number | null =>
  cur === null || base === null || base === 0 ? null : ((cur - base) / base) * 100;

/** `event_type = $k AND <filter>` with parameters numbered from 1. */
export function typeWhere(
  eventType: string,
  filter: EventFilter,
): { sql: string; params: (string | number)[] } {
  const w = buildWhere(filter, '', 2);
  return { sql: `event_type = $1 AND ${w.sql}`, params: [eventType, ...w.params] };
}

const iso = (us: number | null): string | null => (us === null ? null : microsToIso(us));

/** The time span an analysis covers. */
export interface AnalysisWindow {
  /** `--since`, else the first matching event (ISO UTC). */
  since: string | null;
  /** `--until`, else the last matching event (ISO UTC). */
  until: string | null;
  minutes: number | null;
  basis: string;
}

export function makeWindow(
  filter: EventFilter,
  firstUs: number | null,
  lastUs: number | null,
  what: string,
): AnalysisWindow & { sinceUs: number | null; untilUs: number | null } {
  const sinceUs = filter.since ?? firstUs;
  const untilUs = filter.until ?? lastUs;
  const minutes =
    sinceUs !== null && untilUs !== null && untilUs > sinceUs ? (untilUs - sinceUs) / 60e6 : null;
  return {
    since: iso(sinceUs),
    until: iso(untilUs),
    minutes,
    basis: `from ${filter.since !== undefined ? '--since' : `the first ${what}`} to ${filter.until !== undefined ? '--until' : `the last ${what}`}`,
    sinceUs,
    untilUs,
  };
}

/* ----------------------------------------------------------------------------------------------
 * Types
 * -------------------------------------------------------------------------------------------- */

export interface LatencyMs {
  avg: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Decisions with an execution_time_ms. */
  samples: number;
}

/** The figures computed for the whole selection, for each group and for each baseline. */
export interface DecisionStats {
  decisions: number;
  latency_ms: LatencyMs;
  /** Decisions per outcome (`scheduled`, `failed`, `pending`). */
  outcomes: Record<string, number>;
  /** Share (0..1) of decisions with outcome `scheduled`. */
  success_rate: number | null;
  /** Share (0..1) of decisions whose selected cost is not above the cheapest alternative's (or that had no alternatives). */
  cheapest_choice_rate: number | null;
  /** Decisions that picked a cluster dearer than the cheapest alternative. */
  not_cheapest: number;
  /** Sum over those decisions of selected cost minus cheapest alternative's cost, USD/h. */
  regret_usd_per_hour: number;
  /** Mean selected estimated_cost_per_hour, USD/h. */
  avg_cost_usd_per_hour: number | null;
}

export interface SchedulingGroup extends DecisionStats {
  key: string | null;
  /** Share (0..1) of all decisions in the selection. */
  share: number | null;
}

export interface TrendPoint {
  /** Bucket start, ISO UTC. */
  start: string;
  decisions: number;
  throughput_per_min: number;
  latency_avg_ms: number | null;
  latency_p95_ms: number | null;
  success_rate: number | null;
  cheapest_choice_rate: number | null;
  regret_usd_per_hour: number;
}

export interface BaselineStats extends DecisionStats {
  /** Where the baseline came from: this database or --baseline-db. */
  db: string;
  window: AnalysisWindow;
  throughput_per_min: number | null;
}

export type Verdict = 'pass' | 'fail' | 'insufficient-data';

export interface Gate {
  /** The flag, e.g. `--fail-if-p95-over`. */
  gate: string;
  threshold: number;
  value: number | null;
  passed: boolean;
  reason: string;
}

export interface SchedulingResult extends DecisionStats {
  window: AnalysisWindow;
  throughput_per_min: number | null;
  throughput_per_hour: number | null;
  group_by: GroupBy | null;
  groups: SchedulingGroup[];
  /** Trend bucket length, e.g. `1h`. */
  interval: string;
  trend: TrendPoint[];
  baseline: BaselineStats | null;
  /** Relative change of the current latency against the baseline, percent (negative = faster). */
  change: { avg_pct: number | null; p95_pct: number | null } | null;
  verdict: Verdict | null;
  verdict_basis: string | null;
  gates: Gate[];
  basis: Record<string, string>;
}

export interface BaselineSpec {
  store: Store;
  filter: EventFilter;
}

export interface SchedulingOptions {
  filter: EventFilter;
  /** How messages name the options (`--interval` by default; the service names query parameters). */
  optionName?: OptionName;
  by?: GroupBy;
  /** Trend bucket in ms; chosen from the window when absent (at most ~60 buckets). */
  intervalMs?: number;
  baseline?: BaselineSpec;
  /** Required latency reduction for `pass`, percent (default 30, the platform requirement; `--fail-under-reduction`). */
  targetReductionPct?: number;
  /** The latency statistic the reduction verdict is judged on (default avg). */
  reductionMetric?: 'avg' | 'p95';
  /** Minimum decisions with a latency on each side for a verdict (default 30). */
  minSample?: number;
  /** `--fail-under-reduction PCT`: a gate on the verdict. */
  failUnderReductionPct?: number;
  /** `--fail-if-p95-over MS`. */
  failIfP95OverMs?: number;
  /** How percentiles are computed (same figures either way); `auto` by default. */
  quantileMethod?: QuantileMethod | 'auto';
}

/* ----------------------------------------------------------------------------------------------
 * SQL
 * -------------------------------------------------------------------------------------------- */

/** The figures both percentile methods read the same way: time span, outcomes, cheapest choice. */
const DECISION_SQL = `
    epoch_us(min(ts)) AS first_us,
    epoch_us(max(ts)) AS last_us,
    count(*) FILTER (WHERE outcome = 'scheduled') AS o_scheduled,
    count(*) FILTER (WHERE outcome = 'failed') AS o_failed,
    count(*) FILTER (WHERE outcome = 'pending') AS o_pending,
    count(*) FILTER (WHERE outcome IS NULL OR outcome NOT IN ('scheduled', 'failed', 'pending')) AS o_other,
    count(est_cost_per_hour) AS cost_n,
    count(*) FILTER (WHERE est_cost_per_hour IS NOT NULL AND (alt_min_cost IS NULL OR est_cost_per_hour <= alt_min_cost)) AS cheapest,
    count(*) FILTER (WHERE est_cost_per_hour > alt_min_cost) AS not_cheapest`;

/** Regret: how much dearer a decision is than its cheapest alternative, where it is. */
const REGRET = 'est_cost_per_hour - alt_min_cost';
const DEARER = 'est_cost_per_hour > alt_min_cost';

/** Aggregates over decision rows with DuckDB's quantile_cont (the "sort" method). */
const SORT_SQL = `
    count(*) AS decisions,
    count(exec_ms) AS lat_n,
    ${exactAvg('exec_ms')} AS lat_avg,
    quantile_cont(exec_ms, [0.5, 0.9, 0.95, 0.99]) AS lat_q,
    max(exec_ms) AS lat_max,
    ${exactAvg('est_cost_per_hour')} AS avg_cost,
    coalesce(${exactSum(REGRET, DEARER)}, 0) AS regret,${DECISION_SQL}`;

/** The latency percentiles reported. */
const QS = [0.5, 0.9, 0.95, 0.99] as const;

/**
 * Per (grouping set, key, latency value): the decision counts and sums. The
 * latency percentiles are then read off this histogram of exec_ms values with
 * the continuous definition of DuckDB's quantile_cont: with n samples,
 * rn = (n - 1) q, the value at rank floor(rn) plus (rn - floor(rn)) times the
 * step to the value at rank ceil(rn). Logged latencies repeat (whole
 * milliseconds), so the histogram is small: on 7M decisions this takes about
 * a fifth of the time quantile_cont's full sort needs, with identical results
 * (tested against quantile_cont).
 */
const HIST_SQL = `
    count(*) AS decisions,
    sum(${exactUnits('est_cost_per_hour')}) AS cost_units,
    sum(${exactUnits(REGRET)}) FILTER (WHERE ${DEARER}) AS regret_units,${DECISION_SQL}`;

const ROLLUP_SQL = `
    sum(decisions) AS decisions,
    any_value(lat_n) AS lat_n,
    ${fromUnits(`sum(${exactUnits('x')} * decisions)`)} / nullif(any_value(lat_n), 0) AS lat_avg,
    max(x) AS lat_max,
    min(first_us) AS first_us,
    max(last_us) AS last_us,
    sum(o_scheduled) AS o_scheduled,
    sum(o_failed) AS o_failed,
    sum(o_pending) AS o_pending,
    sum(o_other) AS o_other,
    sum(cost_n) AS cost_n,
    ${fromUnits('sum(cost_units)')} / nullif(sum(cost_n), 0) AS avg_cost,
    sum(cheapest) AS cheapest,
    sum(not_cheapest) AS not_cheapest,
    coalesce(${fromUnits('sum(regret_units)')}, 0) AS regret,
    ${QS.map(
      (q, i) =>
        `min(x) FILTER (WHERE upto > floor((lat_n - 1)::DOUBLE * ${q})) AS q${i}_lo, min(x) FILTER (WHERE upto > ceil((lat_n - 1)::DOUBLE * ${q})) AS q${i}_hi`,
    ).join(',\n    ')}`;

/** The continuous percentile from the two order statistics around rank (n - 1) q. */
function interpolate(lo: number | null, hi: number | null, n: number, q: number): number | null {
  if (lo === null || hi === null || n <= 0) return null;
  const rn = (n - 1) * q;
  const f = rn - Math.floor(rn);
  return f === 0 ? lo : lo + (hi - lo) * f;
}

function toStats(r: Row): DecisionStats {
  const decisions = numOrZero(r.decisions);
  const latN = numOrZero(r.lat_n);
  const list = r.lat_q as (number | null)[] | null | undefined;
  const q = list
    ? QS.map((_, i) => num(list[i]))
    : QS.map((p, i) => interpolate(num(r[`q${i}_lo`]), num(r[`q${i}_hi`]), latN, p));
  const outcomes: Record<string, number> = {
    scheduled: numOrZero(r.o_scheduled),
    failed: numOrZero(r.o_failed),
    pending: numOrZero(r.o_pending),
  };
  if (numOrZero(r.o_other)) outcomes.other = numOrZero(r.o_other);
  return {
    decisions,
    latency_ms: {
      avg: latN ? num(r.lat_avg) : null,
      p50: q[0]!,
      p90: q[1]!,
      p95: q[2]!,
      p99: q[3]!,
      max: latN ? num(r.lat_max) : null,
      samples: latN,
    },
    outcomes,
    success_rate: ratio(outcomes.scheduled!, decisions),
    cheapest_choice_rate: ratio(numOrZero(r.cheapest), numOrZero(r.cost_n)),
    not_cheapest: numOrZero(r.not_cheapest),
    regret_usd_per_hour: numOrZero(r.regret),
    avg_cost_usd_per_hour: num(r.avg_cost),
  };
}

const EMPTY_ROW: Row = { decisions: 0 };

/** A grouping of decisions: SQL over the events row, with its own parameters bound through `param`. */
export type QuantileMethod = 'histogram' | 'sort';

/** A grouping of decisions (doc above). */
export type GroupSql = (param: (v: string | number) => string) => string;

/**
 * Totals, and optionally per group (`group`) and per trend bucket (`bucketUs`),
 * of the decisions matching `filter`: one scan (GROUPING SETS), then a roll-up
 * of the latency histogram.
 */
export async function decisionAggregates(
  store: Store,
  filter: EventFilter,
  group: GroupSql | undefined,
  bucketUs: number | undefined,
  method: QuantileMethod = 'sort',
): Promise<{ total: Row; groups: Row[]; buckets: Row[] }> {
  const w = typeWhere('scheduling_decision', filter);
  const params: (string | number)[] = [...w.params];
  const param = (v: string | number) => (params.push(v), `$${params.length}`);
  const hist = method === 'histogram';
  const sets = [hist ? '(x)' : '()'];
  const inner = ['ts', 'exec_ms', 'outcome', 'est_cost_per_hour', 'alt_min_cost'];
  const keys: string[] = [];
  if (group) {
    inner.push(`${group(param)} AS g`);
    sets.push(hist ? '(g, x)' : '(g)');
    keys.push('grouping(g) AS gg', 'g');
  } else keys.push('1 AS gg', 'NULL AS g');
  if (bucketUs !== undefined) {
    inner.push(`epoch_us(ts) // ${param(bucketUs)}::BIGINT AS b`);
    sets.push(hist ? '(b, x)' : '(b)');
    keys.push('grouping(b) AS gb', 'b');
  } else keys.push('1 AS gb', 'NULL AS b');
  const src = `(SELECT ${inner.join(', ')}${hist ? ', exec_ms AS x' : ''} FROM events WHERE ${w.sql})`;
  const sql = hist
    ? `WITH h AS (
  SELECT ${keys.join(', ')}, x, ${HIST_SQL}
  FROM ${src}
  GROUP BY GROUPING SETS (${sets.join(', ')})
), c AS (
  SELECT *,
    sum(CASE WHEN x IS NOT NULL THEN decisions ELSE 0 END) OVER (PARTITION BY gg, gb, g, b ORDER BY x ASC NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
    sum(CASE WHEN x IS NOT NULL THEN decisions ELSE 0 END) OVER (PARTITION BY gg, gb, g, b) AS lat_n
  FROM h
)
SELECT gg, gb, g, b, ${ROLLUP_SQL}
FROM c GROUP BY gg, gb, g, b`
    : `SELECT ${keys.join(', ')}, ${SORT_SQL}
FROM ${src}
GROUP BY GROUPING SETS (${sets.join(', ')})`;
  const rows = await queryRows(store, sql, params);
  let total: Row = EMPTY_ROW;
  const groups: Row[] = [];
  const buckets: Row[] = [];
  for (const r of rows) {
    const gg = numOrZero(r.gg),
      gb = numOrZero(r.gb);
    if (gg && gb) total = r;
    else if (!gg) groups.push(r);
    else buckets.push(r);
  }
  return { total, groups, buckets };
}

/** DecisionStats of an aggregate row (exported for the cost analysis's policy comparison). */
export const decisionStats = (r: Row): DecisionStats => toStats(r);

/** First and last decision time of the selection (epoch µs) and how many distinct latencies it logs. */
export async function decisionProfile(
  store: Store,
  filter: EventFilter,
): Promise<{ first: number | null; last: number | null; latencies: number; distinct: number }> {
  const w = typeWhere('scheduling_decision', filter);
  const [r] = await queryRows(
    store,
    `SELECT epoch_us(min(ts)) AS f, epoch_us(max(ts)) AS l, count(exec_ms) AS n, approx_count_distinct(exec_ms) AS d
     FROM events WHERE ${w.sql}`,
    w.params,
  );
  return { first: num(r?.f), last: num(r?.l), latencies: numOrZero(r?.n), distinct: numOrZero(r?.d) };
}

/**
 * Percentiles come from the exact histogram of logged latencies when they
 * repeat (whole milliseconds, say): a few thousand distinct values make it
 * several times faster than sorting every value. Otherwise DuckDB's
 * quantile_cont sorts them. Both give the same figures.
 */
export function chooseQuantileMethod(distinct: number, keys: number): QuantileMethod {
  return distinct <= HISTOGRAM_MAX_DISTINCT && distinct * (1 + keys) <= HISTOGRAM_MAX_ROWS
    ? 'histogram'
    : 'sort';
}
/** `auto` (default) chooses by the number of distinct latencies. */
export function pickMethod(
  forced: QuantileMethod | 'auto' | undefined,
  distinct: number,
  keys: number,
): QuantileMethod {
  return forced && forced !== 'auto' ? forced : chooseQuantileMethod(distinct, keys);
}
const HISTOGRAM_MAX_DISTINCT = 5000;
const HISTOGRAM_MAX_ROWS = 1_000_000;

/* ----------------------------------------------------------------------------------------------
 * Analysis
 * -------------------------------------------------------------------------------------------- */

/** The decisions' window, the trend buckets over it and the percentile method. */
interface SchedulingPlan {
  win: Window;
  spanUs: number;
  intervalMs: number;
  bucketUs: number;
  method: QuantileMethod;
}

type Window = AnalysisWindow & { sinceUs: number | null; untilUs: number | null };

function checkOptions(opts: SchedulingOptions): void {
  const name = opts.optionName ?? flagName;
  if (opts.failUnderReductionPct !== undefined && !opts.baseline) {
    throw new UsageError(
      `${name('fail-under-reduction')} needs a baseline: ${name('baseline-since')}/${name('baseline-until')} or ${name('baseline-db')}`,
    );
  }
}

/** The window, and from it the trend interval; the latencies' spread picks the percentile method. */
async function planScheduling(store: Store, opts: SchedulingOptions): Promise<SchedulingPlan> {
  const { filter, by } = opts;
  const prof = await decisionProfile(store, filter);
  const win = makeWindow(filter, prof.first, prof.last, 'decision');
  const spanUs = win.sinceUs !== null && win.untilUs !== null ? Math.max(0, win.untilUs - win.sinceUs) : 0;
  const { intervalMs, bucketUs } = trendInterval(opts.intervalMs, spanUs, opts.optionName);
  const spanDays = Math.ceil(spanUs / 86_400e6) + 1;
  const groupKeys = by === 'day' ? spanDays : by ? 100 : 0;
  const method = pickMethod(opts.quantileMethod, prof.distinct, groupKeys + Math.ceil(spanUs / bucketUs) + 1);
  return { win, spanUs, intervalMs, bucketUs, method };
}

/** Groups, largest first (days in order). */
function groupsOf(rows: Row[], total: DecisionStats, by: GroupBy | undefined): SchedulingGroup[] {
  return rows
    .map((r) => {
      const s = toStats(r);
      return { key: str(r.g), ...s, share: ratio(s.decisions, total.decisions) };
    })
    .sort((a, b) =>
      by === 'day'
        ? String(a.key).localeCompare(String(b.key))
        : b.decisions - a.decisions || String(a.key).localeCompare(String(b.key)),
    );
}

/**
 * Trend: every bucket of the window (buckets.ts), empty ones as zero decisions. The window ends
 * at --until (exclusive) or just after the last decision.
 */
function trendOf(rows: Row[], win: Window, filter: EventFilter, intervalMs: number, bucketUs: number) {
  if (win.sinceUs === null || win.untilUs === null) return [];
  const endUs = filter.until !== undefined ? win.untilUs : win.untilUs + 1;
  const byBucket = new Map(rows.map((r) => [numOrZero(r.b), r]));
  return trendBuckets(win.sinceUs, endUs, bucketUs).map((b): TrendPoint => {
    const r = byBucket.get(b);
    const s = r ? toStats(r) : undefined;
    return {
      start: microsToIso(b * bucketUs),
      decisions: s?.decisions ?? 0,
      throughput_per_min: (s?.decisions ?? 0) / (intervalMs / 60_000),
      latency_avg_ms: s?.latency_ms.avg ?? null,
      latency_p95_ms: s?.latency_ms.p95 ?? null,
      success_rate: s?.success_rate ?? null,
      cheapest_choice_rate: s?.cheapest_choice_rate ?? null,
      regret_usd_per_hour: s?.regret_usd_per_hour ?? 0,
    };
  });
}

/** The baseline's figures, the change against them and the reduction verdict. */
interface BaselineOutcome {
  baseline: BaselineStats | null;
  change: SchedulingResult['change'];
  verdict: Verdict | null;
  verdictBasis: string | null;
}

/** The verdict's settings: required reduction, the statistic judged, the sample needed. */
const verdictRule = (opts: SchedulingOptions) => ({
  minSample: opts.minSample ?? DEFAULT_MIN_SAMPLE,
  target: opts.failUnderReductionPct ?? opts.targetReductionPct ?? DEFAULT_TARGET_REDUCTION_PCT,
  metric: opts.reductionMetric ?? 'avg',
});

async function compareBaseline(opts: SchedulingOptions, stats: DecisionStats): Promise<BaselineOutcome> {
  if (!opts.baseline) return { baseline: null, change: null, verdict: null, verdictBasis: null };
  const { minSample, target, metric } = verdictRule(opts);
  const { store, filter } = opts.baseline;
  const prof = await decisionProfile(store, filter);
  const agg = await decisionAggregates(
    store,
    filter,
    undefined,
    undefined,
    pickMethod(opts.quantileMethod, prof.distinct, 0),
  );
  const bStats = toStats(agg.total);
  const bWin = makeWindow(filter, num(agg.total.first_us), num(agg.total.last_us), 'baseline decision');
  const change = {
    avg_pct: pctChange(stats.latency_ms.avg, bStats.latency_ms.avg),
    p95_pct: pctChange(stats.latency_ms.p95, bStats.latency_ms.p95),
  };
  const chg = metric === 'avg' ? change.avg_pct : change.p95_pct;
  const verdict: Verdict =
    stats.latency_ms.samples < minSample || bStats.latency_ms.samples < minSample || chg === null
      ? 'insufficient-data'
      : -chg >= target
        ? 'pass'
        : 'fail';
  return {
    baseline: {
      db: store.path,
      window: stripUs(bWin),
      ...bStats,
      throughput_per_min: bWin.minutes ? bStats.decisions / bWin.minutes : null,
    },
    change,
    verdict,
    verdictBasis:
      `pass when ${metric} latency is reduced by at least ${target}% against the baseline ` +
      `(reduction = -change.${metric}_pct); needs at least ${minSample} decisions with execution_time_ms on each side ` +
      `(current ${stats.latency_ms.samples}, baseline ${bStats.latency_ms.samples})`,
  };
}

/** The CI gates asked for (--fail-under-reduction, --fail-if-p95-over). */
function gatesOf(opts: SchedulingOptions, stats: DecisionStats, b: BaselineOutcome): Gate[] {
  const gates: Gate[] = [];
  const { minSample, metric } = verdictRule(opts);
  const required = opts.failUnderReductionPct;
  if (required !== undefined) {
    const chg = b.change ? (metric === 'avg' ? b.change.avg_pct : b.change.p95_pct) : null;
    const reduction = chg === null ? null : -chg;
    gates.push({
      gate: '--fail-under-reduction',
      threshold: required,
      value: reduction,
      passed: b.verdict === 'pass',
      reason:
        b.verdict === 'pass'
          ? `${metric} latency reduced ${fmt(reduction)}% (required ${required}%)`
          : b.verdict === 'insufficient-data'
            ? `insufficient data: at least ${minSample} decisions with a latency are needed on each side (current ${stats.latency_ms.samples}, baseline ${b.baseline?.latency_ms.samples ?? 0})`
            : reduction !== null && reduction < 0
              ? `${metric} latency rose ${fmt(-reduction)}% (required: a ${required}% reduction)`
              : `${metric} latency reduced only ${fmt(reduction)}% (required ${required}%)`,
    });
  }
  const maxP95 = opts.failIfP95OverMs;
  if (maxP95 !== undefined) {
    const p95 = stats.latency_ms.p95;
    const passed = p95 !== null && p95 <= maxP95;
    gates.push({
      gate: '--fail-if-p95-over',
      threshold: maxP95,
      value: p95,
      passed,
      reason:
        p95 === null
          ? 'no decisions with execution_time_ms in the window: p95 latency unknown'
          : `p95 latency ${fmt(p95)} ms ${passed ? '<=' : '>'} ${maxP95} ms`,
    });
  }
  return gates;
}

function schedulingBasis(plan: SchedulingPlan): Record<string, string> {
  return {
    latency_ms: `execution_time_ms of each decision; ${QUANTILE_BASIS}; computed ${plan.method === 'histogram' ? 'from the exact histogram of the logged values (they repeat), the same figures quantile_cont gives' : 'with quantile_cont'}`,
    throughput: `decisions / window minutes; window ${plan.win.basis}`,
    success_rate: "decisions with outcome 'scheduled' (the default when not logged) / all decisions",
    cheapest_choice_rate:
      "decisions whose estimated_cost_per_hour <= the cheapest alternative's cost (or with no alternatives) / decisions with an estimated cost",
    regret_usd_per_hour:
      "sum over decisions dearer than their cheapest alternative of (estimated_cost_per_hour - cheapest alternative's cost), USD/h as logged",
    trend: `buckets of ${formatDuration(plan.intervalMs)} ${BUCKET_RULE}`,
  };
}

/** A baseline named by where its events are: another database (read-only, for the call) or this one. */
export interface BaselineAt {
  filter: EventFilter;
  /** The baseline database (--baseline-db); absent or this store's own path: this store. */
  db?: string;
  lockTimeoutMs?: number;
}

/**
 * analyzeScheduling with the baseline given by its database's path, so that the call can be sent
 * to a service (a Store cannot travel). `onOpen` sees the baseline store this opens (the command
 * puts it under its --timeout).
 */
export async function analyzeSchedulingAt(
  store: Store,
  opts: Omit<SchedulingOptions, 'baseline'> & { baseline?: BaselineAt },
  onOpen?: (baseline: Store) => void,
): Promise<SchedulingResult> {
  const { baseline, ...rest } = opts;
  if (!baseline) return analyzeScheduling(store, rest);
  const own = !baseline.db || path.resolve(baseline.db) === path.resolve(store.path);
  const other = own
    ? undefined
    : await openStore(baseline.db!, { readOnly: true, lockTimeoutMs: baseline.lockTimeoutMs });
  try {
    if (other) onOpen?.(other);
    return await analyzeScheduling(store, {
      ...rest,
      baseline: { store: other ?? store, filter: baseline.filter },
    });
  } finally {
    other?.close();
  }
}

export async function analyzeScheduling(store: Store, opts: SchedulingOptions): Promise<SchedulingResult> {
  const { filter, by } = opts;
  checkOptions(opts);
  const plan = await planScheduling(store, opts);
  const { win, intervalMs, bucketUs } = plan;
  const agg = await decisionAggregates(
    store,
    filter,
    by ? () => GROUP_EXPR[by] : undefined,
    bucketUs,
    plan.method,
  );
  const stats = toStats(agg.total);
  const throughputPerMin = win.minutes ? stats.decisions / win.minutes : null;
  const b = await compareBaseline(opts, stats);
  return {
    window: stripUs(win),
    ...stats,
    throughput_per_min: throughputPerMin,
    throughput_per_hour: throughputPerMin === null ? null : throughputPerMin * 60,
    group_by: by ?? null,
    groups: groupsOf(agg.groups, stats, by),
    interval: formatDuration(intervalMs),
    trend: stats.decisions > 0 ? trendOf(agg.buckets, win, filter, intervalMs, bucketUs) : [],
    baseline: b.baseline,
    change: b.change,
    verdict: b.verdict,
    verdict_basis: b.verdictBasis,
    gates: gatesOf(opts, stats, b),
    basis: schedulingBasis(plan),
  };
}

function stripUs(w: Window): AnalysisWindow {
  return { since: w.since, until: w.until, minutes: w.minutes, basis: w.basis };
}

const fmt = (v: number | null): string => (v === null ? '?' : Number(v.toFixed(2)).toString());
