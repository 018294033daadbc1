/**
 * Query-string parameters, read like the flags of the command they stand for: the same names,
 * the same checks and the same one-line messages, each naming the parameter (`limit: expected a
 * whole number ...` where the CLI says `--limit: ...`), so a bad value is a 400 saying what the
 * CLI would say. Parameters an endpoint does not take are refused, as an unknown flag is.
 *
 * Each endpoint reads its parameters through one table (`Params`: each parameter's kind, range,
 * default and meaning), the table /openapi.json documents them by (openapi.ts): a parameter the
 * table lacks cannot be read, and one the endpoint does not read fails every request, so the
 * document and the endpoint cannot disagree.
 */
import { UsageError } from '../errors.js';
import { readCount, readNumber, type NumberRange } from '../count.js';
import { parseTimeRange, readDuration, type DurationRange } from '../time.js';
import { filterFromFlags, type EventFilter, type FilterFlags } from '../query/filters.js';
import type { OptionName } from '../option-name.js';

export type RawQuery = Record<string, string | string[] | undefined>;

/** How messages name a query parameter: by its name (`limit`), as the query string spells it. */
export const paramName: OptionName = (name) => name;

/** One query parameter: how it is read, and what it means (for the OpenAPI document). */
export type Param = { description: string } & (
  | { kind: 'text' }
  /** Repeatable (`type=a&type=b`); commas split values where the flag does. */
  | { kind: 'list' }
  /** A time bound: ISO, a duration before now, or `now` (read with its pair by `timeRange`). */
  | { kind: 'time' }
  /** A whole number in [min, max]; `all`: the word "all" too (no limit). */
  | { kind: 'count'; min: number; max?: number; all?: boolean; default?: number }
  | { kind: 'number'; range: NumberRange }
  | { kind: 'duration'; range: DurationRange; default?: number }
  | { kind: 'option'; options: readonly string[]; default?: string }
  /** true, 1 or empty; false or 0. Without a default, absent means neither. */
  | { kind: 'flag'; default?: boolean }
);

/** An endpoint's parameters, by name. */
export type Params = Record<string, Param>;

/** A reader's value: defined when the table gives a default. */
type Value<P, T> = P extends { default: unknown } ? T : T | undefined;
type OptionOf<P> = P extends { options: readonly (infer O)[] } ? O : string;

/** The filters of `events` (--type --workload --cluster --severity --since --until --grep --where). */
export const FILTER_PARAMS = {
  type: { kind: 'list', description: 'only events of these types (event_type)' },
  workload: { kind: 'list', description: 'only events of these workload ids' },
  cluster: { kind: 'list', description: 'only events on these clusters' },
  severity: { kind: 'list', description: 'only events of these severities: low, medium, high, critical' },
  since: { kind: 'time', description: 'only events at or after this time' },
  until: { kind: 'time', description: 'only events before this time' },
  grep: { kind: 'text', description: 'only events whose JSON text holds this text (any case)' },
  where: {
    kind: 'list',
    description: 'only events whose JSON field PATH matches: PATH=VALUE, or !=, >, >=, <, <=, ~ (contains)',
  },
} as const satisfies Params;

const FILTER_KEYS = Object.keys(FILTER_PARAMS) as (keyof FilterFlags)[];

/** The parameters of a request, each read at most once; `done()` refuses any left unread. */
export class Query<P extends Params = Params> {
  private readonly read = new Set<string>();

  constructor(
    private readonly q: RawQuery,
    private readonly params: P,
  ) {}

  /** The table's entry for `name` (a programming error when the table lacks it, or its kind differs). */
  private param<K extends Param['kind']>(name: string, kind: K): Extract<Param, { kind: K }> {
    const p = this.params[name];
    if (p?.kind !== kind)
      throw new Error(`query parameter ${name} is not in the endpoint's table as a ${kind}`);
    this.read.add(name);
    return p as Extract<Param, { kind: K }>;
  }

  /** The value given once (or not at all). */
  private value(name: string): string | undefined {
    const v = this.q[name];
    if (Array.isArray(v)) {
      if (v.length > 1)
        throw new UsageError(`${paramName(name)}: given ${v.length} times; it takes one value`);
      return v[0];
    }
    return v;
  }

  /** A text parameter. */
  text(name: keyof P & string): string | undefined {
    this.param(name, 'text');
    return this.value(name);
  }

  /** A repeatable parameter, its values as given. */
  many(name: keyof P & string): string[] | undefined {
    this.param(name, 'list');
    const v = this.q[name];
    return v === undefined ? undefined : Array.isArray(v) ? v : [v];
  }

  count<N extends keyof P & string>(name: N): Value<P[N], number> {
    const p = this.param(name, 'count');
    const v = this.value(name);
    if (v === undefined) return p.default as Value<P[N], number>;
    if (p.all && v.trim() === 'all') return Number.POSITIVE_INFINITY;
    return readCount(v, paramName(name), p.min, p.max);
  }

  number(name: keyof P & string): number | undefined {
    const p = this.param(name, 'number');
    const v = this.value(name);
    return v === undefined ? undefined : readNumber(v, paramName(name), p.range);
  }

  duration<N extends keyof P & string>(name: N): Value<P[N], number> {
    const p = this.param(name, 'duration');
    const v = this.value(name);
    if (v === undefined) return p.default as Value<P[N], number>;
    const r = readDuration(v, p.range);
    if (!r.ok) throw new UsageError(`${paramName(name)}: ${r.reason}`);
    return r.ms;
  }

  /** One of the table's options, as oclif says when a flag's value is not among its options. */
  option<N extends keyof P & string>(name: N): Value<P[N], OptionOf<P[N]>> {
    const p = this.param(name, 'option');
    const v = this.value(name);
    if (v === undefined) return p.default as Value<P[N], OptionOf<P[N]>>;
    if (!p.options.includes(v))
      throw new UsageError(`Expected ${paramName(name)}=${v} to be one of: ${p.options.join(', ')}`);
    return v as OptionOf<P[N]>;
  }

  /** A boolean flag: present (empty), `true` or `1`; `false` or `0`. */
  flag<N extends keyof P & string>(name: N): Value<P[N], boolean> {
    const p = this.param(name, 'flag');
    const v = this.value(name);
    if (v === undefined) return p.default as Value<P[N], boolean>;
    if (v === 'false' || v === '0') return false;
    if (v === '' || v === 'true' || v === '1') return true;
    throw new UsageError(`${paramName(name)}: expected true or false; got "${v}"`);
  }

  /** A time bound's text, read as its pair does (`timeRange`, or the analysis window). */
  time(name: keyof P & string): string | undefined {
    this.param(name, 'time');
    return this.value(name);
  }

  /** Two time bounds (ISO, or a duration before now), the second after the first. */
  timeRange(sinceName: keyof P & string, untilName: keyof P & string, nowMs = Date.now()) {
    const [since, until] = [this.time(sinceName), this.time(untilName)];
    return parseTimeRange(since, until, [paramName(sinceName), paramName(untilName)], nowMs);
  }

  /** The filters of `events` in the table (but `omit`), as an EventFilter, its messages naming the parameters. */
  filter(omit: readonly (keyof FilterFlags)[] = [], nowMs = Date.now()): EventFilter {
    const f: FilterFlags = {};
    const given = f as Record<string, string | string[] | undefined>;
    for (const k of FILTER_KEYS) {
      const kind = omit.includes(k) ? undefined : this.params[k]?.kind;
      if (kind) given[k] = kind === 'list' ? this.many(k) : kind === 'time' ? this.time(k) : this.text(k);
    }
    return filterFromFlags(f, nowMs, paramName);
  }

  /** Refuse the parameters nothing read (and fail when the endpoint left one of its table unread). */
  done(): void {
    const unread = Object.keys(this.params).filter((k) => !this.read.has(k));
    if (unread.length) throw new Error(`the endpoint did not read its query parameters ${unread.join(', ')}`);
    const unknown = Object.keys(this.q).filter((k) => !this.read.has(k));
    if (unknown.length)
      throw new UsageError(
        `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 60)}"`).join(', ')}; this endpoint takes ${[...this.read].join(', ') || 'none'}`,
      );
  }
}

/** `params` without `names`. */
export function omitParams<P extends Params, K extends keyof P>(params: P, ...names: K[]): Omit<P, K> {
  const out = { ...params };
  for (const n of names) delete out[n];
  return out;
}
