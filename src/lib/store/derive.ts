/**
 * Typed columns derived by DuckDB from the raw event JSON, in SQL.
 *
 * One multi-path `json_extract_string(raw, [...])` per row, chosen by event
 * type, parses each raw line once (docs/design.md "Storage model"). The same
 * expressions serve ingest (filling the columns) and `verify` (re-deriving
 * them to detect a typed column edited behind the tool's back), so they are
 * defined once here. Which path each column reads, in each shape, is declared
 * in src/lib/schema/columns.ts (TYPED_FIELDS), which the schemas validate by;
 * the shape is told apart in SQL by the nested shape's probe path, as `isFlat`
 * does in JavaScript.
 */

import { TYPED_FIELDS, type Cast, type TypedFields } from '../schema/columns.js';

interface Col {
  name: string;
  type: string;
  /** SQL over `j` (the VARCHAR[] of this type's paths, 1-based) and `raw`. */
  expr: string;
}

/** SQL reading a JSON path's text `e` as a column value. */
const CASTS: Record<Cast, (e: string) => string> = {
  text: (e) => e,
  lower: (e) => `lower(${e})`,
  double: (e) => `TRY_CAST(${e} AS DOUBLE)`,
  percent: (e) => `TRY_CAST(trim(replace(${e}, '%', '')) AS DOUBLE)`,
  quantity: (e) => `kq(${e})`,
  // via DOUBLE: JSON allows 5.0 and 1e3 for whole numbers, BIGINT's cast does not
  int: (e) => `TRY_CAST(TRY_CAST(${e} AS DOUBLE) AS BIGINT)`,
  bool: (e) => `TRY_CAST(${e} AS BOOLEAN)`,
  outcome: (e) => `lower(coalesce(${e}, 'scheduled'))`,
  json: (e) => e,
};

interface TypeSql {
  /** The paths extracted in one call, in order (`j[1]` is the first). */
  paths: string[];
  /** Per column: SQL over `j`. */
  cols: Record<string, string>;
}

/**
 * The SQL of one known event type, from its declared fields (src/lib/schema): each column reads
 * the path of the event's own shape, never the other shape's (a flat event carrying a nested
 * field, or the reverse, is stored with the value it was validated with).
 */
function typeSql(fields: TypedFields): TypeSql {
  const paths: string[] = [];
  const j = (path: string) => {
    let i = paths.indexOf(path);
    if (i === -1) i = paths.push(path) - 1;
    return `j[${i + 1}]`;
  };
  const probe = fields.nestedProbe ? j(fields.nestedProbe) : undefined;
  const cols: Record<string, string> = {};
  for (const [name, f] of Object.entries(fields.columns)) {
    const read = (path?: string) => (path ? CASTS[f.cast](j(path)) : 'NULL');
    cols[name] =
      !probe || f.nested === f.flat
        ? read(f.nested)
        : `CASE WHEN ${probe} IS NOT NULL THEN ${read(f.nested)} ELSE ${read(f.flat)} END`;
  }
  return { paths, cols };
}

const KNOWN: Record<string, TypeSql> = Object.fromEntries(
  Object.entries(TYPED_FIELDS).map(([t, f]) => [t, typeSql(f)]),
);

/** Any other event_type: the common columns, from wherever they are. */
const GENERIC: TypeSql = {
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
    workload_id: `coalesce(j[1], j[2], CASE WHEN left(j[3], 1) <> '{' THEN j[3] END)`,
    cluster_id: `coalesce(j[4], j[5], CASE WHEN left(j[6], 1) <> '{' THEN j[6] END)`,
    severity: `lower(j[7])`,
  },
};

/** A decision's alternatives, typed: trace lists them without parsing `raw`. */
export const ALTERNATIVES_TYPE = 'STRUCT("cluster" VARCHAR, "cost" DOUBLE)[]';

/** The alternatives of a decision from its raw JSON (as `deriveSelect` computes them), for migration 4. */
export const ALTERNATIVES_FROM_RAW = `TRY_CAST(TRY_CAST(coalesce(json_extract_string(raw, '$.decision.cost_calculation.alternatives'), json_extract_string(raw, '$.alternatives')) AS JSON) AS ${ALTERNATIVES_TYPE})`;

/** The columns derived from a decision's typed alternatives (`alts`), NULL for other types. */
const SPECIAL: Record<string, string> = {
  alt_count: `CASE WHEN event_type = 'scheduling_decision' THEN len(alts) END`,
  alt_min_cost: `CASE WHEN event_type = 'scheduling_decision' THEN list_min(list_transform(alts, a -> a.cost)) END`,
  alt_min_cluster: `CASE WHEN event_type = 'scheduling_decision' THEN list_sort(list_transform(alts, a -> {'c': a.cost, 'n': a."cluster"}))[1].n END`,
  alternatives: `CASE WHEN event_type = 'scheduling_decision' THEN alts END`,
};

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
  const special = SPECIAL;
  return Object.entries(types).map(([name, type]) => {
    if (special[name]) return { name, type, expr: special[name]! };
    // Every known type answers for itself (NULL when it has no such column);
    // ELSE is for event types that are not known.
    const branches = Object.entries(KNOWN).map(([et, t]) => `WHEN '${et}' THEN ${t.cols[name] ?? 'NULL'}`);
    const other = GENERIC.cols[name] ?? 'NULL';
    return { name, type, expr: `CAST(CASE event_type ${branches.join(' ')} ELSE ${other} END AS ${type})` };
  });
})();

/** `json_extract_string(raw, [this type's paths])`, once per row. */
export const PATHS_EXPR = (() => {
  const lit = (ps: string[]) => `[${ps.map((p) => `'${p}'`).join(', ')}]`;
  const branches = Object.entries(KNOWN).map(
    ([et, t]) => `WHEN '${et}' THEN json_extract_string(raw, ${lit(t.paths)})`,
  );
  return `CASE event_type ${branches.join(' ')} ELSE json_extract_string(raw, ${lit(GENERIC.paths)}) END`;
})();

/**
 * A decision's alternatives as a typed list. Their JSON text comes from the
 * same multi-path extraction (the `alternatives` field of the decision's
 * shape), so only that array is parsed again, not the whole event.
 */
const ALTS_EXPR = `CASE WHEN event_type = 'scheduling_decision' THEN TRY_CAST(TRY_CAST(${KNOWN.scheduling_decision!.cols.alternatives} AS JSON) AS ${ALTERNATIVES_TYPE}) END`;

/**
 * The SELECT deriving the typed columns of the rows of one event type (`null`: the types that are
 * not known) from `src`: each column is that type's expression alone (NULL where the type has no
 * such column), the same expression `deriveSelect`'s CASE picks for the type, so ingest, which
 * writes one type at a time, derives only the columns a type has and reads only its paths, while
 * `verify` re-derives with `deriveSelect` and gets the same values. `src` must hold rows of that
 * type only.
 */
export function deriveTypeSelect(src: string, type: string | null, passthrough: readonly string[]): string {
  const t = type === null ? GENERIC : KNOWN[type];
  if (!t) throw new Error(`not a known event type: ${type}`);
  const isDecision = type === 'scheduling_decision';
  const cols = DERIVED_COLUMNS.map((c) => {
    if (c.name in SPECIAL) return `${isDecision ? c.expr : 'NULL'}::${c.type} AS ${c.name}`;
    const e = t.cols[c.name];
    return `${e ? `CAST(${e} AS ${c.type})` : `NULL::${c.type}`} AS ${c.name}`;
  });
  const lit = `[${t.paths.map((p) => `'${p}'`).join(', ')}]`;
  const alts = isDecision ? `, ${ALTS_EXPR} AS alts` : '';
  return `SELECT ${[...passthrough, ...cols].join(',\n  ')}
FROM (SELECT *${alts} FROM (SELECT *, json_extract_string(raw, ${lit}) AS j FROM ${src}) AS paths_src) AS derive_src`;
}

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
