/**
 * The event fields alert rules can test: the typed columns of `events`
 * (src/lib/store/derive.ts), by column name or by the field name of the
 * logged event (`wasted_cost_estimate` is the column `wasted_cost`).
 * Conditions never parse JSON: they compare typed columns.
 */

import { excerpt } from '../text.js';

import { TYPED_FIELDS, type Cast } from '../schema/columns.js';

export { EVENT_TYPES, SEVERITIES, SEVERITY_RANK_SQL } from '../schema/columns.js';

export type FieldType = 'number' | 'text' | 'severity' | 'boolean';

export interface FieldDef {
  column: string;
  type: FieldType;
  /** Event types that fill this column; empty = every event. */
  types: readonly string[];
}

/** How a typed column reads in a condition, by how it is derived. */
const FIELD_TYPE: Record<Cast, FieldType | undefined> = {
  text: 'text',
  outcome: 'text',
  lower: 'text',
  double: 'number',
  percent: 'number',
  quantity: 'number',
  int: 'number',
  bool: 'boolean',
  json: undefined, // a decision's alternatives: conditions use alt_count, alt_min_cost, alt_min_cluster
};

/** Columns every event has (the generic ones are derived for unknown types too). */
const COMMON: readonly FieldDef[] = [
  { column: 'event_type', type: 'text', types: [] },
  { column: 'event_id', type: 'text', types: [] },
  { column: 'seq', type: 'number', types: [] },
  { column: 'workload_id', type: 'text', types: [] },
  { column: 'cluster_id', type: 'text', types: [] },
  { column: 'severity', type: 'severity', types: [] },
];

/** Computed from a decision's alternatives (store/derive.ts). */
const ALTERNATIVES: readonly FieldDef[] = [
  { column: 'alt_count', type: 'number', types: ['scheduling_decision'] },
  { column: 'alt_min_cost', type: 'number', types: ['scheduling_decision'] },
  { column: 'alt_min_cluster', type: 'text', types: ['scheduling_decision'] },
];

/**
 * Every column a condition may use: the common ones, then each typed field the schemas declare
 * (src/lib/schema, `fields`), with the event types that fill it.
 */
export const FIELDS: readonly FieldDef[] = (() => {
  const byColumn = new Map<string, FieldDef>(COMMON.map((f) => [f.column, f]));
  for (const [type, fields] of Object.entries(TYPED_FIELDS)) {
    for (const [column, f] of Object.entries(fields.columns)) {
      const kind = FIELD_TYPE[f.cast];
      const known = byColumn.get(column);
      if (!kind || (known && known.types.length === 0)) continue;
      byColumn.set(column, { column, type: kind, types: [...(known?.types ?? []), type] });
    }
  }
  for (const f of ALTERNATIVES) byColumn.set(f.column, f);
  return [...byColumn.values()];
})();

/** Names that mean a common column whatever the event type. */
const COMMON_ALIASES: Record<string, string> = {
  type: 'event_type',
  id: 'event_id',
  workload: 'workload_id',
  cluster: 'cluster_id',
};

/**
 * Names of the logged events' fields, per event type, mapped to columns: the last part of each
 * declared path (`wasted_cost_estimate` is the column `wasted_cost` on inefficiencies), plus
 * `latency_ms` for a decision's execution time.
 */
const ALIASES: Record<string, Record<string, string>> = (() => {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, column] of Object.entries(COMMON_ALIASES)) out[name] = { '*': column };
  const add = (name: string, type: string, column: string) => {
    if (name === column || COMMON_ALIASES[name] || FIELDS.some((f) => f.column === name)) return;
    (out[name] ??= {})[type] = column;
  };
  for (const [type, fields] of Object.entries(TYPED_FIELDS)) {
    for (const [column, f] of Object.entries(fields.columns)) {
      if (!FIELD_TYPE[f.cast]) continue;
      for (const p of [f.nested, f.flat]) if (p) add(p.slice(p.lastIndexOf('.') + 1), type, column);
    }
  }
  add('latency_ms', 'scheduling_decision', 'exec_ms');
  return out;
})();

const BY_COLUMN = new Map(FIELDS.map((f) => [f.column, f]));

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
