/**
 * Running SQL and reading DuckDB values, one way for the whole library.
 *
 * Values come back from DuckDB as numbers, bigints, strings or null. The
 * readers give null one meaning: "no value" (a column that is NULL, an
 * aggregate over no rows). Where no value is to count as 0 (a count, a sum),
 * the caller says so with `numOrZero`.
 */
import type { Store } from './open.js';

export type Row = Record<string, unknown>;
export type SqlParam = string | number | boolean | null;

/** Run a parameterised query and return plain row objects. */
export async function queryRows(store: Store, sql: string, params: readonly SqlParam[] = []): Promise<Row[]> {
  const r = await store.conn.runAndReadAll(sql, params as never);
  return r.getRowObjectsJS() as Row[];
}

/** The first column of the first row, or null when there is no row. */
export async function queryValue(
  store: Store,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<unknown> {
  const r = await store.conn.runAndReadAll(sql, params as never);
  return r.getRows()[0]?.[0] ?? null;
}

/** A DuckDB value (number, bigint, numeric text) as a JS number, or null for no value (or not finite). */
export function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}

/** As `num`, with no value counted as 0: for counts and sums. */
export const numOrZero = (v: unknown): number => num(v) ?? 0;

/** A DuckDB value as text, or null for no value. */
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * Positional parameters for a statement being built: `p(value)` adds one and returns its
 * placeholder (`$1`, `$2`, ...); `values` go to the query. Nothing from a user is ever
 * interpolated into SQL.
 */
export class Params {
  readonly values: SqlParam[] = [];
  /** `offset`: placeholders already taken by the statement ($1..$offset). */
  constructor(private readonly offset = 0) {}
  readonly p = (v: SqlParam): string => {
    this.values.push(v);
    return `$${this.offset + this.values.length}`;
  };
  /** Placeholders for a list, for `IN (...)`. */
  list(vs: readonly SqlParam[]): string {
    return vs.map((v) => this.p(v)).join(', ');
  }
}

/**
 * Figures summed from DOUBLE columns are summed as integers: each value rounded to 1e-9 of its
 * unit (nano-USD, nano-hours, ...) and added as HUGEINT. Adding doubles gives a result that
 * depends on the order DuckDB's threads add the rows in, so the same store gave other last
 * digits in each run (`analyze scheduling --json`, `report audit`: 71 values differed between two
 * runs on a 10M-event store); integers add up the same in any order. Values are at most 1e12
 * (schema/common.ts FIGURE_LIMIT), so a value is at most 1e21 units and a sum of 10^17 of them
 * fits in a HUGEINT.
 */
export const EXACT_SCALE = 1e9;

/** One value of `expr` as the integer EXACT_SCALE units it is summed in (HUGEINT). */
export const exactUnits = (expr: string): string => `round((${expr}) * ${EXACT_SCALE})::HUGEINT`;

/** An integer sum of exactUnits as a DOUBLE in the column's unit (NULL over no value). */
export const fromUnits = (sumSql: string): string => `((${sumSql})::DOUBLE / ${EXACT_SCALE})`;

/** The sum of a DOUBLE expression, the same in every run (NULL over no value). */
export const exactSum = (expr: string, filter?: string): string =>
  fromUnits(`sum(${exactUnits(expr)})${filter ? ` FILTER (WHERE ${filter})` : ''}`);

/** The mean of a DOUBLE expression, the same in every run (NULL over no value). */
export const exactAvg = (expr: string, filter?: string): string =>
  `(${exactSum(expr, filter)} / nullif(count(${expr})${filter ? ` FILTER (WHERE ${filter})` : ''}, 0))`;
