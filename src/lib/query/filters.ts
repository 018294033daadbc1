/**
 * Event filters shared by `events`, `tail`, `trace` and the analyses, turned
 * into a parameterised WHERE clause (values are always bound, never spliced).
 */
import { Params, queryRows } from '../store/sql.js';
import { UsageError } from '../errors.js';
import { parseTimeRange } from '../time.js';
import { EVENT_TYPES, SEVERITIES, isKnownType } from '../schema/columns.js';
import { flagName, type OptionName } from '../option-name.js';
import type { Store } from '../store/open.js';

export interface EventFilter {
  types?: string[];
  workloads?: string[];
  clusters?: string[];
  severities?: string[];
  /** Epoch microseconds, inclusive. */
  since?: number;
  /** Epoch microseconds, exclusive. */
  until?: number;
  /** Text anywhere in the raw event (case-insensitive). */
  grep?: string;
  /** `path=value` conditions on the event's JSON fields. */
  where?: WhereCond[];
  /** Only events with seq greater than this. */
  afterSeq?: number;
}

export interface WhereCond {
  /** JSON path segments, e.g. ['decision', 'selected_cluster']. */
  path: string[];
  op: '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';
  value: string;
}

const WHERE_RE = /^([A-Za-z_][\w.-]*(?:\[\d+\])?(?:\.[\w-]+(?:\[\d+\])?)*)\s*(!=|>=|<=|=|>|<|~)\s*(.*)$/s;

/** `value` is a number a comparison can use. */
const isNumeric = (value: string) => value.trim() !== '' && Number.isFinite(Number(value));

/**
 * Parse `path=value` (also `!=`, `>`, `>=`, `<`, `<=`, `~` for contains); `>`, `>=`, `<`, `<=`
 * need a number. Messages name the option by `name` (`--where`).
 */
export function parseWhere(text: string, name: OptionName = flagName): WhereCond {
  const m = WHERE_RE.exec(text.trim());
  if (!m) {
    throw new UsageError(
      `${name('where')} "${text}": expected PATH=VALUE (or !=, >, >=, <, <=, ~), e.g. decision.selected_cluster=gpu-cluster-01`,
    );
  }
  const w = { path: m[1]!.split('.'), op: m[2] as WhereCond['op'], value: m[3]! };
  if (/^[<>]/.test(w.op) && !isNumeric(w.value))
    throw new UsageError(`${name('where')} ${w.path.join('.')}${w.op}${w.value}: ${w.op} needs a number`);
  return w;
}

/** Split comma-separated repeatable flag values. */
export function listFlag(values: string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  const out = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return out.length ? out : undefined;
}

export interface FilterFlags {
  type?: string[];
  workload?: string[];
  cluster?: string[];
  severity?: string[];
  since?: string;
  until?: string;
  grep?: string;
  where?: string[];
}

/** --severity values, lower-cased; one that no event can have is a usage error. */
function severities(values: string[] | undefined, name: OptionName): string[] | undefined {
  const out = listFlag(values)?.map((s) => s.toLowerCase());
  const bad = out?.find((s) => !(SEVERITIES as readonly string[]).includes(s));
  if (bad !== undefined)
    throw new UsageError(
      `${name('severity')} "${bad}": expected ${SEVERITIES.slice(0, -1).join(', ')} or ${SEVERITIES.at(-1)}`,
    );
  return out;
}

/**
 * Build an EventFilter from the common command flags. Values that can match nothing (an unknown
 * severity, --since at or after --until) are usage errors; --type needs the store (checkTypes).
 * Messages name the options by `name` (`--severity`; a query parameter's name in the service).
 */
export function filterFromFlags(
  f: FilterFlags,
  nowMs = Date.now(),
  name: OptionName = flagName,
): EventFilter {
  return {
    types: listFlag(f.type),
    workloads: listFlag(f.workload),
    clusters: listFlag(f.cluster),
    severities: severities(f.severity, name),
    ...parseTimeRange(f.since, f.until, [name('since'), name('until')], nowMs),
    grep: f.grep,
    where: f.where?.map((w) => parseWhere(w, name)),
  };
}

/**
 * Refuse --type values that are neither one of the five known types nor the type of a stored
 * (generic) event: a mistyped type would match nothing. The store is asked only about unknown
 * values.
 */
export async function checkTypes(
  store: Store,
  types: readonly string[] | undefined,
  name: OptionName = flagName,
): Promise<void> {
  const unknown = [...new Set(types?.filter((t) => !isKnownType(t)))];
  if (!unknown.length) return;
  const stored = async (sql: string, params: string[] = []) =>
    (await queryRows(store, sql, params)).map((r) => String(r.event_type));
  const found = new Set(
    await stored(
      `SELECT DISTINCT event_type FROM events WHERE event_type IN (${unknown.map((_, i) => `$${i + 1}`).join(', ')})`,
      unknown,
    ),
  );
  const missing = unknown.filter((t) => !found.has(t));
  if (!missing.length) return;
  const others = await stored('SELECT DISTINCT event_type FROM events WHERE NOT known ORDER BY 1 LIMIT 11');
  const list = others.length > 10 ? [...others.slice(0, 10), '...'] : others;
  throw new UsageError(
    `${name('type')} ${missing.map((t) => `"${t}"`).join(', ')}: no such event type; expected ${EVENT_TYPES.join(', ')}, ${
      list.length
        ? `or a type stored as a generic event (${list.join(', ')})`
        : 'or a type stored as a generic event (none is)'
    }`,
  );
}

/** JSON path text for json_extract: $.a.b[0] (segments quoted when needed). */
function jsonPath(path: string[]): string {
  return (
    '$' +
    path
      .map((seg) => {
        const m = /^([^[]+)((?:\[\d+\])*)$/.exec(seg);
        const name = m ? m[1]! : seg;
        const idx = m ? m[2]! : '';
        return (/^[A-Za-z_][\w]*$/.test(name) ? `.${name}` : `."${name.replace(/"/g, '')}"`) + idx;
      })
      .join('')
  );
}

/**
 * WHERE clause (without the keyword; `TRUE` when empty) and its parameters.
 * `alias` prefixes the columns (e.g. `e.`). Parameters are numbered from `firstParam`.
 */
export function buildWhere(
  f: EventFilter,
  alias = '',
  firstParam = 1,
): { sql: string; params: (string | number)[] } {
  const ps = new Params(firstParam - 1);
  const sql = whereSql(f, ps, alias);
  return { sql, params: ps.values as (string | number)[] };
}

/** The WHERE condition of a filter, its values added to `ps` (so a statement can have more). */
export function whereSql(f: EventFilter, ps: Params, alias = ''): string {
  const parts: string[] = [];
  const p = ps.p;
  const inList = (col: string, vals?: string[]) => {
    if (vals?.length) parts.push(`${alias}${col} IN (${vals.map((v) => p(v)).join(', ')})`);
  };
  inList('event_type', f.types);
  inList('workload_id', f.workloads);
  inList('cluster_id', f.clusters);
  inList('severity', f.severities);
  if (f.since !== undefined) parts.push(`${alias}ts >= make_timestamp(${p(f.since)}::BIGINT)`);
  if (f.until !== undefined) parts.push(`${alias}ts < make_timestamp(${p(f.until)}::BIGINT)`);
  if (f.afterSeq !== undefined) parts.push(`${alias}seq > ${p(f.afterSeq)}::BIGINT`);
  if (f.grep) parts.push(`contains(lower(${alias}raw), lower(${p(f.grep)}))`);
  for (const w of f.where ?? []) {
    const val = `json_extract_string(${alias}raw, ${p(jsonPath(w.path))})`;
    const num = Number(w.value);
    const numeric = isNumeric(w.value);
    switch (w.op) {
      case '=':
      case '!=':
        parts.push(
          numeric
            ? `(${val} ${w.op === '=' ? '=' : 'IS DISTINCT FROM'} ${p(w.value)} ${w.op === '=' ? 'OR' : 'AND'} TRY_CAST(${val} AS DOUBLE) ${w.op === '=' ? '=' : 'IS DISTINCT FROM'} ${p(num)}::DOUBLE)`
            : `${val} ${w.op === '=' ? '=' : 'IS DISTINCT FROM'} ${p(w.value)}`,
        );
        break;
      case '~':
        parts.push(`contains(lower(${val}), lower(${p(w.value)}))`);
        break;
      default: // a number, by parseWhere
        parts.push(`TRY_CAST(${val} AS DOUBLE) ${w.op} ${p(num)}::DOUBLE`);
    }
  }
  return parts.length ? parts.join(' AND ') : 'TRUE';
}
