/**
 * Cost effects: what relocations saved (estimated and realised), what idle
 * capacity wasted, what reconfigurations added or removed, the energy saved,
 * and how these figures moved around a policy change.
 *
 * Every figure is an aggregate over typed columns (no JSON parsing at query
 * time). Money is USD per hour as logged; totals over time say which hours
 * they multiply. Percentiles are continuous (DuckDB `quantile_cont`).
 */
import type { Store } from '../store/open.js';
import { buildWhere, type EventFilter } from '../query/filters.js';
import { NotFoundError, UsageError } from '../errors.js';
import { flagName, type OptionName } from '../option-name.js';
import { formatDuration, microsToIso } from '../time.js';
import { closeMatches } from '../query/trace.js';
import { SEVERITY_RANK } from '../schema/columns.js';
import {
  decisionAggregates,
  decisionProfile,
  decisionStats,
  pickMethod,
  pctChange,
  QUANTILE_BASIS,
} from './scheduling.js';
import { BUCKET_RULE, checkIntervalFlag, trendBuckets, trendInterval } from './buckets.js';
import { dataExtent, resolveWindow, type ResolvedWindow, type WindowInfo } from './window.js';
import { exactAvg, exactSum, num, numOrZero, queryRows, str, type Row } from '../store/sql.js';

export const HOURS_PER_MONTH = 730;
export const DEFAULT_POLICY_WINDOW_MS = 7 * 86_400_000;

const COST_TYPES = ['workload_relocation', 'inefficiency_detected', 'cluster_reconfiguration'] as const;

export interface CostOptions {
  filter: EventFilter;
  /** How messages name the options (`--interval` by default; the service names query parameters). */
  optionName?: OptionName;
  /** Trend bucket in ms (chosen from the window when absent). */
  intervalMs?: number;
  /** `--around-policy POLICY_ID`. */
  aroundPolicy?: string;
  /** Length of each side of the policy comparison; default 7 days or the span available on both sides, whichever is shorter. */
  policyWindowMs?: number;
}

export interface SavingsByTrigger {
  trigger: string | null;
  /** Relocations with this trigger logged in the window. */
  count: number;
  estimated_savings_usd_per_hour: number;
  realized_savings_usd: number;
  run_rate_usd_per_hour: number;
}

/**
 * A relocation's saving is in effect from its time until the workload's next
 * relocation or placement (any scheduling_decision of it), else until the
 * window's end; only the hours inside the window count (see window.ts).
 */
export interface RelocationCost {
  /** Relocations logged in the window. */
  count: number;
  /** Sum of cost_saving_per_hour of the relocations logged in the window, as logged, USD/h (superseded ones included: not a rate in force). */
  estimated_savings_usd_per_hour: number;
  /** Sum of cost_saving_per_hour x the hours each saving was in effect inside the window, USD (relocations logged before the window count for their hours inside it). */
  realized_savings_usd: number;
  /** Sum of power_saving_watts of the relocations logged in the window, as logged. */
  power_saving_watts: number;
  /** Sum of the hours in effect inside the window. */
  hours_in_effect: number;
  /** At the window's end: the cost_saving_per_hour of each workload's latest relocation still in effect, summed (once per workload), USD/h. */
  run_rate_usd_per_hour: number;
  /** Workloads whose latest relocation is in effect at the window's end. */
  in_effect_at_end: number;
  /** Relocations logged before the window whose saving was in effect inside it. */
  in_effect_from_before: number;
  downtime_seconds: number;
  avg_migration_seconds: number | null;
  by_trigger: SavingsByTrigger[];
}

export interface WasteBucket {
  key: string | null;
  count: number;
  wasted_usd: number;
  idle_hours: number;
  avg_utilization_pct: number | null;
}

export interface WasteCost {
  /** Sum of wasted_cost_estimate, USD. */
  total_usd: number;
  count: number;
  idle_hours: number;
  by_cluster: WasteBucket[];
  by_type: WasteBucket[];
  by_severity: WasteBucket[];
  by_recommended_action: WasteBucket[];
  /** auto_action_taken true (auto), false (manual), not logged (unknown). */
  by_action: { auto: WasteBucket; manual: WasteBucket; unknown: WasteBucket };
}

export interface ReconfigAction {
  action: string | null;
  count: number;
  /** Sum of estimated_cost_per_hour as logged on these events, USD/h. */
  cost_usd_per_hour: number;
  node_count: number;
  clusters: number;
}

export interface ReconfigurationCost {
  count: number;
  /** cluster_created: sum of the new clusters' estimated_cost_per_hour, USD/h. */
  added_usd_per_hour: number;
  /** cluster_deleted: sum of the deleted clusters' estimated_cost_per_hour, USD/h. */
  removed_usd_per_hour: number;
  /** added - removed, USD/h (scaling not included; see `scaled`). */
  net_usd_per_hour: number;
  scaled: {
    count: number;
    /** Sum of the scaled clusters' estimated_cost_per_hour after scaling, as logged. */
    cost_usd_per_hour: number;
    /** Sum of (cost after - the same cluster's previously logged cost), where a previous cost is known. */
    delta_usd_per_hour: number;
    /** Scaling events with a previously logged cost for the cluster. */
    delta_known: number;
  };
  by_action: ReconfigAction[];
}

export interface CostTrendPoint {
  start: string;
  relocations: number;
  /** Sum of cost_saving_per_hour of the relocations logged in the bucket, USD/h as logged. */
  estimated_savings_usd_per_hour: number;
  /** Savings in effect during the bucket (the hours of the bucket inside the window), USD. */
  realized_savings_usd: number;
  wasted_usd: number;
  reconfigurations: number;
}

export interface PolicySide {
  from: string;
  until: string;
  decisions: number;
  /** Mean selected estimated_cost_per_hour of the decisions, USD/h. */
  avg_decision_cost_usd_per_hour: number | null;
  cheapest_choice_rate: number | null;
  regret_usd_per_hour: number;
  relocations: number;
  estimated_savings_usd_per_hour: number;
  inefficiencies: number;
  wasted_usd: number;
  latency_avg_ms: number | null;
  latency_p95_ms: number | null;
  success_rate: number | null;
}

export interface PolicyComparison {
  policy_id: string;
  policy_name: string | null;
  version: string | null;
  action: string | null;
  actor: string | null;
  at: string;
  /** Other policy_change events of this policy (the comparison is around the first applied/changed one). */
  other_changes: { at: string; action: string | null }[];
  window_hours: number;
  basis: string;
  before: PolicySide;
  after: PolicySide;
  /** Relative change after vs before, percent. */
  change: {
    avg_decision_cost_pct: number | null;
    estimated_savings_pct: number | null;
    wasted_pct: number | null;
    latency_avg_pct: number | null;
    latency_p95_pct: number | null;
  };
}

export interface CostResult {
  window: WindowInfo;
  relocations: RelocationCost;
  waste: WasteCost;
  reconfigurations: ReconfigurationCost;
  /** Sum of power_saving_watts x hours in effect inside the window / 1000 (the hours of realised savings). */
  energy_saved_kwh: number;
  /** relocations.run_rate_usd_per_hour: the savings rate in force at the window's end, USD/h. */
  run_rate_usd_per_hour: number;
  /** run_rate_usd_per_hour x 730 h. */
  monthly_projection_usd: number;
  interval: string;
  trend: CostTrendPoint[];
  policy_comparison: PolicyComparison | null;
  basis: Record<string, string>;
}

/** The filter without its time bounds (for windows computed here). */
const untimed = (f: EventFilter): EventFilter => ({ ...f, since: undefined, until: undefined });

/** `name IN ($k, ...)` for constant type names, appended to `params`. */
function typesIn(params: (string | number)[], types: readonly string[]): string {
  return `event_type IN (${types.map((t) => (params.push(t), `$${params.length}`)).join(', ')})`;
}

/** Append a filter's WHERE to `params` (numbering continues). */
function where(params: (string | number)[], f: EventFilter): string {
  const w = buildWhere(f, '', params.length + 1);
  params.push(...w.params);
  return w.sql;
}

function bucket(r: Row | undefined, key: string | null = null): WasteBucket {
  return {
    key,
    count: numOrZero(r?.cnt),
    wasted_usd: numOrZero(r?.usd),
    idle_hours: numOrZero(r?.idle),
    avg_utilization_pct: num(r?.util),
  };
}

const byUsd = (a: WasteBucket, b: WasteBucket) =>
  b.wasted_usd - a.wasted_usd || b.count - a.count || String(a.key).localeCompare(String(b.key));

export async function analyzeCost(store: Store, opts: CostOptions): Promise<CostResult> {
  const { filter } = opts;
  const name = opts.optionName ?? flagName;
  checkIntervalFlag(opts.intervalMs, name);
  if (opts.policyWindowMs !== undefined && !(opts.policyWindowMs > 0))
    throw new UsageError(`${name('policy-window')} must be a positive duration`);

  // The window: the requested span clipped to the stored data (window.ts); the trend's buckets over it.
  const win = resolveWindow({ since: filter.since, until: filter.until }, await dataExtent(store));
  const spanUs = win.startUs !== null && win.endUs !== null ? win.endUs - win.startUs : 0;
  const { intervalMs, bucketUs } = trendInterval(opts.intervalMs, spanUs, name);

  const rel = await relocationFigures(store, filter, win, bucketUs);
  const relocations = relocationCost(rel.rows);
  const waste = await wasteCost(store, filter);
  const reconfigurations = await reconfigurationCost(store, filter);
  const any = relocations.count + relocations.hours_in_effect + waste.count + reconfigurations.count > 0;
  const trend = !win.empty && any ? await costTrend(store, filter, win, bucketUs, rel.buckets) : [];
  const policy_comparison = opts.aroundPolicy
    ? await comparePolicy(store, filter, opts.aroundPolicy, opts.policyWindowMs)
    : null;

  const run = relocations.run_rate_usd_per_hour;
  return {
    window: win.info,
    relocations,
    waste,
    reconfigurations,
    energy_saved_kwh: numOrZero(rel.rows.find(isTotal)?.kwh),
    run_rate_usd_per_hour: run,
    monthly_projection_usd: run * HOURS_PER_MONTH,
    interval: formatDuration(intervalMs),
    trend,
    policy_comparison,
    basis: costBasis(win, relocations, intervalMs),
  };
}

/** The totals row of relocationFigures (the others are per trigger). */
const isTotal = (r: Row) => numOrZero(r.gt) === 1;

/** Relocations: logged figures over the window, savings in effect inside it, the run-rate at its end. */
function relocationCost(rows: Row[]): RelocationCost {
  const total = rows.find(isTotal);
  return {
    count: numOrZero(total?.cnt),
    estimated_savings_usd_per_hour: numOrZero(total?.est),
    realized_savings_usd: numOrZero(total?.realized),
    power_saving_watts: numOrZero(total?.watts),
    hours_in_effect: numOrZero(total?.hrs),
    run_rate_usd_per_hour: numOrZero(total?.run_rate),
    in_effect_at_end: numOrZero(total?.run_n),
    in_effect_from_before: numOrZero(total?.carried),
    downtime_seconds: numOrZero(total?.downtime),
    avg_migration_seconds: num(total?.migration),
    by_trigger: rows
      .filter((r) => !isTotal(r))
      .map((r) => ({
        trigger: str(r.trigger),
        count: numOrZero(r.cnt),
        estimated_savings_usd_per_hour: numOrZero(r.est),
        realized_savings_usd: numOrZero(r.realized),
        run_rate_usd_per_hour: numOrZero(r.run_rate),
      }))
      .sort(
        (a, b) =>
          b.estimated_savings_usd_per_hour - a.estimated_savings_usd_per_hour ||
          b.count - a.count ||
          b.realized_savings_usd - a.realized_savings_usd,
      ),
  };
}

/** The breakdowns of the waste, each a column of inefficiency_detected. */
const WASTE_DIMS = ['cluster_id', 'inefficiency_type', 'severity', 'recommended_action', 'auto_action'];

/** Waste: totals and every breakdown in one pass. */
async function wasteCost(store: Store, filter: EventFilter): Promise<WasteCost> {
  const wp: (string | number)[] = ['inefficiency_detected'];
  const ww = where(wp, filter);
  const rows = await queryRows(
    store,
    `SELECT ${WASTE_DIMS.map((d) => `grouping(${d}) AS "g_${d}", ${d}`).join(', ')},
            count(*) AS cnt, coalesce(${exactSum('wasted_cost')}, 0) AS usd, coalesce(${exactSum('idle_hours')}, 0) AS idle, ${exactAvg('utilization_pct')} AS util
     FROM events WHERE event_type = $1 AND ${ww}
     GROUP BY GROUPING SETS ((), ${WASTE_DIMS.map((d) => `(${d})`).join(', ')})`,
    wp,
  );
  const by = (dim: string): Row[] => rows.filter((r) => numOrZero(r[`g_${dim}`]) === 0);
  const total = rows.find((r) => WASTE_DIMS.every((d) => numOrZero(r[`g_${d}`]) === 1));
  const list = (dim: string) =>
    by(dim)
      .map((r) => bucket(r, str(r[dim])))
      .sort(byUsd);
  const actions = by('auto_action');
  const action = (v: boolean | null, key: string) =>
    bucket(
      actions.find((r) => r.auto_action === v),
      key,
    );
  const rank = (b: WasteBucket) => SEVERITY_RANK[String(b.key)] ?? 0;
  return {
    total_usd: numOrZero(total?.usd),
    count: numOrZero(total?.cnt),
    idle_hours: numOrZero(total?.idle),
    by_cluster: list('cluster_id'),
    by_type: list('inefficiency_type'),
    by_severity: list('severity').sort((a, b) => rank(b) - rank(a)),
    by_recommended_action: list('recommended_action'),
    by_action: {
      auto: action(true, 'auto'),
      manual: action(false, 'manual'),
      unknown: action(null, 'unknown'),
    },
  };
}

/**
 * Reconfigurations: capacity added/removed; scaling compared with the cluster's previous logged
 * cost (sums in the log's order: the window function hands rows over in no fixed order).
 */
async function reconfigurationCost(store: Store, filter: EventFilter): Promise<ReconfigurationCost> {
  // The raw JSON is carried through the window query only when --grep/--where need it.
  const rawCol = filter.grep || filter.where?.length ? 'raw, ' : '';
  const cp: (string | number)[] = ['cluster_reconfiguration'];
  const cInner = where(cp, { until: filter.until });
  const cOuter = where(cp, filter);
  const rows = await queryRows(
    store,
    `WITH r AS (
       SELECT ts, seq, event_type, workload_id, cluster_id, severity, ${rawCol}action, node_count, cluster_cost_per_hour,
              lag(cluster_cost_per_hour) OVER (PARTITION BY cluster_id ORDER BY ts, seq) AS prev_cost
       FROM events WHERE event_type = $1 AND ${cInner}
     )
     SELECT action, count(*) AS cnt, coalesce(sum(cluster_cost_per_hour ORDER BY seq), 0) AS usd,
            coalesce(sum(node_count), 0) AS nodes, count(DISTINCT cluster_id) AS clusters,
            coalesce(sum(cluster_cost_per_hour - prev_cost ORDER BY seq), 0) AS delta, count(cluster_cost_per_hour - prev_cost) AS delta_n
     FROM r WHERE ${cOuter} GROUP BY action`,
    cp,
  );
  const of = (a: string) => rows.find((r) => r.action === a);
  const added = numOrZero(of('cluster_created')?.usd);
  const removed = numOrZero(of('cluster_deleted')?.usd);
  const scaled = of('cluster_scaled');
  return {
    count: rows.reduce((s, r) => s + numOrZero(r.cnt), 0),
    added_usd_per_hour: added,
    removed_usd_per_hour: removed,
    net_usd_per_hour: added - removed,
    scaled: {
      count: numOrZero(scaled?.cnt),
      cost_usd_per_hour: numOrZero(scaled?.usd),
      delta_usd_per_hour: numOrZero(scaled?.delta),
      delta_known: numOrZero(scaled?.delta_n),
    },
    by_action: rows
      .map((r) => ({
        action: str(r.action),
        count: numOrZero(r.cnt),
        cost_usd_per_hour: numOrZero(r.usd),
        node_count: numOrZero(r.nodes),
        clusters: numOrZero(r.clusters),
      }))
      .sort((a, b) => b.count - a.count || String(a.action).localeCompare(String(b.action))),
  };
}

/** Trend over the window: logged figures per bucket and the savings in effect during it (`saved`). */
async function costTrend(
  store: Store,
  filter: EventFilter,
  win: ResolvedWindow,
  bucketUs: number,
  saved: Map<number, number>,
): Promise<CostTrendPoint[]> {
  const tp: (string | number)[] = [];
  const ti = typesIn(tp, COST_TYPES);
  const tf = where(tp, filter);
  tp.push(bucketUs);
  const rows = await queryRows(
    store,
    `SELECT epoch_us(ts) // $${tp.length}::BIGINT AS b,
            count(*) FILTER (WHERE event_type = 'workload_relocation') AS rel,
            coalesce(${exactSum('cost_saving_per_hour')}, 0) AS est,
            coalesce(${exactSum('wasted_cost')}, 0) AS waste,
            count(*) FILTER (WHERE event_type = 'cluster_reconfiguration') AS rec
     FROM events WHERE ${ti} AND ${tf} GROUP BY b`,
    tp,
  );
  const m = new Map(rows.map((r) => [numOrZero(r.b), r]));
  return trendBuckets(win.startUs!, win.endUs!, bucketUs).map((b) => {
    const r = m.get(b);
    return {
      start: microsToIso(b * bucketUs),
      relocations: numOrZero(r?.rel),
      estimated_savings_usd_per_hour: numOrZero(r?.est),
      realized_savings_usd: saved.get(b) ?? 0,
      wasted_usd: numOrZero(r?.waste),
      reconfigurations: numOrZero(r?.rec),
    };
  });
}

function costBasis(
  win: ResolvedWindow,
  relocations: RelocationCost,
  intervalMs: number,
): Record<string, string> {
  const run = relocations.run_rate_usd_per_hour;
  return {
    window: win.info.basis,
    estimated_savings_usd_per_hour: `sum of cost_saving_per_hour of the ${relocations.count} relocations logged in the window, USD/h as logged; relocations later superseded are included, so this is not a rate in force (see run_rate_usd_per_hour)`,
    realized_savings_usd: `each relocation's cost_saving_per_hour x the hours its saving was in effect inside the window: ${IN_EFFECT}; ${fig(relocations.hours_in_effect)} h in effect in all, ${relocations.in_effect_from_before} of the relocations logged before the window (USD)`,
    run_rate_usd_per_hour: `at the window's end (${win.info.until ?? '-'}): the cost_saving_per_hour of each workload's latest relocation still in effect (no relocation or placement of the workload after it), counted once per workload: ${relocations.in_effect_at_end} workloads, ${fig(run)} USD/h`,
    energy_saved_kwh: "each relocation's power_saving_watts x the same hours in effect / 1000 (kWh)",
    monthly_projection_usd: `monthly = run-rate ${fig(run)} USD/h x ${HOURS_PER_MONTH} h`,
    waste:
      'sum of wasted_cost_estimate of the inefficiency_detected events (USD, as logged); auto = auto_action_taken true, manual = false, unknown = not logged',
    reconfigurations:
      "estimated_cost_per_hour of the cluster as logged: cluster_created adds it, cluster_deleted removes it; cluster_scaled is reported separately, with the change against the same cluster's previously logged cost",
    trend: `buckets of ${formatDuration(intervalMs)} ${BUCKET_RULE}, over the window; realized_savings_usd = the savings in effect during each bucket (they add up to relocations.realized_savings_usd)`,
    policy_comparison: `equal windows before and after the policy change; latency percentiles are ${QUANTILE_BASIS}`,
  };
}

/** When a relocation's saving is in effect (the basis of realised savings, energy and the run-rate). */
export const IN_EFFECT =
  "from the relocation's time until the workload's next relocation or placement (any scheduling_decision of it), else until the window's end (never past the newest stored event or --until)";

/** A figure in a basis text: at most 4 decimals, no trailing zeros. */
const fig = (v: number) => String(Number(v.toFixed(4)));

/**
 * Every relocation's saving in effect, in one pass over the relocations and the placements
 * (scheduling decisions) logged before the window's end: one window function over both finds
 * each relocation's successor, the workload's next relocation or placement. It sorts only keys
 * (the workload as a number, time, seq) of the workloads that have relocations, and the
 * relocations' figures join it after (on a 10M-event store, medians of three runs on the loaded
 * 2-core machine: 6.0 s against 7.6 s for the window over the full rows; the sort is most of it). `iv` holds one row
 * per relocation that matches the filter (its time bounds aside), with its trigger and
 * - `in_window`: logged inside the window;
 * - `from_us`, `to_us`: the part of [its time, its successor) inside the window (none when
 *   to_us <= from_us);
 * - `open`: no successor before the window's end (in effect at the end of a non-empty window).
 *
 * From it, the totals (`kind` = 'total', gt = 1) and per trigger (gt = 0), and per trend bucket
 * (`kind` = 'bucket') the changes of the rate in force: as a step function of time (up by the
 * rate when a saving takes effect, down when it ends), a bucket's savings are the rate in force
 * at its start x its length, plus each change inside it x the time from the change to the
 * bucket's end.
 *
 * Amounts are summed as exact integers (micro-USD/h, milliwatts and microseconds, products in
 * HUGEINT), so the order in which DuckDB's threads deliver the rows cannot change a digit: the
 * same store gives the same figures in every command and every run.
 */
async function relocationFigures(
  store: Store,
  filter: EventFilter,
  win: ResolvedWindow,
  bucketUs: number,
): Promise<{ rows: Row[]; buckets: Map<number, number> }> {
  const buckets = new Map<number, number>();
  if (win.startUs === null || win.endUs === null) return { rows: [], buckets };
  const p: (string | number)[] = [];
  const sel = where(p, untimed(filter));
  p.push(win.startUs, win.endUs, bucketUs);
  const [S, E, B] = [p.length - 2, p.length - 1, p.length].map((i) => `$${i}::BIGINT`);
  const micro = (col: string, scale = 1e6) => `round(${col} * ${scale})::BIGINT`;
  const rows = await queryRows(
    store,
    `WITH ids AS (
       -- the workloads with relocations, numbered: the successor search sorts integers, not ids
       SELECT workload_id, row_number() OVER () AS w FROM (
         SELECT DISTINCT workload_id FROM events
         WHERE event_type = 'workload_relocation' AND ts < make_timestamp(${E}) AND workload_id IS NOT NULL)
     ), mk AS (
       -- the moves (relocations and placements) of those workloads (and of none: NULL is one
       -- workload, as PARTITION BY has it), keys only
       SELECT e.seq, epoch_us(e.ts) AS t, coalesce(i.w, 0) AS w, e.event_type = 'workload_relocation' AS is_rel
       FROM events e LEFT JOIN ids i ON i.workload_id = e.workload_id
       WHERE e.event_type IN ('workload_relocation', 'scheduling_decision') AND e.ts < make_timestamp(${E})
         AND (i.w IS NOT NULL OR e.workload_id IS NULL)
     ), nx AS (
       SELECT seq, lead(t) OVER (PARTITION BY w ORDER BY t, seq) AS next_us FROM mk QUALIFY is_rel
     ), iv AS MATERIALIZED (
       SELECT trigger, rate, mw, down, mig, epoch_us(ts) >= ${S} AS in_window,
              next_us IS NULL AND ${E} > ${S} AS open,
              greatest(epoch_us(ts), ${S}) AS from_us, least(coalesce(next_us, ${E}), ${E}) AS to_us
       FROM (
         SELECT seq, ts, trigger, ${micro('cost_saving_per_hour')} AS rate,
                ${micro('power_saving_watts', 1e3)} AS mw, ${micro('downtime_seconds')} AS down,
                ${micro('migration_seconds')} AS mig
         FROM events WHERE event_type = 'workload_relocation' AND ts < make_timestamp(${E}) AND (${sel})
       ) JOIN nx USING (seq)
     ), d AS (
       SELECT from_us AS t, rate AS dr FROM iv WHERE to_us > from_us AND rate IS NOT NULL
       UNION ALL
       SELECT to_us AS t, -rate AS dr FROM iv WHERE to_us > from_us AND rate IS NOT NULL
     )
     SELECT 'total' AS kind, grouping(trigger) AS gt, trigger,
            count(*) FILTER (WHERE in_window) AS cnt,
            coalesce(sum(rate) FILTER (WHERE in_window), 0)::DOUBLE / 1e6 AS est,
            coalesce(sum(rate::HUGEINT * us), 0)::DOUBLE / 3.6e15 AS realized,
            coalesce(sum(mw) FILTER (WHERE in_window), 0)::DOUBLE / 1e3 AS watts,
            coalesce(sum(mw::HUGEINT * us), 0)::DOUBLE / 3.6e15 AS kwh,
            coalesce(sum(us), 0)::DOUBLE / 3.6e9 AS hrs,
            coalesce(sum(rate) FILTER (WHERE open), 0)::DOUBLE / 1e6 AS run_rate,
            count(*) FILTER (WHERE open) AS run_n,
            count(*) FILTER (WHERE NOT in_window AND us > 0) AS carried,
            coalesce(sum(down) FILTER (WHERE in_window), 0)::DOUBLE / 1e6 AS downtime,
            (sum(mig) FILTER (WHERE in_window))::DOUBLE / 1e6 / count(mig) FILTER (WHERE in_window) AS migration
     FROM (SELECT *, greatest(0, to_us - from_us) AS us FROM iv)
     WHERE in_window OR us > 0
     GROUP BY GROUPING SETS ((), (trigger))
     UNION ALL BY NAME
     SELECT 'bucket' AS kind, t // ${B} AS b, sum(dr) AS sd, sum(dr::HUGEINT * ((t // ${B} + 1) * ${B} - t)) AS sx
     FROM d GROUP BY b`,
    p,
  );
  // The rate in force at each bucket's start, in micro-USD/h; products exact as BigInt.
  const steps = new Map(
    rows.filter((r) => r.kind === 'bucket').map((r) => [numOrZero(r.b), { sd: big(r.sd), sx: big(r.sx) }]),
  );
  const len = BigInt(bucketUs);
  let rate = 0n;
  for (const b of trendBuckets(win.startUs, win.endUs, bucketUs)) {
    const st = steps.get(b);
    buckets.set(b, Number(rate * len + (st?.sx ?? 0n)) / 3.6e15);
    rate += st?.sd ?? 0n;
  }
  return { rows: rows.filter((r) => r.kind === 'total'), buckets };
}

/** A DuckDB integer (BIGINT/HUGEINT arrive as bigint) as a BigInt; null as 0. */
const big = (v: unknown): bigint =>
  v === null || v === undefined ? 0n : typeof v === 'bigint' ? v : BigInt(Math.round(Number(v)));

/** The policy_change events of a policy, in time order; a NotFoundError (with suggestions) when none. */
async function policyEvents(store: Store, policyId: string): Promise<Row[]> {
  const events = await queryRows(
    store,
    `SELECT epoch_us(ts) AS t, action, policy_name, policy_version, actor FROM events
     WHERE event_type = 'policy_change' AND policy_id = $1 ORDER BY ts, seq`,
    [policyId],
  );
  if (events.length) return events;
  const close = await closeMatches(store, 'policy_id', policyId);
  throw new NotFoundError(
    `no policy_change event for policy "${policyId}"` +
      (close.length ? `; did you mean: ${close.join(', ')}?` : ''),
  );
}

/** The length of each side around the change at `t0`: --policy-window, else 7 days or what the data has on both sides. */
async function policySpan(
  store: Store,
  t0: number,
  windowMs: number | undefined,
): Promise<{ lenUs: number; basis: string }> {
  const at = microsToIso(t0);
  if (windowMs !== undefined)
    return {
      lenUs: windowMs * 1000,
      basis: `--policy-window ${formatDuration(windowMs)} on each side of the policy change at ${at}`,
    };
  const ext = await dataExtent(store);
  const avail = Math.min(t0 - (ext.firstUs ?? 0), (ext.newestUs ?? 0) + 1 - t0);
  const lenUs = Math.max(0, Math.min(DEFAULT_POLICY_WINDOW_MS * 1000, avail));
  return {
    lenUs,
    basis:
      lenUs === DEFAULT_POLICY_WINDOW_MS * 1000
        ? `7 days on each side of the policy change at ${at}`
        : `the span available on both sides of the policy change at ${at} (${(lenUs / 3600e6).toFixed(2)} h each; shorter than the 7-day default)`,
  };
}

/** The figures before and after `t0`, each side `lenUs` long. */
async function policySides(
  store: Store,
  filter: EventFilter,
  t0: number,
  lenUs: number,
): Promise<{ before: PolicySide; after: PolicySide }> {
  // Decisions: cost, cheapest choice, regret, latency (percentiles as in analyze scheduling), per side.
  const sidesFilter: EventFilter = { ...untimed(filter), since: t0 - lenUs, until: t0 + lenUs };
  const prof = await decisionProfile(store, sidesFilter);
  const dec = await decisionAggregates(
    store,
    sidesFilter,
    (param) => `ts >= make_timestamp(${param(t0)}::BIGINT)`,
    undefined,
    pickMethod('auto', prof.distinct, 2),
  );
  // Relocations and waste, per side.
  const p: (string | number)[] = [];
  const ti = typesIn(p, ['workload_relocation', 'inefficiency_detected']);
  const fw = where(p, sidesFilter);
  p.push(t0);
  const rows = await queryRows(
    store,
    `SELECT ts >= make_timestamp($${p.length}::BIGINT) AS after,
            count(*) FILTER (WHERE event_type = 'workload_relocation') AS rel,
            coalesce(${exactSum('cost_saving_per_hour', "event_type = 'workload_relocation'")}, 0) AS est,
            count(*) FILTER (WHERE event_type = 'inefficiency_detected') AS ineff,
            coalesce(${exactSum('wasted_cost', "event_type = 'inefficiency_detected'")}, 0) AS waste
     FROM events WHERE ${ti} AND ${fw}
     GROUP BY ALL`,
    p,
  );
  const side = (after: boolean): PolicySide => {
    const r = rows.find((x) => x.after === after);
    const s = decisionStats(dec.groups.find((x) => x.g === after) ?? { decisions: 0 });
    return {
      from: microsToIso(after ? t0 : t0 - lenUs),
      until: microsToIso(after ? t0 + lenUs : t0),
      decisions: s.decisions,
      avg_decision_cost_usd_per_hour: s.avg_cost_usd_per_hour,
      cheapest_choice_rate: s.cheapest_choice_rate,
      regret_usd_per_hour: s.regret_usd_per_hour,
      relocations: numOrZero(r?.rel),
      estimated_savings_usd_per_hour: numOrZero(r?.est),
      inefficiencies: numOrZero(r?.ineff),
      wasted_usd: numOrZero(r?.waste),
      latency_avg_ms: s.latency_ms.avg,
      latency_p95_ms: s.latency_ms.p95,
      success_rate: s.success_rate,
    };
  };
  return { before: side(false), after: side(true) };
}

async function comparePolicy(
  store: Store,
  filter: EventFilter,
  policyId: string,
  windowMs?: number,
): Promise<PolicyComparison> {
  const events = await policyEvents(store, policyId);
  const ev = events.find((e) => e.action === 'applied' || e.action === 'changed') ?? events[0]!;
  const t0 = numOrZero(ev.t);
  const { lenUs, basis } = await policySpan(store, t0, windowMs);
  const { before, after } = await policySides(store, filter, t0, lenUs);
  return {
    policy_id: policyId,
    policy_name: str(ev.policy_name),
    version: str(ev.policy_version),
    action: str(ev.action),
    actor: str(ev.actor),
    at: microsToIso(t0),
    other_changes: events
      .filter((e) => e !== ev)
      .map((e) => ({ at: microsToIso(numOrZero(e.t)), action: str(e.action) })),
    window_hours: lenUs / 3600e6,
    basis,
    before,
    after,
    change: {
      avg_decision_cost_pct: pctChange(
        after.avg_decision_cost_usd_per_hour,
        before.avg_decision_cost_usd_per_hour,
      ),
      estimated_savings_pct: pctChange(
        after.estimated_savings_usd_per_hour,
        before.estimated_savings_usd_per_hour,
      ),
      wasted_pct: pctChange(after.wasted_usd, before.wasted_usd),
      latency_avg_pct: pctChange(after.latency_avg_ms, before.latency_avg_ms),
      latency_p95_pct: pctChange(after.latency_p95_ms, before.latency_p95_ms),
    },
  };
}
