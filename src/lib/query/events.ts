/** Event search over the store. */
import type { Store } from '../store/open.js';
import { buildWhere, type EventFilter } from './filters.js';
import { streamSorted } from './sorted.js';
import { microsToIso } from '../time.js';
import { normaliseEvent, type JsonObject } from '../schema/index.js';

export interface EventRow {
  seq: number;
  event_id: string;
  ts: string;
  event_type: string;
  workload_id: string | null;
  cluster_id: string | null;
  severity: string | null;
  source: string | null;
  line: number;
  raw: string;
}

export interface SearchOptions {
  /** Maximum rows; undefined = all. */
  limit?: number;
  order?: 'asc' | 'desc';
  /** Order by event time (default) or by ingest order. */
  by?: 'time' | 'seq';
}

/**
 * Filter, order and limit the events first, then name their sources: joining
 * before the LIMIT made DuckDB read every matching row (2.4 s vs 0.1 s on 2M events).
 */
const columns = (a = '') =>
  `${a}seq, ${a}event_id, epoch_us(${a}ts) AS ts_us, ${a}ts, ${a}event_type, ${a}workload_id, ${a}cluster_id, ${a}severity, ${a}source_id, ${a}line, ${a}raw`;

function toRow(o: Record<string, unknown>): EventRow {
  return {
    seq: Number(o.seq),
    event_id: String(o.event_id),
    ts: microsToIso(Number(o.ts_us)),
    event_type: String(o.event_type),
    workload_id: (o.workload_id as string | null) ?? null,
    cluster_id: (o.cluster_id as string | null) ?? null,
    severity: (o.severity as string | null) ?? null,
    source: (o.source as string | null) ?? null,
    line: Number(o.line),
    raw: String(o.raw),
  };
}

/** ORDER BY of a search (columns of alias `a`). */
function sortKey(opts: SearchOptions, a: string): string {
  const dir = opts.order === 'desc' ? 'DESC' : 'ASC';
  return opts.by === 'seq' ? `${a}seq ${dir}` : `${a}ts ${dir}, ${a}seq ${dir}`;
}

const limitClause = (opts: SearchOptions) =>
  opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';

function query(filter: EventFilter, opts: SearchOptions): { sql: string; params: (string | number)[] } {
  const w = buildWhere(filter, 'e.');
  const orderBy = (a: string) => sortKey(opts, a);
  const limit = limitClause(opts);
  const sql = `SELECT m.*, s.path AS source
FROM (SELECT ${columns()} FROM events e WHERE ${w.sql} ORDER BY ${orderBy('e.')}${limit}) m
LEFT JOIN sources s ON s.id = m.source_id
ORDER BY ${orderBy('m.')}`;
  return { sql, params: w.params };
}

export async function searchEvents(
  store: Store,
  filter: EventFilter,
  opts: SearchOptions = {},
): Promise<EventRow[]> {
  const { sql, params } = query(filter, opts);
  const r = await store.conn.runAndReadAll(sql, params);
  return r.getRowObjectsJS().map((o) => toRow(o as Record<string, unknown>));
}

/** Stream matching events in chunks, in order (for jsonl/csv export of any size), in bounded memory. */
export function streamEvents(
  store: Store,
  filter: EventFilter,
  opts: SearchOptions = {},
): AsyncGenerator<EventRow[]> {
  const w = buildWhere(filter, 'e.');
  return streamSorted(store, {
    keys: `SELECT e.seq FROM events e WHERE ${w.sql} ORDER BY ${sortKey(opts, 'e.')}${limitClause(opts)}`,
    params: w.params,
    rows: (ids, lo, hi) => `SELECT ${columns('e.')}, s.path AS source
      FROM events e LEFT JOIN sources s ON s.id = e.source_id
      WHERE e.seq BETWEEN ${lo} AND ${hi} AND e.seq IN (${ids})`,
    row: toRow,
    key: (o) => Number(o.seq),
  });
}

export async function countEvents(store: Store, filter: EventFilter): Promise<number> {
  const w = buildWhere(filter, 'e.');
  const r = await store.conn.runAndReadAll(`SELECT count(*) FROM events e WHERE ${w.sql}`, w.params);
  return Number(r.getRows()[0]![0]);
}

/** The stored event in its normalised form (docs/design.md: one stored form for both shapes). */
export function normalised(row: EventRow): JsonObject {
  let parsed: JsonObject;
  try {
    parsed = JSON.parse(row.raw) as JsonObject;
  } catch {
    parsed = { event_type: row.event_type };
  }
  return normaliseEvent(parsed, row.event_id, row.ts);
}

/** An event as `events --json` lists it: its normalised form, with its seq and where it came from. */
export type ListedEvent = JsonObject & { _seq: number; _source: string | null; _line: number };

export const listedEvent = (r: EventRow): ListedEvent => ({
  ...normalised(r),
  _seq: r.seq,
  _source: r.source,
  _line: r.line,
});
