/**
 * Typed columns derived by DuckDB from the raw event JSON, in SQL.
 *
 * One multi-path `json_extract_string(raw, [...])` per row, chosen by event
 * type, parses each raw line once (DESIGN.md "Storage model"). The same
 * expressions serve ingest (filling the columns) and `verify` (re-deriving
 * them to detect a typed column edited behind the tool's back), so they are
 * defined once here. Both the nested and the flat shape are read: the nested
 * path first, then the flat one.
 */

interface Col {
  name: string;
  type: string;
  /** SQL over `j` (the VARCHAR[] of this type's paths, 1-based) and `raw`. */
  expr: string;
}

const num = (e: string) => `TRY_CAST(${e} AS DOUBLE)`;
const pct = (e: string) => `TRY_CAST(trim(replace(${e}, '%', '')) AS DOUBLE)`;
const int = (e: string) => `TRY_CAST(${e} AS BIGINT)`;
const str = (e: string) => e;

/** Per event type: the JSON paths and the columns computed from them. */
const TYPES: Record<string, { paths: string[]; cols: Record<string, (j: (i: number) => string) => string> }> =
  {
    scheduling_decision: {
      paths: [
        '$.workload.id', // 1
        '$.workload_id',
        '$.decision.selected_cluster',
        '$.selected_cluster',
        '$.scheduler', // 5
        '$.workload.type',
        '$.workload_type',
        '$.workload.requirements.cpu',
        '$.workload.requirements.memory',
        '$.workload.requirements.gpu', // 10
        '$.workload.requirements.power_budget',
        '$.decision.reason',
        '$.reason',
        '$.decision.outcome',
        '$.outcome', // 15
        '$.decision.cost_calculation.estimated_power_watts',
        '$.cost_calculation.power_watts',
        '$.decision.cost_calculation.estimated_cost_per_hour',
        '$.cost_calculation.cost_per_hour',
        '$.decision.cost_calculation.efficiency_score', // 20
        '$.cost_calculation.efficiency_score',
        '$.execution_time_ms',
        '$.severity',
        '$.decision.cost_calculation.alternatives',
        '$.alternatives', // 25
      ],
      cols: {
        workload_id: (j) => `coalesce(${j(1)}, ${j(2)})`,
        cluster_id: (j) => `coalesce(${j(3)}, ${j(4)})`,
        severity: (j) => `lower(${j(23)})`,
        scheduler: (j) => str(j(5)),
        workload_type: (j) => `coalesce(${j(6)}, ${j(7)})`,
        req_cpu: (j) => `kq(${j(8)})`,
        req_memory_bytes: (j) => `kq(${j(9)})`,
        req_gpu: (j) => num(j(10)),
        req_power_budget: (j) => num(j(11)),
        reason: (j) => `coalesce(${j(12)}, ${j(13)})`,
        outcome: (j) => `lower(coalesce(${j(14)}, ${j(15)}, 'scheduled'))`,
        est_power_watts: (j) => num(`coalesce(${j(16)}, ${j(17)})`),
        est_cost_per_hour: (j) => num(`coalesce(${j(18)}, ${j(19)})`),
        efficiency_score: (j) => num(`coalesce(${j(20)}, ${j(21)})`),
        exec_ms: (j) => num(j(22)),
      },
    },
    workload_relocation: {
      paths: [
        '$.workload', // 1
        '$.workload_id',
        '$.migration.to_cluster',
        '$.to_cluster',
        '$.trigger', // 5
        '$.migration.from_cluster',
        '$.from_cluster',
        '$.migration.reason',
        '$.reason',
        '$.migration.power_saving_watts', // 10
        '$.metrics.power_saving_watts',
        '$.migration.cost_saving_per_hour',
        '$.metrics.cost_saving_per_hour',
        '$.migration_time_seconds',
        '$.metrics.migration_time_seconds', // 15
        '$.downtime_seconds',
        '$.metrics.downtime_seconds',
        '$.severity',
      ],
      cols: {
        workload_id: (j) => `coalesce(${j(1)}, ${j(2)})`,
        cluster_id: (j) => `coalesce(${j(3)}, ${j(4)})`,
        severity: (j) => `lower(${j(18)})`,
        trigger: (j) => str(j(5)),
        from_cluster: (j) => `coalesce(${j(6)}, ${j(7)})`,
        reason: (j) => `coalesce(${j(8)}, ${j(9)})`,
        power_saving_watts: (j) => num(`coalesce(${j(10)}, ${j(11)})`),
        cost_saving_per_hour: (j) => num(`coalesce(${j(12)}, ${j(13)})`),
        migration_seconds: (j) => num(`coalesce(${j(14)}, ${j(15)})`),
        downtime_seconds: (j) => num(`coalesce(${j(16)}, ${j(17)})`),
      },
    },
    cluster_reconfiguration: {
      paths: [
        '$.cluster.id', // 1
        '$.action',
        '$.cluster.name',
        '$.cluster.type',
        '$.cluster.node_count', // 5
        '$.cluster.estimated_cost_per_hour',
        '$.trigger.workload_queue_length',
        '$.trigger.existing_cluster_utilization',
        '$.trigger.expected_efficiency_gain',
        '$.severity', // 10
        '$.workload_id',
      ],
      cols: {
        workload_id: (j) => str(j(11)),
        cluster_id: (j) => str(j(1)),
        severity: (j) => `lower(${j(10)})`,
        action: (j) => str(j(2)),
        cluster_name: (j) => str(j(3)),
        cluster_type: (j) => str(j(4)),
        node_count: (j) => int(j(5)),
        cluster_cost_per_hour: (j) => num(j(6)),
        queue_length: (j) => int(j(7)),
        cluster_utilization_pct: (j) => pct(j(8)),
        expected_gain_pct: (j) => pct(j(9)),
      },
    },
    inefficiency_detected: {
      paths: [
        '$.inefficiency.cluster', // 1
        '$.resource_id',
        '$.severity',
        '$.inefficiency.type',
        '$.inefficiency_type', // 5
        '$.inefficiency.utilization',
        '$.metrics.utilization_percentage',
        '$.inefficiency.idle_duration_hours',
        '$.metrics.idle_duration_hours',
        '$.inefficiency.wasted_cost_estimate', // 10
        '$.metrics.wasted_cost_estimate',
        '$.recommended_action',
        '$.auto_action_taken',
        '$.workload_id',
      ],
      cols: {
        workload_id: (j) => str(j(14)),
        cluster_id: (j) => `coalesce(${j(1)}, ${j(2)})`,
        severity: (j) => `lower(${j(3)})`,
        inefficiency_type: (j) => `coalesce(${j(4)}, ${j(5)})`,
        utilization_pct: (j) => pct(`coalesce(${j(6)}, ${j(7)})`),
        idle_hours: (j) => num(`coalesce(${j(8)}, ${j(9)})`),
        wasted_cost: (j) => num(`coalesce(${j(10)}, ${j(11)})`),
        recommended_action: (j) => str(j(12)),
        auto_action: (j) => `TRY_CAST(${j(13)} AS BOOLEAN)`,
      },
    },
    policy_change: {
      paths: [
        '$.policy.id',
        '$.policy.name',
        '$.policy.version',
        '$.action',
        '$.previous',
        '$.actor',
        '$.reason',
        '$.severity',
      ],
      cols: {
        severity: (j) => `lower(${j(8)})`,
        policy_id: (j) => str(j(1)),
        policy_name: (j) => str(j(2)),
        policy_version: (j) => str(j(3)),
        action: (j) => str(j(4)),
        previous_policy: (j) => str(j(5)),
        actor: (j) => str(j(6)),
        reason: (j) => str(j(7)),
      },
    },
    // Any other event_type: the common columns, from wherever they are.
    '': {
      paths: [
        '$.workload.id',
        '$.workload_id',
        '$.workload',
        '$.cluster_id',
        '$.cluster.id',
        '$.cluster',
        '$.severity',
      ],
      cols: {
        workload_id: (j) => `coalesce(${j(1)}, ${j(2)}, CASE WHEN left(${j(3)}, 1) <> '{' THEN ${j(3)} END)`,
        cluster_id: (j) => `coalesce(${j(4)}, ${j(5)}, CASE WHEN left(${j(6)}, 1) <> '{' THEN ${j(6)} END)`,
        severity: (j) => `lower(${j(7)})`,
      },
    },
  };

/** A decision's alternatives, typed: trace lists them without parsing `raw`. */
export const ALTERNATIVES_TYPE = 'STRUCT("cluster" VARCHAR, "cost" DOUBLE)[]';

/** The alternatives of a decision from its raw JSON (as `deriveSelect` computes them), for migration 4. */
export const ALTERNATIVES_FROM_RAW = `TRY_CAST(TRY_CAST(coalesce(json_extract_string(raw, '$.decision.cost_calculation.alternatives'), json_extract_string(raw, '$.alternatives')) AS JSON) AS ${ALTERNATIVES_TYPE})`;

/** The derived columns, in table order, with their DuckDB types. */
export const DERIVED_COLUMNS: readonly Col[] = (() => {
  const types: Record<string, string> = {
    workload_id: 'VARCHAR',
    cluster_id: 'VARCHAR',
    severity: 'VARCHAR',
    scheduler: 'VARCHAR',
    workload_type: 'VARCHAR',
    req_cpu: 'DOUBLE',
    req_memory_bytes: 'DOUBLE',
    req_gpu: 'DOUBLE',
    req_power_budget: 'DOUBLE',
    reason: 'VARCHAR',
    outcome: 'VARCHAR',
    est_power_watts: 'DOUBLE',
    est_cost_per_hour: 'DOUBLE',
    efficiency_score: 'DOUBLE',
    exec_ms: 'DOUBLE',
    alt_count: 'INTEGER',
    alt_min_cost: 'DOUBLE',
    alt_min_cluster: 'VARCHAR',
    trigger: 'VARCHAR',
    from_cluster: 'VARCHAR',
    power_saving_watts: 'DOUBLE',
    cost_saving_per_hour: 'DOUBLE',
    migration_seconds: 'DOUBLE',
    downtime_seconds: 'DOUBLE',
    action: 'VARCHAR',
    cluster_name: 'VARCHAR',
    cluster_type: 'VARCHAR',
    node_count: 'BIGINT',
    cluster_cost_per_hour: 'DOUBLE',
    queue_length: 'BIGINT',
    cluster_utilization_pct: 'DOUBLE',
    expected_gain_pct: 'DOUBLE',
    inefficiency_type: 'VARCHAR',
    utilization_pct: 'DOUBLE',
    idle_hours: 'DOUBLE',
    wasted_cost: 'DOUBLE',
    recommended_action: 'VARCHAR',
    auto_action: 'BOOLEAN',
    policy_id: 'VARCHAR',
    policy_name: 'VARCHAR',
    policy_version: 'VARCHAR',
    previous_policy: 'VARCHAR',
    actor: 'VARCHAR',
    alternatives: ALTERNATIVES_TYPE,
  };
  const alts = 'alts';
  const special: Record<string, string> = {
    alt_count: `CASE WHEN event_type = 'scheduling_decision' THEN len(${alts}) END`,
    alt_min_cost: `CASE WHEN event_type = 'scheduling_decision' THEN list_min(list_transform(${alts}, a -> a.cost)) END`,
    alt_min_cluster: `CASE WHEN event_type = 'scheduling_decision' THEN list_sort(list_transform(${alts}, a -> {'c': a.cost, 'n': a."cluster"}))[1].n END`,
    alternatives: `CASE WHEN event_type = 'scheduling_decision' THEN ${alts} END`,
  };
  return Object.entries(types).map(([name, type]) => {
    if (special[name]) return { name, type, expr: special[name]! };
    // Every known type answers for itself (NULL when it has no such column);
    // ELSE is for event types that are not known.
    const branches = Object.entries(TYPES).map(([et, t]) => {
      const e = t.cols[name] ? t.cols[name]((i) => `j[${i}]`) : 'NULL';
      return et === '' ? `ELSE ${e}` : `WHEN '${et}' THEN ${e}`;
    });
    return { name, type, expr: `CAST(CASE event_type ${branches.join(' ')} END AS ${type})` };
  });
})();

/** `json_extract_string(raw, [this type's paths])`, once per row. */
export const PATHS_EXPR = (() => {
  const lit = (ps: string[]) => `[${ps.map((p) => `'${p}'`).join(', ')}]`;
  const branches = Object.entries(TYPES)
    .filter(([et]) => et !== '')
    .map(([et, t]) => `WHEN '${et}' THEN json_extract_string(raw, ${lit(t.paths)})`);
  return `CASE event_type ${branches.join(' ')} ELSE json_extract_string(raw, ${lit(TYPES['']!.paths)}) END`;
})();

/**
 * A decision's alternatives as a typed list. Their JSON text comes from the
 * same multi-path extraction (paths 24 and 25), so only that array is parsed
 * again, not the whole event.
 */
const ALTS_EXPR = `CASE WHEN event_type = 'scheduling_decision' THEN TRY_CAST(TRY_CAST(coalesce(j[24], j[25]) AS JSON) AS ${ALTERNATIVES_TYPE}) END`;

/**
 * SELECT list deriving every typed column from a relation `src` that has
 * `event_type` and `raw`. Other columns of `src` pass through by name.
 */
export function deriveSelect(src: string, passthrough: readonly string[]): string {
  return `SELECT ${[...passthrough, ...DERIVED_COLUMNS.map((c) => `${c.expr} AS ${c.name}`)].join(',\n  ')}
FROM (SELECT *, ${ALTS_EXPR} AS alts FROM (SELECT *, ${PATHS_EXPR} AS j FROM ${src}) AS paths_src) AS derive_src`;
}

/** Macro `kq(text)`: a Kubernetes quantity (`32Gi`, `500m`, `2G`, `4`) as a DOUBLE. */
export const QUANTITY_MACRO = `CREATE OR REPLACE MACRO kq(q) AS (
  CASE
    WHEN q IS NULL THEN NULL
    WHEN regexp_full_match(trim(q), '[0-9]+(\\.[0-9]+)?') THEN TRY_CAST(trim(q) AS DOUBLE)
    ELSE TRY_CAST(regexp_extract(trim(q), '^([0-9]+(\\.[0-9]+)?)', 1) AS DOUBLE) *
      CASE regexp_extract(trim(q), '([A-Za-z]+)$', 1)
        WHEN 'm' THEN 0.001 WHEN 'k' THEN 1e3 WHEN 'K' THEN 1e3 WHEN 'M' THEN 1e6 WHEN 'G' THEN 1e9
        WHEN 'T' THEN 1e12 WHEN 'P' THEN 1e15 WHEN 'E' THEN 1e18
        WHEN 'Ki' THEN 1024.0 WHEN 'Mi' THEN 1048576.0 WHEN 'Gi' THEN 1073741824.0
        WHEN 'Ti' THEN 1099511627776.0 WHEN 'Pi' THEN 1125899906842624.0 WHEN 'Ei' THEN 1152921504606846976.0
      END
  END)`;
