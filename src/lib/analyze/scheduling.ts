/**
 * Scheduling performance: how fast and how well the meta-scheduler decides.
 *
 * One aggregate query over the typed columns of `scheduling_decision` rows
 * (GROUPING SETS: the totals, the `--by` breakdown and the trend buckets in
 * a single pass). Latency is `execution_time_ms`; percentiles are continuous
 * (DuckDB `quantile_cont`). Money is USD per hour as logged.
 */
import type { Store } from '../store/open.js';
import { num, numOrZero, queryRows, type Row } from '../store/sql.js';
import { buildWhere, type EventFilter } from '../query/filters.js';
import { UsageError } from '../errors.js';
import { microsToIso } from '../time.js';

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

/** Aggregates over decision rows with DuckDB's quantile_cont (the "sort" method). */
const SORT_SQL = `
    count(*) AS decisions,
    count(exec_ms) AS lat_n,
    avg(exec_ms) AS lat_avg,
    quantile_cont(exec_ms, [0.5, 0.9, 0.95, 0.99]) AS lat_q,
    max(exec_ms) AS lat_max,
    epoch_us(min(ts)) AS first_us,
    epoch_us(max(ts)) AS last_us,
    count(*) FILTER (WHERE outcome = 'scheduled') AS o_scheduled,
    count(*) FILTER (WHERE outcome = 'failed') AS o_failed,
    count(*) FILTER (WHERE outcome = 'pending') AS o_pending,
    count(*) FILTER (WHERE outcome IS NULL OR outcome NOT IN ('scheduled', 'failed', 'pending')) AS o_other,
    count(est_cost_per_hour) AS cost_n,
    avg(est_cost_per_hour) AS avg_cost,
    count(*) FILTER (WHERE est_cost_per_hour IS NOT NULL AND (alt_min_cost IS NULL OR est_cost_per_hour <= alt_min_cost)) AS cheapest,
    count(*) FILTER (WHERE est_cost_per_hour > alt_min_cost) AS not_cheapest,
    coalesce(sum(est_cost_per_hour - alt_min_cost) FILTER (WHERE est_cost_per_hour > alt_min_cost), 0) AS regret`;

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
    epoch_us(min(ts)) AS first_us,
    epoch_us(max(ts)) AS last_us,
    count(*) FILTER (WHERE outcome = 'scheduled') AS o_scheduled,
    count(*) FILTER (WHERE outcome = 'failed') AS o_failed,
    count(*) FILTER (WHERE outcome = 'pending') AS o_pending,
    count(*) FILTER (WHERE outcome IS NULL OR outcome NOT IN ('scheduled', 'failed', 'pending')) AS o_other,
    count(est_cost_per_hour) AS cost_n,
    sum(est_cost_per_hour) AS cost_sum,
    count(*) FILTER (WHERE est_cost_per_hour IS NOT NULL AND (alt_min_cost IS NULL OR est_cost_per_hour <= alt_min_cost)) AS cheapest,
    count(*) FILTER (WHERE est_cost_per_hour > alt_min_cost) AS not_cheapest,
    sum(est_cost_per_hour - alt_min_cost) FILTER (WHERE est_cost_per_hour > alt_min_cost) AS regret`;

const ROLLUP_SQL = `
    sum(decisions) AS decisions,
    any_value(lat_n) AS lat_n,
    sum(x * decisions) / nullif(any_value(lat_n), 0) AS lat_avg,
    max(x) AS lat_max,
    min(first_us) AS first_us,
    max(last_us) AS last_us,
    sum(o_scheduled) AS o_scheduled,
    sum(o_failed) AS o_failed,
    sum(o_pending) AS o_pending,
    sum(o_other) AS o_other,
    sum(cost_n) AS cost_n,
    sum(cost_sum) / nullif(sum(cost_n), 0) AS avg_cost,
    sum(cheapest) AS cheapest,
    sum(not_cheapest) AS not_cheapest,
    coalesce(sum(regret), 0) AS regret,
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

const INTERVALS: [string, number][] = [
  ['1m', 60_000],
  ['5m', 300_000],
  ['15m', 900_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['3h', 10_800_000],
  ['6h', 21_600_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
  ['7d', 604_800_000],
  ['30d', 2_592_000_000],
];
const MAX_BUCKETS = 100_000;
const AUTO_BUCKETS = 60;

/** `3600000` -> `1h`. */
export function formatInterval(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, f] of units) if (ms % f === 0) return `${ms / f}${u}`;
  return `${ms}ms`;
}

/** The smallest standard interval giving at most ~60 buckets over `spanUs`. */
export function autoInterval(spanUs: number): number {
  for (const [, ms] of INTERVALS) if (spanUs / (ms * 1000) <= AUTO_BUCKETS) return ms;
  return INTERVALS[INTERVALS.length - 1]![1];
}

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

export async function analyzeScheduling(store: Store, opts: SchedulingOptions): Promise<SchedulingResult> {
  const { filter, by } = opts;
  if (opts.failUnderReductionPct !== undefined && !opts.baseline) {
    throw new UsageError(
      '--fail-under-reduction needs a baseline: --baseline-since/--baseline-until or --baseline-db',
    );
  }
  if (opts.intervalMs !== undefined && !(opts.intervalMs >= 1000))
    throw new UsageError('--interval must be at least 1s');

  // The window, and from it the trend interval; the latencies' spread picks the percentile method.
  const prof = await decisionProfile(store, filter);
  const firstUs = prof.first;
  const lastUs = prof.last;
  const win = makeWindow(filter, firstUs, lastUs, 'decision');
  const spanUs = win.sinceUs !== null && win.untilUs !== null ? Math.max(0, win.untilUs - win.sinceUs) : 0;
  const intervalMs = opts.intervalMs ?? autoInterval(spanUs);
  const bucketUs = intervalMs * 1000;
  if (spanUs / bucketUs > MAX_BUCKETS) {
    throw new UsageError(
      `--interval ${formatInterval(intervalMs)} gives ${Math.ceil(spanUs / bucketUs).toLocaleString('en-US')} buckets over the window; choose a longer interval (at most ${MAX_BUCKETS.toLocaleString('en-US')} buckets)`,
    );
  }

  const spanDays = Math.ceil(spanUs / 86_400e6) + 1;
  const groupKeys = by === 'day' ? spanDays : by ? 100 : 0;
  const method = pickMethod(opts.quantileMethod, prof.distinct, groupKeys + Math.ceil(spanUs / bucketUs) + 1);
  const agg = await decisionAggregates(
    store,
    filter,
    by ? () => GROUP_EXPR[by] : undefined,
    bucketUs,
    method,
  );
  const stats = toStats(agg.total);
  const throughputPerMin = win.minutes ? stats.decisions / win.minutes : null;

  // Groups, largest first.
  const groups: SchedulingGroup[] = agg.groups
    .map((r) => ({
      key: r.g === null || r.g === undefined ? null : String(r.g),
      ...toStats(r),
      share: null as number | null,
    }))
    .map((g) => ({ ...g, share: ratio(g.decisions, stats.decisions) }))
    .sort((a, b) =>
      by === 'day'
        ? String(a.key).localeCompare(String(b.key))
        : b.decisions - a.decisions || String(a.key).localeCompare(String(b.key)),
    );

  // Trend: every bucket of the window, empty ones as zero decisions.
  const trend: TrendPoint[] = [];
  if (win.sinceUs !== null && win.untilUs !== null && stats.decisions > 0) {
    const byBucket = new Map<number, Row>();
    for (const r of agg.buckets) byBucket.set(numOrZero(r.b), r);
    const firstB = Math.floor(win.sinceUs / bucketUs);
    let lastB = Math.floor(win.untilUs / bucketUs);
    // --until is exclusive: a window ending exactly on a bucket boundary does not open that bucket.
    if (filter.until !== undefined && win.untilUs % bucketUs === 0 && lastB > firstB) lastB--;
    for (let b = firstB; b <= lastB; b++) {
      const r = byBucket.get(b);
      const s = r ? toStats(r) : undefined;
      trend.push({
        start: microsToIso(b * bucketUs),
        decisions: s?.decisions ?? 0,
        throughput_per_min: (s?.decisions ?? 0) / (intervalMs / 60_000),
        latency_avg_ms: s?.latency_ms.avg ?? null,
        latency_p95_ms: s?.latency_ms.p95 ?? null,
        success_rate: s?.success_rate ?? null,
        cheapest_choice_rate: s?.cheapest_choice_rate ?? null,
        regret_usd_per_hour: s?.regret_usd_per_hour ?? 0,
      });
    }
  }

  // Baseline and verdict.
  let baseline: BaselineStats | null = null;
  let change: SchedulingResult['change'] = null;
  let verdict: Verdict | null = null;
  let verdictBasis: string | null = null;
  const minSample = opts.minSample ?? DEFAULT_MIN_SAMPLE;
  const target = opts.failUnderReductionPct ?? opts.targetReductionPct ?? DEFAULT_TARGET_REDUCTION_PCT;
  const metric = opts.reductionMetric ?? 'avg';
  if (opts.baseline) {
    const bf = opts.baseline.filter;
    const bProf = await decisionProfile(opts.baseline.store, bf);
    const bAgg = await decisionAggregates(
      opts.baseline.store,
      bf,
      undefined,
      undefined,
      pickMethod(opts.quantileMethod, bProf.distinct, 0),
    );
    const bStats = toStats(bAgg.total);
    const bWin = makeWindow(bf, num(bAgg.total.first_us), num(bAgg.total.last_us), 'baseline decision');
    baseline = {
      db: opts.baseline.store.path,
      window: stripUs(bWin),
      ...bStats,
      throughput_per_min: bWin.minutes ? bStats.decisions / bWin.minutes : null,
    };
    change = {
      avg_pct: pctChange(stats.latency_ms.avg, bStats.latency_ms.avg),
      p95_pct: pctChange(stats.latency_ms.p95, bStats.latency_ms.p95),
    };
    const chg = metric === 'avg' ? change.avg_pct : change.p95_pct;
    if (stats.latency_ms.samples < minSample || bStats.latency_ms.samples < minSample || chg === null)
      verdict = 'insufficient-data';
    else verdict = -chg >= target ? 'pass' : 'fail';
    verdictBasis =
      `pass when ${metric} latency is reduced by at least ${target}% against the baseline ` +
      `(reduction = -change.${metric}_pct); needs at least ${minSample} decisions with execution_time_ms on each side ` +
      `(current ${stats.latency_ms.samples}, baseline ${bStats.latency_ms.samples})`;
  }

  // CI gates.
  const gates: Gate[] = [];
  if (opts.failUnderReductionPct !== undefined) {
    const chg = change ? (metric === 'avg' ? change.avg_pct : change.p95_pct) : null;
    const reduction = chg === null ? null : -chg;
    gates.push({
      gate: '--fail-under-reduction',
      threshold: opts.failUnderReductionPct,
      value: reduction,
      passed: verdict === 'pass',
      reason:
        verdict === 'pass'
          ? `${metric} latency reduced ${fmt(reduction)}% (required ${opts.failUnderReductionPct}%)`
          : verdict === 'insufficient-data'
            ? `insufficient data: at least ${minSample} decisions with a latency are needed on each side (current ${stats.latency_ms.samples}, baseline ${baseline?.latency_ms.samples ?? 0})`
            : reduction !== null && reduction < 0
              ? `${metric} latency rose ${fmt(-reduction)}% (required: a ${opts.failUnderReductionPct}% reduction)`
              : `${metric} latency reduced only ${fmt(reduction)}% (required ${opts.failUnderReductionPct}%)`,
    });
  }
  if (opts.failIfP95OverMs !== undefined) {
    const p95 = stats.latency_ms.p95;
    const passed = p95 !== null && p95 <= opts.failIfP95OverMs;
    gates.push({
      gate: '--fail-if-p95-over',
      threshold: opts.failIfP95OverMs,
      value: p95,
      passed,
      reason:
        p95 === null
          ? 'no decisions with execution_time_ms in the window: p95 latency unknown'
          : `p95 latency ${fmt(p95)} ms ${passed ? '<=' : '>'} ${opts.failIfP95OverMs} ms`,
    });
  }

  return {
    window: stripUs(win),
    ...stats,
    throughput_per_min: throughputPerMin,
    throughput_per_hour: throughputPerMin === null ? null : throughputPerMin * 60,
    group_by: by ?? null,
    groups,
    interval: formatInterval(intervalMs),
    trend,
    baseline,
    change,
    verdict,
    verdict_basis: verdictBasis,
    gates,
    basis: {
      latency_ms: `execution_time_ms of each decision; ${QUANTILE_BASIS}; computed ${method === 'histogram' ? 'from the exact histogram of the logged values (they repeat), the same figures quantile_cont gives' : 'with quantile_cont'}`,
      throughput: `decisions / window minutes; window ${win.basis}`,
      success_rate: "decisions with outcome 'scheduled' (the default when not logged) / all decisions",
      cheapest_choice_rate:
        "decisions whose estimated_cost_per_hour <= the cheapest alternative's cost (or with no alternatives) / decisions with an estimated cost",
      regret_usd_per_hour:
        "sum over decisions dearer than their cheapest alternative of (estimated_cost_per_hour - cheapest alternative's cost), USD/h as logged",
      trend: `buckets of ${formatInterval(intervalMs)} aligned to UTC (epoch multiples)`,
    },
  };
}

function stripUs(w: AnalysisWindow & { sinceUs: number | null; untilUs: number | null }): AnalysisWindow {
  return { since: w.since, until: w.until, minutes: w.minutes, basis: w.basis };
}

const fmt = (v: number | null): string => (v === null ? '?' : Number(v.toFixed(2)).toString());
