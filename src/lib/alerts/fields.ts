/**
 * The event fields alert rules can test: the typed columns of `events`
 * (src/lib/store/derive.ts), by column name or by the field name of the
 * logged event (`wasted_cost_estimate` is the column `wasted_cost`).
 * Conditions never parse JSON: they compare typed columns.
 */

import { excerpt } from '../text.js';

export { EVENT_TYPES } from '../schema/index.js';

export type FieldType = 'number' | 'text' | 'severity' | 'boolean';

const D = 'scheduling_decision';
const R = 'workload_relocation';
const C = 'cluster_reconfiguration';
const I = 'inefficiency_detected';
const P = 'policy_change';

export interface FieldDef {
  column: string;
  type: FieldType;
  /** Event types that fill this column; empty = every event. */
  types: readonly string[];
}

/** Every column a condition may use. */
export const FIELDS: readonly FieldDef[] = [
  { column: 'event_type', type: 'text', types: [] },
  { column: 'event_id', type: 'text', types: [] },
  { column: 'seq', type: 'number', types: [] },
  { column: 'workload_id', type: 'text', types: [] },
  { column: 'cluster_id', type: 'text', types: [] },
  { column: 'severity', type: 'severity', types: [] },
  { column: 'scheduler', type: 'text', types: [D] },
  { column: 'workload_type', type: 'text', types: [D] },
  { column: 'req_cpu', type: 'number', types: [D] },
  { column: 'req_memory_bytes', type: 'number', types: [D] },
  { column: 'req_gpu', type: 'number', types: [D] },
  { column: 'req_power_budget', type: 'number', types: [D] },
  { column: 'reason', type: 'text', types: [D, R, P] },
  { column: 'outcome', type: 'text', types: [D] },
  { column: 'est_power_watts', type: 'number', types: [D] },
  { column: 'est_cost_per_hour', type: 'number', types: [D] },
  { column: 'efficiency_score', type: 'number', types: [D] },
  { column: 'exec_ms', type: 'number', types: [D] },
  { column: 'alt_count', type: 'number', types: [D] },
  { column: 'alt_min_cost', type: 'number', types: [D] },
  { column: 'alt_min_cluster', type: 'text', types: [D] },
  { column: 'trigger', type: 'text', types: [R] },
  { column: 'from_cluster', type: 'text', types: [R] },
  { column: 'power_saving_watts', type: 'number', types: [R] },
  { column: 'cost_saving_per_hour', type: 'number', types: [R] },
  { column: 'migration_seconds', type: 'number', types: [R] },
  { column: 'downtime_seconds', type: 'number', types: [R] },
  { column: 'action', type: 'text', types: [C, P] },
  { column: 'cluster_name', type: 'text', types: [C] },
  { column: 'cluster_type', type: 'text', types: [C] },
  { column: 'node_count', type: 'number', types: [C] },
  { column: 'cluster_cost_per_hour', type: 'number', types: [C] },
  { column: 'queue_length', type: 'number', types: [C] },
  { column: 'cluster_utilization_pct', type: 'number', types: [C] },
  { column: 'expected_gain_pct', type: 'number', types: [C] },
  { column: 'inefficiency_type', type: 'text', types: [I] },
  { column: 'utilization_pct', type: 'number', types: [I] },
  { column: 'idle_hours', type: 'number', types: [I] },
  { column: 'wasted_cost', type: 'number', types: [I] },
  { column: 'recommended_action', type: 'text', types: [I] },
  { column: 'auto_action', type: 'boolean', types: [I] },
  { column: 'policy_id', type: 'text', types: [P] },
  { column: 'policy_name', type: 'text', types: [P] },
  { column: 'policy_version', type: 'text', types: [P] },
  { column: 'previous_policy', type: 'text', types: [P] },
  { column: 'actor', type: 'text', types: [P] },
];

/** Names of the logged events' fields, per event type, mapped to columns. */
const ALIASES: Record<string, Record<string, string>> = {
  type: { '*': 'event_type' },
  id: { '*': 'event_id' },
  workload: { '*': 'workload_id' },
  cluster: { '*': 'cluster_id' },
  selected_cluster: { [D]: 'cluster_id' },
  to_cluster: { [R]: 'cluster_id' },
  resource_id: { [I]: 'cluster_id' },
  execution_time_ms: { [D]: 'exec_ms' },
  latency_ms: { [D]: 'exec_ms' },
  estimated_power_watts: { [D]: 'est_power_watts' },
  power_watts: { [D]: 'est_power_watts' },
  estimated_cost_per_hour: { [D]: 'est_cost_per_hour', [C]: 'cluster_cost_per_hour' },
  cost_per_hour: { [D]: 'est_cost_per_hour', [C]: 'cluster_cost_per_hour' },
  migration_time_seconds: { [R]: 'migration_seconds' },
  workload_queue_length: { [C]: 'queue_length' },
  existing_cluster_utilization: { [C]: 'cluster_utilization_pct' },
  expected_efficiency_gain: { [C]: 'expected_gain_pct' },
  utilization: { [I]: 'utilization_pct', [C]: 'cluster_utilization_pct' },
  utilization_percentage: { [I]: 'utilization_pct' },
  idle_duration_hours: { [I]: 'idle_hours' },
  wasted_cost_estimate: { [I]: 'wasted_cost' },
  auto_action_taken: { [I]: 'auto_action' },
};

const BY_COLUMN = new Map(FIELDS.map((f) => [f.column, f]));

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** `CASE` giving a severity's rank 1..4 (NULL for anything else). */
export const SEVERITY_RANK_SQL = `(CASE severity ${SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i + 1}`).join(' ')} END)`;

/**
 * Resolve a field name for rules on `types` (empty = any type) to a column,
 * or explain why it cannot be used.
 */
export function resolveField(name: string, types: readonly string[]): FieldDef | string {
  const direct = BY_COLUMN.get(name);
  if (direct) return checkTypes(direct, name, types);
  const alias = ALIASES[name];
  if (!alias) {
    return `unknown field ${excerpt(name)}; known fields: ${[...BY_COLUMN.keys(), ...Object.keys(ALIASES)].sort().join(', ')}`;
  }
  if (alias['*']) return checkTypes(BY_COLUMN.get(alias['*'])!, name, types);
  const cols = new Set(
    (types.length ? types : Object.keys(alias)).map((t) => alias[t]).filter((c): c is string => !!c),
  );
  if (cols.size === 0)
    return `field ${excerpt(name)} belongs to ${Object.keys(alias).join(', ')} events, not ${types.join(', ')}`;
  if (cols.size > 1)
    return `field ${excerpt(name)} is ambiguous without an event type (it is ${[...cols].join(' or ')}); set match.type or use the column name`;
  return checkTypes(BY_COLUMN.get([...cols][0]!)!, name, types);
}

function checkTypes(f: FieldDef, name: string, types: readonly string[]): FieldDef | string {
  if (!f.types.length || !types.length) return f;
  const ok = types.filter((t) => f.types.includes(t));
  if (ok.length === types.length) return f;
  return `field ${excerpt(name)} (column ${f.column}) is only set on ${f.types.join(', ')} events, not ${types.filter((t) => !f.types.includes(t)).join(', ')}`;
}

/** Every name a condition or message template may use. */
export function knownFieldNames(): string[] {
  return [...BY_COLUMN.keys(), ...Object.keys(ALIASES)].sort();
}
