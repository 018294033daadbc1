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
import { microsToIso } from '../time.js';
import { closeMatches } from '../query/trace.js';
import {
  autoInterval,
  decisionAggregates,
  decisionProfile,
  decisionStats,
  pickMethod,
  formatInterval,
  makeWindow,
  n,
  n0,
  pctChange,
  query,
  type AnalysisWindow,
  type Row,
  QUANTILE_BASIS,
} from './scheduling.js';

export const HOURS_PER_MONTH = 730;
export const DEFAULT_POLICY_WINDOW_MS = 7 * 86_400_000;

const COST_TYPES = ['workload_relocation', 'inefficiency_detected', 'cluster_reconfiguration'] as const;

export interface CostOptions {
  filter: EventFilter;
  /** Trend bucket in ms (chosen from the window when absent). */
  intervalMs?: number;
  /** `--around-policy POLICY_ID`. */
  aroundPolicy?: string;
  /** Length of each side of the policy comparison; default 7 days or the span available on both sides, whichever is shorter. */
  policyWindowMs?: number;
}

export interface SavingsByTrigger {
  trigger: string | null;
  count: number;
  estimated_savings_usd_per_hour: number;
  realized_savings_usd: number;
}

export interface RelocationCost {
  count: number;
  /** Sum of cost_saving_per_hour as logged, USD/h. */
  estimated_savings_usd_per_hour: number;
  /** Sum of cost_saving_per_hour x hours in effect (until the workload's next relocation or the end of the window), USD. */
  realized_savings_usd: number;
  /** Sum of power_saving_watts as logged. */
  power_saving_watts: number;
  /** Sum of the hours each relocation was in effect. */
  hours_in_effect: number;
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
  estimated_savings_usd_per_hour: number;
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
  window: AnalysisWindow;
  relocations: RelocationCost;
  waste: WasteCost;
  reconfigurations: ReconfigurationCost;
  /** Sum of power_saving_watts x hours in effect / 1000 (the same hours as realised savings). */
  energy_saved_kwh: number;
  /** relocations.estimated_savings_usd_per_hour x 730 h. */
  monthly_projection_usd: number;
  interval: string;
  trend: CostTrendPoint[];
  policy_comparison: PolicyComparison | null;
  basis: Record<string, string>;
}

/** The filter without its time bounds (for windows computed here). */
const untimed = (f: EventFilter): EventFilter => ({ ...f, since: undefined, until: undefined });
const timeOnly = (f: EventFilter): EventFilter => ({ since: f.since, until: f.until });

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
    count: n0(r?.cnt),
    wasted_usd: n0(r?.usd),
    idle_hours: n0(r?.idle),
    avg_utilization_pct: n(r?.util),
  };
}

const byUsd = (a: WasteBucket, b: WasteBucket) =>
  b.wasted_usd - a.wasted_usd || b.count - a.count || String(a.key).localeCompare(String(b.key));

export async function analyzeCost(store: Store, opts: CostOptions): Promise<CostResult> {
  const { filter } = opts;
  if (opts.intervalMs !== undefined && !(opts.intervalMs >= 1000))
    throw new UsageError('--interval must be at least 1s');
  if (opts.policyWindowMs !== undefined && !(opts.policyWindowMs > 0))
    throw new UsageError('--policy-window must be a positive duration');

  // Window: --since, else the first matching cost event; --until, else the newest stored event (the log's "now").
  const sp: (string | number)[] = [];
  const inTypes = typesIn(sp, COST_TYPES);
  const fw = where(sp, filter);
  const tw = where(sp, { until: filter.until });
  const [span] = await query(
    store,
    `SELECT epoch_us(min(ts) FILTER (WHERE ${inTypes} AND ${fw})) AS f, epoch_us(max(ts) FILTER (WHERE ${tw})) AS l FROM events`,
    sp,
  );
  const win = makeWindow(filter, n(span?.f), n(span?.l), 'event');
  const endUs = win.untilUs ?? 0;

  // The raw JSON is carried through the window queries only when --grep/--where need it.
  const rawCol = filter.grep || filter.where?.length ? 'raw, ' : '';

  // Relocations: realised savings need each relocation's successor for the same workload.
  const rp: (string | number)[] = ['workload_relocation'];
  const innerW = where(rp, timeOnly(filter));
  const outerW = where(rp, untimed(filter));
  rp.push(endUs);
  const endP = `make_timestamp($${rp.length}::BIGINT)`;
  const relRows = await query(
    store,
    `WITH r AS (
       SELECT ts, seq, event_type, workload_id, cluster_id, severity, ${rawCol}trigger,
              cost_saving_per_hour, power_saving_watts, migration_seconds, downtime_seconds,
              lead(ts) OVER (PARTITION BY workload_id ORDER BY ts, seq) AS next_ts
       FROM events WHERE event_type = $1 AND ${innerW}
     ), h AS (
       SELECT *, greatest(0, epoch_us(least(coalesce(next_ts, ${endP}), ${endP})) - epoch_us(ts)) / 3600e6 AS hrs
       FROM r WHERE ${outerW}
     )
     SELECT grouping(trigger) AS gt, trigger, count(*) AS cnt,
            coalesce(sum(cost_saving_per_hour), 0) AS est,
            coalesce(sum(cost_saving_per_hour * hrs), 0) AS realized,
            coalesce(sum(power_saving_watts), 0) AS watts,
            coalesce(sum(power_saving_watts * hrs), 0) / 1000 AS kwh,
            coalesce(sum(hrs), 0) AS hrs,
            coalesce(sum(downtime_seconds), 0) AS downtime,
            avg(migration_seconds) AS migration
     FROM h GROUP BY GROUPING SETS ((), (trigger))`,
    rp,
  );
  const relTotal = relRows.find((r) => n0(r.gt) === 1);
  const relocations: RelocationCost = {
    count: n0(relTotal?.cnt),
    estimated_savings_usd_per_hour: n0(relTotal?.est),
    realized_savings_usd: n0(relTotal?.realized),
    power_saving_watts: n0(relTotal?.watts),
    hours_in_effect: n0(relTotal?.hrs),
    downtime_seconds: n0(relTotal?.downtime),
    avg_migration_seconds: n(relTotal?.migration),
    by_trigger: relRows
      .filter((r) => n0(r.gt) === 0)
      .map((r) => ({
        trigger: r.trigger === null ? null : String(r.trigger),
        count: n0(r.cnt),
        estimated_savings_usd_per_hour: n0(r.est),
        realized_savings_usd: n0(r.realized),
      }))
      .sort(
        (a, b) => b.estimated_savings_usd_per_hour - a.estimated_savings_usd_per_hour || b.count - a.count,
      ),
  };

  // Waste: totals and every breakdown in one pass.
  const wp: (string | number)[] = ['inefficiency_detected'];
  const ww = where(wp, filter);
  const dims = ['cluster_id', 'inefficiency_type', 'severity', 'recommended_action', 'auto_action'];
  const wasteRows = await query(
    store,
    `SELECT ${dims.map((d) => `grouping(${d}) AS "g_${d}", ${d}`).join(', ')},
            count(*) AS cnt, coalesce(sum(wasted_cost), 0) AS usd, coalesce(sum(idle_hours), 0) AS idle, avg(utilization_pct) AS util
     FROM events WHERE event_type = $1 AND ${ww}
     GROUP BY GROUPING SETS ((), ${dims.map((d) => `(${d})`).join(', ')})`,
    wp,
  );
  const wasteBy = (dim: string): Row[] => wasteRows.filter((r) => n0(r[`g_${dim}`]) === 0);
  const wasteTotal = wasteRows.find((r) => dims.every((d) => n0(r[`g_${d}`]) === 1));
  const list = (dim: string) =>
    wasteBy(dim)
      .map((r) => bucket(r, r[dim] === null ? null : String(r[dim])))
      .sort(byUsd);
  const actionRows = wasteBy('auto_action');
  const waste: WasteCost = {
    total_usd: n0(wasteTotal?.usd),
    count: n0(wasteTotal?.cnt),
    idle_hours: n0(wasteTotal?.idle),
    by_cluster: list('cluster_id'),
    by_type: list('inefficiency_type'),
    by_severity: list('severity').sort((a, b) => SEV.indexOf(String(b.key)) - SEV.indexOf(String(a.key))),
    by_recommended_action: list('recommended_action'),
    by_action: {
      auto: bucket(
        actionRows.find((r) => r.auto_action === true),
        'auto',
      ),
      manual: bucket(
        actionRows.find((r) => r.auto_action === false),
        'manual',
      ),
      unknown: bucket(
        actionRows.find((r) => r.auto_action === null),
        'unknown',
      ),
    },
  };

  // Reconfigurations: capacity added/removed; scaling compared with the cluster's previous logged cost.
  const cp: (string | number)[] = ['cluster_reconfiguration'];
  const cInner = where(cp, { until: filter.until });
  const cOuter = where(cp, filter);
  const recRows = await query(
    store,
    `WITH r AS (
       SELECT ts, seq, event_type, workload_id, cluster_id, severity, ${rawCol}action, node_count, cluster_cost_per_hour,
              lag(cluster_cost_per_hour) OVER (PARTITION BY cluster_id ORDER BY ts, seq) AS prev_cost
       FROM events WHERE event_type = $1 AND ${cInner}
     )
     SELECT action, count(*) AS cnt, coalesce(sum(cluster_cost_per_hour), 0) AS usd,
            coalesce(sum(node_count), 0) AS nodes, count(DISTINCT cluster_id) AS clusters,
            coalesce(sum(cluster_cost_per_hour - prev_cost), 0) AS delta, count(cluster_cost_per_hour - prev_cost) AS delta_n
     FROM r WHERE ${cOuter} GROUP BY action`,
    cp,
  );
  const recBy = (a: string) => recRows.find((r) => r.action === a);
  const added = n0(recBy('cluster_created')?.usd);
  const removed = n0(recBy('cluster_deleted')?.usd);
  const scaled = recBy('cluster_scaled');
  const reconfigurations: ReconfigurationCost = {
    count: recRows.reduce((s, r) => s + n0(r.cnt), 0),
    added_usd_per_hour: added,
    removed_usd_per_hour: removed,
    net_usd_per_hour: added - removed,
    scaled: {
      count: n0(scaled?.cnt),
      cost_usd_per_hour: n0(scaled?.usd),
      delta_usd_per_hour: n0(scaled?.delta),
      delta_known: n0(scaled?.delta_n),
    },
    by_action: recRows
      .map((r) => ({
        action: r.action === null ? null : String(r.action),
        count: n0(r.cnt),
        cost_usd_per_hour: n0(r.usd),
        node_count: n0(r.nodes),
        clusters: n0(r.clusters),
      }))
      .sort((a, b) => b.count - a.count || String(a.action).localeCompare(String(b.action))),
  };

  // Trend over the window.
  const spanUs = win.sinceUs !== null && win.untilUs !== null ? Math.max(0, win.untilUs - win.sinceUs) : 0;
  const intervalMs = opts.intervalMs ?? autoInterval(spanUs);
  const bucketUs = intervalMs * 1000;
  if (spanUs / bucketUs > 100_000)
    throw new UsageError(
      `--interval ${formatInterval(intervalMs)} gives too many buckets over the window; choose a longer interval`,
    );
  const trend: CostTrendPoint[] = [];
  if (
    win.sinceUs !== null &&
    win.untilUs !== null &&
    relocations.count + waste.count + reconfigurations.count > 0
  ) {
    const tp: (string | number)[] = [];
    const ti = typesIn(tp, COST_TYPES);
    const tf = where(tp, filter);
    tp.push(bucketUs);
    const rows = await query(
      store,
      `SELECT epoch_us(ts) // $${tp.length}::BIGINT AS b,
              count(*) FILTER (WHERE event_type = 'workload_relocation') AS rel,
              coalesce(sum(cost_saving_per_hour), 0) AS est,
              coalesce(sum(wasted_cost), 0) AS waste,
              count(*) FILTER (WHERE event_type = 'cluster_reconfiguration') AS rec
       FROM events WHERE ${ti} AND ${tf} GROUP BY b`,
      tp,
    );
    const m = new Map(rows.map((r) => [n0(r.b), r]));
    const firstB = Math.floor(win.sinceUs / bucketUs);
    let lastB = Math.floor(win.untilUs / bucketUs);
    if (filter.until !== undefined && win.untilUs % bucketUs === 0 && lastB > firstB) lastB--;
    for (let b = firstB; b <= lastB; b++) {
      const r = m.get(b);
      trend.push({
        start: microsToIso(b * bucketUs),
        relocations: n0(r?.rel),
        estimated_savings_usd_per_hour: n0(r?.est),
        wasted_usd: n0(r?.waste),
        reconfigurations: n0(r?.rec),
      });
    }
  }

  const policy_comparison = opts.aroundPolicy
    ? await comparePolicy(store, filter, opts.aroundPolicy, opts.policyWindowMs)
    : null;

  const { sinceUs: _s, untilUs: _u, ...window } = win;
  void _s;
  void _u;
  return {
    window: {
      ...window,
      basis: `from ${filter.since !== undefined ? '--since' : 'the first matching relocation, inefficiency or reconfiguration'} to ${filter.until !== undefined ? '--until' : 'the newest stored event'}`,
    },
    relocations,
    waste,
    reconfigurations,
    energy_saved_kwh: n0(relTotal?.kwh),
    monthly_projection_usd: relocations.estimated_savings_usd_per_hour * HOURS_PER_MONTH,
    interval: formatInterval(intervalMs),
    trend,
    policy_comparison,
    basis: {
      estimated_savings_usd_per_hour: 'sum of cost_saving_per_hour of the relocations, USD/h as logged',
      realized_savings_usd:
        "each relocation's cost_saving_per_hour x the hours until that workload's next relocation or the end of the window, summed (USD)",
      energy_saved_kwh: "each relocation's power_saving_watts x the same hours in effect / 1000",
      monthly_projection_usd: `relocations.estimated_savings_usd_per_hour x ${HOURS_PER_MONTH} h (monthly = rate x ${HOURS_PER_MONTH} h)`,
      waste:
        'sum of wasted_cost_estimate of the inefficiency_detected events (USD, as logged); auto = auto_action_taken true, manual = false, unknown = not logged',
      reconfigurations:
        "estimated_cost_per_hour of the cluster as logged: cluster_created adds it, cluster_deleted removes it; cluster_scaled is reported separately, with the change against the same cluster's previously logged cost",
      policy_comparison: `equal windows before and after the policy change; latency percentiles are ${QUANTILE_BASIS}`,
    },
  };
}

const SEV = ['low', 'medium', 'high', 'critical'];

async function comparePolicy(
  store: Store,
  filter: EventFilter,
  policyId: string,
  windowMs?: number,
): Promise<PolicyComparison> {
  const events = await query(
    store,
    `SELECT epoch_us(ts) AS t, action, policy_name, policy_version, actor FROM events
     WHERE event_type = 'policy_change' AND policy_id = $1 ORDER BY ts, seq`,
    [policyId],
  );
  if (!events.length) {
    const close = await closeMatches(store, 'policy_id', policyId);
    throw new NotFoundError(
      `no policy_change event for policy "${policyId}"` +
        (close.length ? `; did you mean: ${close.join(', ')}?` : ''),
    );
  }
  const ev = events.find((e) => e.action === 'applied' || e.action === 'changed') ?? events[0]!;
  const t0 = n0(ev.t);
  let lenUs: number;
  let basis: string;
  if (windowMs !== undefined) {
    lenUs = windowMs * 1000;
    basis = `--policy-window ${formatInterval(windowMs)} on each side of the policy change at ${microsToIso(t0)}`;
  } else {
    const [s] = await query(store, 'SELECT epoch_us(min(ts)) AS f, epoch_us(max(ts)) AS l FROM events');
    const avail = Math.min(t0 - n0(s?.f), n0(s?.l) + 1 - t0);
    lenUs = Math.max(0, Math.min(DEFAULT_POLICY_WINDOW_MS * 1000, avail));
    basis =
      lenUs === DEFAULT_POLICY_WINDOW_MS * 1000
        ? `7 days on each side of the policy change at ${microsToIso(t0)}`
        : `the span available on both sides of the policy change at ${microsToIso(t0)} (${(lenUs / 3600e6).toFixed(2)} h each; shorter than the 7-day default)`;
  }
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
  const rows = await query(
    store,
    `SELECT ts >= make_timestamp($${p.length}::BIGINT) AS after,
            count(*) FILTER (WHERE event_type = 'workload_relocation') AS rel,
            coalesce(sum(cost_saving_per_hour) FILTER (WHERE event_type = 'workload_relocation'), 0) AS est,
            count(*) FILTER (WHERE event_type = 'inefficiency_detected') AS ineff,
            coalesce(sum(wasted_cost) FILTER (WHERE event_type = 'inefficiency_detected'), 0) AS waste
     FROM events WHERE ${ti} AND ${fw}
     GROUP BY ALL`,
    p,
  );
  const side = (after: boolean): PolicySide => {
    const r = rows.find((x) => x.after === after);
    const d = dec.groups.find((x) => x.g === after);
    const s = decisionStats(d ?? { decisions: 0 });
    return {
      from: microsToIso(after ? t0 : t0 - lenUs),
      until: microsToIso(after ? t0 + lenUs : t0),
      decisions: s.decisions,
      avg_decision_cost_usd_per_hour: s.avg_cost_usd_per_hour,
      cheapest_choice_rate: s.cheapest_choice_rate,
      regret_usd_per_hour: s.regret_usd_per_hour,
      relocations: n0(r?.rel),
      estimated_savings_usd_per_hour: n0(r?.est),
      inefficiencies: n0(r?.ineff),
      wasted_usd: n0(r?.waste),
      latency_avg_ms: s.latency_ms.avg,
      latency_p95_ms: s.latency_ms.p95,
      success_rate: s.success_rate,
    };
  };
  const before = side(false);
  const after = side(true);
  const others = events
    .filter((e) => e !== ev)
    .map((e) => ({ at: microsToIso(n0(e.t)), action: e.action === null ? null : String(e.action) }));
  return {
    policy_id: policyId,
    policy_name: ev.policy_name === null ? null : String(ev.policy_name),
    version: ev.policy_version === null ? null : String(ev.policy_version),
    action: ev.action === null ? null : String(ev.action),
    actor: ev.actor === null ? null : String(ev.actor),
    at: microsToIso(t0),
    other_changes: others,
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
