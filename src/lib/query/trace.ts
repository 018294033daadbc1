/**
 * A workload's story: every stored event of one workload in time order, its
 * placements (with every alternative and the cost difference to the cheapest),
 * its relocations, the time spent and the cost accrued on each cluster, and
 * the inefficiencies detected on those clusters while it ran there.
 *
 * The events are selected by the typed `workload_id` column, which ingest
 * fills from every id form (`workload.id`, `workload`, `workload_id`). Only
 * this workload's rows are parsed (`raw`), to list the alternatives.
 */
import type { Store } from '../store/open.js';
import { exactUnits, fromUnits, num, numOrZero, Params, queryRows, str, type Row } from '../store/sql.js';
import type { Json } from '../schema/columns.js';
import { NotFoundError } from '../errors.js';
import { microsToIso } from '../time.js';
import { dataExtent } from '../analyze/window.js';

export interface TraceOptions {
  /** Epoch microseconds, inclusive. */
  since?: number;
  /** Epoch microseconds, exclusive; also the end of the last stay (default, and at most: the newest stored event). */
  until?: number;
  /** Include each event's stored JSON (`events[].event`); reading it costs a scan of the raw column. */
  withRaw?: boolean;
  /** Inefficiencies listed (all are counted); default 100, Infinity for all. */
  inefficiencyLimit?: number;
}

export const DEFAULT_INEFFICIENCY_LIMIT = 100;

export interface TraceEvent {
  seq: number;
  event_id: string;
  ts: string;
  event_type: string;
  cluster_id: string | null;
  /** The stored event as logged (with `withRaw` / `--raw` only). */
  event?: Json;
}

export interface Alternative {
  cluster: string;
  cost_usd_per_hour: number | null;
  /** This alternative's cost minus the selected cluster's, USD/h (positive = dearer than the choice). */
  diff_usd_per_hour: number | null;
}

export interface Placement {
  seq: number;
  ts: string;
  scheduler: string | null;
  workload_type: string | null;
  requirements: {
    cpu: number | null;
    memory_bytes: number | null;
    gpu: number | null;
    power_budget_watts: number | null;
  };
  selected_cluster: string | null;
  reason: string | null;
  outcome: string | null;
  estimated_cost_usd_per_hour: number | null;
  estimated_power_watts: number | null;
  efficiency_score: number | null;
  execution_time_ms: number | null;
  alternatives: Alternative[];
  cheapest_alternative: { cluster: string | null; cost_usd_per_hour: number } | null;
  /** Selected cost minus the cheapest alternative's, USD/h (positive = paid more than the cheapest); null without alternatives. */
  cost_diff_to_cheapest_usd_per_hour: number | null;
  /** Selected cost <= the cheapest alternative's, or no alternatives. */
  picked_cheapest: boolean | null;
}

export interface Relocation {
  seq: number;
  ts: string;
  trigger: string | null;
  from_cluster: string | null;
  to_cluster: string | null;
  reason: string | null;
  estimated_saving_usd_per_hour: number | null;
  power_saving_watts: number | null;
  migration_seconds: number | null;
  downtime_seconds: number | null;
  /** The cluster the workload was on just before, per its previous placement or relocation (null: none logged). */
  was_on: string | null;
  /** Set when from_cluster is not `was_on`, e.g. `from_cluster gpu-2 but the workload was on gpu-1`. */
  inconsistent: string | null;
}

export interface Stay {
  cluster: string | null;
  from: string;
  until: string;
  hours: number;
  /** Estimated hourly cost on this cluster (USD/h); see `cost_basis`. */
  cost_usd_per_hour: number | null;
  cost_usd: number | null;
  /**
   * Where the hourly cost comes from: `placement` (the decision's estimated_cost_per_hour),
   * `alternative` (after a relocation: the destination's cost as listed in the latest placement),
   * `previous minus saving` (the previous rate minus the relocation's cost_saving_per_hour), or null (unknown).
   */
  cost_basis: 'placement' | 'alternative' | 'previous minus saving' | null;
  /** `placement` or `relocation`: the event that started this stay. */
  started_by: 'placement' | 'relocation';
  inefficiencies: number;
}

export interface TraceInefficiency {
  seq: number;
  ts: string;
  cluster: string | null;
  severity: string | null;
  type: string | null;
  utilization_pct: number | null;
  idle_hours: number | null;
  wasted_usd: number | null;
  recommended_action: string | null;
  auto_action: boolean | null;
}

export interface TraceSummary {
  events: number;
  placements: number;
  failed_placements: number;
  relocations: number;
  first_seen: string;
  last_seen: string;
  current_cluster: string | null;
  /** Per cluster: hours and estimated cost accrued there (stays with a known rate), over all stays. */
  clusters: { cluster: string | null; hours: number; cost_usd: number | null }[];
  total_hours: number;
  /** Sum of the stays' estimated costs where the hourly cost is known (USD). */
  estimated_cost_usd: number;
  /** Hours on clusters whose hourly cost is unknown (not in estimated_cost_usd). */
  hours_without_cost: number;
  estimated_savings_usd_per_hour: number;
  /** Relocations whose from_cluster is not where the workload was. */
  inconsistent_relocations: number;
  downtime_seconds: number;
  migration_seconds: number;
  inefficiencies: number;
  wasted_usd_on_its_clusters: number;
  /** End of the last stay (ISO UTC) and why. */
  end: string;
  end_basis: string;
}

export interface TraceResult {
  workload_id: string;
  events: TraceEvent[];
  placements: Placement[];
  relocations: Relocation[];
  stays: Stay[];
  inefficiencies: TraceInefficiency[];
  summary: TraceSummary;
}

/** Suggestions for an unknown id: ids containing it (or contained in it), then the closest by edit distance. */
export async function closeMatches(
  store: Store,
  column: 'workload_id' | 'policy_id',
  value: string,
  limit = 5,
): Promise<string[]> {
  const rows = await queryRows(
    store,
    `SELECT v FROM (SELECT DISTINCT ${column} AS v FROM events WHERE ${column} IS NOT NULL)
     WHERE contains(lower(v), lower($1)) OR contains(lower($1), lower(v))
        OR levenshtein(lower(v), lower($1)) <= greatest(2, length($1) // 3)
        OR jaro_winkler_similarity(lower(v), lower($1)) >= 0.85
     ORDER BY CASE WHEN lower(v) = lower($1) THEN 0 WHEN starts_with(lower(v), lower($1)) THEN 1 WHEN contains(lower(v), lower($1)) THEN 2 ELSE 3 END,
              jaro_winkler_similarity(lower(v), lower($1)) DESC, levenshtein(lower(v), lower($1)), v
     LIMIT $2::BIGINT`,
    [value, Math.max(1, Math.floor(limit))],
  );
  return rows.map((x) => String(x.v));
}

/** The cluster a workload was on before `us`: that of its latest scheduled placement or relocation. */
async function clusterBefore(store: Store, workloadId: string, us: number): Promise<string | null> {
  const rows = await queryRows(
    store,
    `SELECT cluster_id FROM events
     WHERE workload_id = $1 AND ts < make_timestamp($2::BIGINT)
       AND (event_type = 'workload_relocation' OR (event_type = 'scheduling_decision' AND outcome = 'scheduled'))
     ORDER BY ts DESC, seq DESC LIMIT 1`,
    [workloadId, us],
  );
  return str(rows[0]?.cluster_id);
}

/** The typed `alternatives` column: a list of {cluster, cost}. */
function alternativesOf(v: unknown): { cluster: string; cost: number | null }[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((a): a is { cluster?: unknown; cost?: unknown } => !!a && typeof a === 'object')
    .map((a) => ({ cluster: String(a.cluster ?? ''), cost: num(a.cost) }));
}

/** This workload's events in the window, in time order; a NotFoundError (with suggestions) when none. */
async function workloadRows(store: Store, workloadId: string, opts: TraceOptions): Promise<Row[]> {
  const ps = new Params();
  const cond = [`workload_id = ${ps.p(workloadId)}`];
  if (opts.since !== undefined) cond.push(`ts >= make_timestamp(${ps.p(opts.since)}::BIGINT)`);
  if (opts.until !== undefined) cond.push(`ts < make_timestamp(${ps.p(opts.until)}::BIGINT)`);
  const rows = await queryRows(
    store,
    `SELECT seq, event_id, epoch_us(ts) AS t, event_type, cluster_id, alternatives${opts.withRaw ? ', raw' : ''},
            scheduler, workload_type, req_cpu, req_memory_bytes, req_gpu, req_power_budget, reason, outcome,
            est_cost_per_hour, est_power_watts, efficiency_score, exec_ms, alt_min_cost, alt_min_cluster,
            trigger, from_cluster, cost_saving_per_hour, power_saving_watts, migration_seconds, downtime_seconds
     FROM events WHERE ${cond.join(' AND ')} ORDER BY ts, seq`,
    ps.values,
  );
  if (rows.length) return rows;
  const close = await closeMatches(store, 'workload_id', workloadId);
  const window = opts.since !== undefined || opts.until !== undefined ? ' in the given time window' : '';
  throw new NotFoundError(
    `no events for workload "${workloadId}"${window}` +
      (close.length ? `; did you mean: ${close.join(', ')}?` : ''),
  );
}

/**
 * End of the last stay: --until or the newest stored event, whichever is earlier (nothing is
 * known after the newest event; the log has no completion event).
 */
async function traceEnd(store: Store, rows: Row[], until: number | undefined) {
  const newest = (await dataExtent(store)).newestUs ?? num(rows[rows.length - 1]!.t)!;
  const endUs = until !== undefined ? Math.min(until, newest) : newest;
  const endBasis =
    until === undefined
      ? 'the newest stored event (the log has no completion event)'
      : until > newest
        ? 'the newest stored event (--until is later; nothing is stored after it)'
        : '--until';
  return { endUs, endBasis };
}

function traceEvent(r: Row, ts: string, withRaw: boolean | undefined): TraceEvent {
  const e: TraceEvent = {
    seq: num(r.seq)!,
    event_id: String(r.event_id),
    ts,
    event_type: String(r.event_type),
    cluster_id: str(r.cluster_id),
  };
  if (withRaw) {
    try {
      e.event = JSON.parse(String(r.raw)) as Json;
    } catch {
      e.event = String(r.raw);
    }
  }
  return e;
}

function placementOf(r: Row, ts: string): Placement {
  const cost = num(r.est_cost_per_hour);
  const altMin = num(r.alt_min_cost);
  return {
    seq: num(r.seq)!,
    ts,
    scheduler: str(r.scheduler),
    workload_type: str(r.workload_type),
    requirements: {
      cpu: num(r.req_cpu),
      memory_bytes: num(r.req_memory_bytes),
      gpu: num(r.req_gpu),
      power_budget_watts: num(r.req_power_budget),
    },
    selected_cluster: str(r.cluster_id),
    reason: str(r.reason),
    outcome: str(r.outcome),
    estimated_cost_usd_per_hour: cost,
    estimated_power_watts: num(r.est_power_watts),
    efficiency_score: num(r.efficiency_score),
    execution_time_ms: num(r.exec_ms),
    alternatives: alternativesOf(r.alternatives).map((a) => ({
      cluster: a.cluster,
      cost_usd_per_hour: a.cost,
      diff_usd_per_hour: a.cost !== null && cost !== null ? a.cost - cost : null,
    })),
    cheapest_alternative:
      altMin === null ? null : { cluster: str(r.alt_min_cluster), cost_usd_per_hour: altMin },
    cost_diff_to_cheapest_usd_per_hour: altMin !== null && cost !== null ? cost - altMin : null,
    picked_cheapest: cost === null ? null : altMin === null ? true : cost <= altMin,
  };
}

/** A stay as it starts: where, from when, at which hourly cost and why. */
interface StayStart {
  cluster: string | null;
  fromUs: number;
  rate: number | null;
  basis: Stay['cost_basis'];
  started_by: Stay['started_by'];
}

/**
 * Where the workload is, placement by placement and relocation by relocation: the cluster of its
 * latest scheduled placement or relocation, the hourly cost there, and the cluster costs the
 * latest placement listed (selected and alternatives).
 */
class Whereabouts {
  readonly starts: StayStart[] = [];
  private rate: number | null = null;
  private listed = new Map<string, number>();
  constructor(private on: string | null) {}

  /** A placement; only a scheduled one moves the workload. */
  place(p: Placement, t: number): void {
    if ((p.outcome ?? 'scheduled') !== 'scheduled') return;
    const cost = p.estimated_cost_usd_per_hour;
    this.rate = cost;
    this.listed = new Map(
      p.alternatives
        .filter((a) => a.cost_usd_per_hour !== null)
        .map((a) => [a.cluster, a.cost_usd_per_hour!]),
    );
    if (p.selected_cluster && cost !== null) this.listed.set(p.selected_cluster, cost);
    this.on = p.selected_cluster;
    this.starts.push({
      cluster: p.selected_cluster,
      fromUs: t,
      rate: cost,
      basis: cost === null ? null : 'placement',
      started_by: 'placement',
    });
  }

  /** A relocation: checked against where the workload was, then moving it. */
  relocate(r: Row, t: number, ts: string): Relocation {
    const saving = num(r.cost_saving_per_hour);
    const from = str(r.from_cluster);
    const to = str(r.cluster_id);
    const on = this.on;
    this.on = to;
    let basis: Stay['cost_basis'];
    if (to !== null && this.listed.has(to)) {
      this.rate = this.listed.get(to)!;
      basis = 'alternative';
    } else if (this.rate !== null && saving !== null) {
      this.rate = Math.max(0, this.rate - saving);
      basis = 'previous minus saving';
    } else {
      this.rate = null;
      basis = null;
    }
    this.starts.push({ cluster: to, fromUs: t, rate: this.rate, basis, started_by: 'relocation' });
    return {
      seq: num(r.seq)!,
      ts,
      trigger: str(r.trigger),
      from_cluster: from,
      to_cluster: to,
      reason: str(r.reason),
      estimated_saving_usd_per_hour: saving,
      power_saving_watts: num(r.power_saving_watts),
      migration_seconds: num(r.migration_seconds),
      downtime_seconds: num(r.downtime_seconds),
      was_on: on,
      inconsistent:
        on !== null && from !== on ? `from_cluster ${from ?? '(none)'} but the workload was on ${on}` : null,
    };
  }
}

type TimedStay = Stay & { fromUs: number; untilUs: number };

/** Each stay lasts until the next one starts, the last until `endUs`. */
function staysOf(starts: StayStart[], endUs: number): TimedStay[] {
  return starts.map((o, i) => {
    const untilUs = Math.max(o.fromUs, i + 1 < starts.length ? starts[i + 1]!.fromUs : endUs);
    const hours = (untilUs - o.fromUs) / 3600e6;
    return {
      cluster: o.cluster,
      from: microsToIso(o.fromUs),
      until: microsToIso(untilUs),
      hours,
      cost_usd_per_hour: o.rate,
      cost_usd: o.rate === null ? null : o.rate * hours,
      cost_basis: o.basis,
      started_by: o.started_by,
      inefficiencies: 0,
      fromUs: o.fromUs,
      untilUs,
    };
  });
}

/**
 * Inefficiencies on those clusters while the workload was there: each is matched (ASOF) to the
 * stay in effect at its time, and counts if that stay is on its cluster. All are counted in SQL
 * (and each stay's `inefficiencies` set); the first `limit` are listed.
 */
async function inefficienciesDuring(store: Store, stays: TimedStay[], limit: number) {
  const out = { list: [] as TraceInefficiency[], count: 0, wasted: 0 };
  const clusters = [...new Set(stays.map((x) => x.cluster).filter((c): c is string => c !== null))];
  if (!clusters.length) return out;
  // A stay of zero length holds nothing unless it is the last one (whose end is inclusive).
  const spans = stays
    .map((x, i) => ({ i, c: x.cluster, f: x.fromUs, u: x.untilUs, last: i === stays.length - 1 }))
    .filter((x) => x.c !== null && (x.u > x.f || x.last));
  if (!spans.length) return out;
  const params = [
    JSON.stringify(spans),
    // not Math.min(...): a spread of 100,000s of stays overflows the call stack
    spans.reduce((a, x) => Math.min(a, x.f), Infinity),
    spans.reduce((a, x) => Math.max(a, x.u), -Infinity),
    ...clusters,
  ];
  const matched = `WITH s AS (
      SELECT unnest(from_json($1, '[{"i":"INTEGER","c":"VARCHAR","f":"BIGINT","u":"BIGINT","last":"BOOLEAN"}]'), recursive := true)
    ), x AS (
      SELECT seq, epoch_us(ts) AS t, cluster_id, severity, inefficiency_type, utilization_pct, idle_hours,
             wasted_cost, recommended_action, auto_action
      FROM events
      WHERE event_type = 'inefficiency_detected' AND cluster_id IN (${clusters.map((_, i) => `$${i + 4}`).join(', ')})
        AND ts >= make_timestamp($2::BIGINT) AND ts <= make_timestamp($3::BIGINT)
    ), m AS (
      SELECT x.*, s.i AS stay FROM x ASOF JOIN s ON x.t >= s.f
      WHERE s.c = x.cluster_id AND (x.t < s.u OR (x.t = s.u AND s.last))
    )`;
  // One pass: each stay's count and waste (on its first row), and the first `limit` rows listed.
  const lim = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
  const rows = await queryRows(
    store,
    `${matched} SELECT *, count(*) OVER per_stay AS k, ${fromUnits(`sum(${exactUnits('wasted_cost')}) OVER per_stay`)} AS w,
            row_number() OVER (PARTITION BY stay ORDER BY t, seq) AS in_stay,
            row_number() OVER (ORDER BY t, seq) AS rn
     FROM m WINDOW per_stay AS (PARTITION BY stay)
     QUALIFY rn <= $${params.length + 1}::BIGINT OR in_stay = 1
     ORDER BY rn`,
    [...params, lim],
  );
  for (const r of rows) {
    if (num(r.in_stay) !== 1) continue;
    const k = numOrZero(r.k);
    stays[num(r.stay)!]!.inefficiencies = k;
    out.count += k;
    out.wasted += numOrZero(r.w);
  }
  const listed = rows.filter((r) => num(r.rn)! <= lim);
  out.list = listed.map((r) => ({
    seq: num(r.seq)!,
    ts: microsToIso(num(r.t)!),
    cluster: str(r.cluster_id),
    severity: str(r.severity),
    type: str(r.inefficiency_type),
    utilization_pct: num(r.utilization_pct),
    idle_hours: num(r.idle_hours),
    wasted_usd: num(r.wasted_cost),
    recommended_action: str(r.recommended_action),
    auto_action: r.auto_action === null || r.auto_action === undefined ? null : Boolean(r.auto_action),
  }));
  return out;
}

/** Per cluster: hours and estimated cost accrued there, longest first. */
function perCluster(stays: Stay[]): TraceSummary['clusters'] {
  const by = new Map<string | null, { hours: number; cost_usd: number | null }>();
  for (const x of stays) {
    const c = by.get(x.cluster) ?? { hours: 0, cost_usd: null as number | null };
    c.hours += x.hours;
    c.cost_usd = x.cost_usd === null ? c.cost_usd : (c.cost_usd ?? 0) + x.cost_usd;
    by.set(x.cluster, c);
  }
  return [...by.entries()].map(([cluster, v]) => ({ cluster, ...v })).sort((a, b) => b.hours - a.hours);
}

const sum = (xs: (number | null)[]) => xs.reduce<number>((a, v) => a + (v ?? 0), 0);

export async function traceWorkload(
  store: Store,
  workloadId: string,
  opts: TraceOptions = {},
): Promise<TraceResult> {
  const rows = await workloadRows(store, workloadId, opts);
  const { endUs, endBasis } = await traceEnd(store, rows, opts.until);

  const events: TraceEvent[] = [];
  const placements: Placement[] = [];
  const relocations: Relocation[] = [];
  const where = new Whereabouts(
    opts.since !== undefined ? await clusterBefore(store, workloadId, opts.since) : null,
  );
  for (const r of rows) {
    const t = num(r.t)!;
    const ts = microsToIso(t);
    events.push(traceEvent(r, ts, opts.withRaw));
    if (r.event_type === 'scheduling_decision') {
      const p = placementOf(r, ts);
      placements.push(p);
      where.place(p, t);
    } else if (r.event_type === 'workload_relocation') relocations.push(where.relocate(r, t, ts));
  }
  const timed = staysOf(where.starts, endUs);
  const ineff = await inefficienciesDuring(
    store,
    timed,
    opts.inefficiencyLimit ?? DEFAULT_INEFFICIENCY_LIMIT,
  );
  const stays: Stay[] = timed.map(({ fromUs: _f, untilUs: _u, ...x }) => (void _f, void _u, x));

  return {
    workload_id: workloadId,
    events,
    placements,
    relocations,
    stays,
    inefficiencies: ineff.list,
    summary: {
      events: events.length,
      placements: placements.length,
      failed_placements: placements.filter((p) => p.outcome === 'failed').length,
      relocations: relocations.length,
      first_seen: events[0]!.ts,
      last_seen: events[events.length - 1]!.ts,
      current_cluster: stays.length ? stays[stays.length - 1]!.cluster : null,
      clusters: perCluster(stays),
      total_hours: sum(stays.map((x) => x.hours)),
      estimated_cost_usd: sum(stays.map((x) => x.cost_usd)),
      hours_without_cost: sum(stays.map((x) => (x.cost_usd === null ? x.hours : 0))),
      estimated_savings_usd_per_hour: sum(relocations.map((x) => x.estimated_saving_usd_per_hour)),
      inconsistent_relocations: relocations.filter((x) => x.inconsistent !== null).length,
      downtime_seconds: sum(relocations.map((x) => x.downtime_seconds)),
      migration_seconds: sum(relocations.map((x) => x.migration_seconds)),
      inefficiencies: ineff.count,
      wasted_usd_on_its_clusters: ineff.wasted,
      end: microsToIso(endUs),
      end_basis: endBasis,
    },
  };
}
