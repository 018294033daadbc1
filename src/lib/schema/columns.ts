/**
 * What the store holds of each event type, without the validators: the five types, the
 * severities, and each type's typed columns with the JSON path they come from in each shape.
 *
 * The readers (queries, analyses, alert conditions, store/derive.ts) need only this, so they do
 * not load zod (~130 ms of every command's start-up); the schemas that validate these shapes (one
 * module per type: scheduling-decision.ts, ...) take their `fields` from here, so validation and
 * storage cannot disagree on which value an event means.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const EVENT_TYPES = [
  'scheduling_decision',
  'workload_relocation',
  'cluster_reconfiguration',
  'inefficiency_detected',
  'policy_change',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const isKnownType = (t: string): t is EventType => (EVENT_TYPES as readonly string[]).includes(t);

/** The severities, lowest first: the one list for validation, --severity, alert conditions and orderings. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** A severity's rank, 1 (low) to 4 (critical). */
export const SEVERITY_RANK: Record<string, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i + 1]));

/** SQL giving the rank (SEVERITY_RANK) of the `severity` column, NULL for anything else. */
export const SEVERITY_RANK_SQL = `(CASE severity ${SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i + 1}`).join(' ')} END)`;

/**
 * How a typed column is read from the raw JSON text in SQL (store/derive.ts): the text as it is,
 * lower-cased, a number, a percentage (`"25%"`), a Kubernetes quantity, a whole number, a
 * boolean, a decision outcome (`scheduled` when absent), or JSON kept for its own derivation.
 */
export type Cast = 'text' | 'lower' | 'double' | 'percent' | 'quantity' | 'int' | 'bool' | 'outcome' | 'json';

/** Where one typed column comes from, in each shape of an event type (absent: NULL in that shape). */
export interface FieldPaths {
  nested?: string;
  flat?: string;
  cast: Cast;
}

/**
 * The typed columns of an event type: what the analyses read. `nestedProbe` is a path every
 * valid event of the nested shape has and no flat one does: the shape test in SQL, mirrored in
 * JavaScript by `isFlatBy`.
 */
export interface TypedFields {
  nestedProbe?: string;
  columns: Record<string, FieldPaths>;
}

/** Both shapes read the field at the same path. */
export const same = (path: string, cast: Cast = 'text'): FieldPaths => ({ nested: path, flat: path, cast });

/** The value at a JSON path like `$.decision.selected_cluster` (objects only; undefined if absent). */
export function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.slice(2).split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * The shape test of `fields`, as SQL sees it: flat when the nested probe is absent or null
 * (json_extract_string gives NULL for both).
 */
export const isFlatBy =
  (fields: TypedFields) =>
  (o: JsonObject): boolean =>
    fields.nestedProbe !== undefined && (valueAt(o, fields.nestedProbe) ?? null) === null;

const cc = '$.decision.cost_calculation';

/** Each known type's typed columns and where they come from (store/derive.ts builds the SQL). */
export const TYPED_FIELDS: Record<EventType, TypedFields> = {
  /** Nested when it has decision.selected_cluster (the nested shape requires it). */
  scheduling_decision: {
    nestedProbe: '$.decision.selected_cluster',
    columns: {
      workload_id: { nested: '$.workload.id', flat: '$.workload_id', cast: 'text' },
      cluster_id: { nested: '$.decision.selected_cluster', flat: '$.selected_cluster', cast: 'text' },
      severity: same('$.severity', 'lower'),
      scheduler: same('$.scheduler'),
      workload_type: { nested: '$.workload.type', flat: '$.workload_type', cast: 'text' },
      req_cpu: { nested: '$.workload.requirements.cpu', cast: 'quantity' },
      req_memory_bytes: { nested: '$.workload.requirements.memory', cast: 'quantity' },
      req_gpu: { nested: '$.workload.requirements.gpu', cast: 'double' },
      req_power_budget: { nested: '$.workload.requirements.power_budget', cast: 'double' },
      reason: { nested: '$.decision.reason', flat: '$.reason', cast: 'text' },
      outcome: { nested: '$.decision.outcome', flat: '$.outcome', cast: 'outcome' },
      est_power_watts: {
        nested: `${cc}.estimated_power_watts`,
        flat: '$.cost_calculation.power_watts',
        cast: 'double',
      },
      est_cost_per_hour: {
        nested: `${cc}.estimated_cost_per_hour`,
        flat: '$.cost_calculation.cost_per_hour',
        cast: 'double',
      },
      efficiency_score: {
        nested: `${cc}.efficiency_score`,
        flat: '$.cost_calculation.efficiency_score',
        cast: 'double',
      },
      exec_ms: same('$.execution_time_ms', 'double'),
      alternatives: { nested: `${cc}.alternatives`, flat: '$.alternatives', cast: 'json' },
    },
  },
  /** Nested when it has migration.to_cluster (the nested shape requires it). */
  workload_relocation: {
    nestedProbe: '$.migration.to_cluster',
    columns: {
      workload_id: { nested: '$.workload', flat: '$.workload_id', cast: 'text' },
      cluster_id: { nested: '$.migration.to_cluster', flat: '$.to_cluster', cast: 'text' },
      severity: same('$.severity', 'lower'),
      trigger: same('$.trigger'),
      from_cluster: { nested: '$.migration.from_cluster', flat: '$.from_cluster', cast: 'text' },
      reason: { nested: '$.migration.reason', flat: '$.reason', cast: 'text' },
      power_saving_watts: {
        nested: '$.migration.power_saving_watts',
        flat: '$.metrics.power_saving_watts',
        cast: 'double',
      },
      cost_saving_per_hour: {
        nested: '$.migration.cost_saving_per_hour',
        flat: '$.metrics.cost_saving_per_hour',
        cast: 'double',
      },
      migration_seconds: {
        nested: '$.migration_time_seconds',
        flat: '$.metrics.migration_time_seconds',
        cast: 'double',
      },
      downtime_seconds: { nested: '$.downtime_seconds', flat: '$.metrics.downtime_seconds', cast: 'double' },
    },
  },
  /** One shape. */
  cluster_reconfiguration: {
    columns: {
      workload_id: same('$.workload_id'),
      cluster_id: same('$.cluster.id'),
      severity: same('$.severity', 'lower'),
      action: same('$.action'),
      cluster_name: same('$.cluster.name'),
      cluster_type: same('$.cluster.type'),
      node_count: same('$.cluster.node_count', 'int'),
      cluster_cost_per_hour: same('$.cluster.estimated_cost_per_hour', 'double'),
      queue_length: same('$.trigger.workload_queue_length', 'int'),
      cluster_utilization_pct: same('$.trigger.existing_cluster_utilization', 'percent'),
      expected_gain_pct: same('$.trigger.expected_efficiency_gain', 'percent'),
    },
  },
  /** Nested when it has inefficiency.cluster (the nested shape requires it). */
  inefficiency_detected: {
    nestedProbe: '$.inefficiency.cluster',
    columns: {
      workload_id: same('$.workload_id'),
      cluster_id: { nested: '$.inefficiency.cluster', flat: '$.resource_id', cast: 'text' },
      severity: same('$.severity', 'lower'),
      inefficiency_type: { nested: '$.inefficiency.type', flat: '$.inefficiency_type', cast: 'text' },
      utilization_pct: {
        nested: '$.inefficiency.utilization',
        flat: '$.metrics.utilization_percentage',
        cast: 'percent',
      },
      idle_hours: {
        nested: '$.inefficiency.idle_duration_hours',
        flat: '$.metrics.idle_duration_hours',
        cast: 'double',
      },
      wasted_cost: {
        nested: '$.inefficiency.wasted_cost_estimate',
        flat: '$.metrics.wasted_cost_estimate',
        cast: 'double',
      },
      recommended_action: same('$.recommended_action'),
      auto_action: same('$.auto_action_taken', 'bool'),
    },
  },
  /** One shape. */
  policy_change: {
    columns: {
      severity: same('$.severity', 'lower'),
      policy_id: same('$.policy.id'),
      policy_name: same('$.policy.name'),
      policy_version: same('$.policy.version'),
      action: same('$.action'),
      previous_policy: same('$.previous'),
      actor: same('$.actor'),
      reason: same('$.reason'),
    },
  },
};
