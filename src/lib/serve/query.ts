/**
 * Query-string parameters, read like the flags of the command they stand for: the same names,
 * the same checks and the same one-line messages, each naming the parameter (`limit: expected a
 * whole number ...` where the CLI says `--limit: ...`), so a bad value is a 400 saying what the
 * CLI would say. Parameters an endpoint does not take are refused, as an unknown flag is.
 */
import { UsageError } from '../errors.js';
import { readCount, readNumber, type NumberRange } from '../count.js';
import { parseTimeRange, readDuration, type DurationRange } from '../time.js';
import { filterFromFlags, type EventFilter, type FilterFlags } from '../query/filters.js';
import type { OptionName } from '../option-name.js';

/** How messages name a query parameter: by its name (`limit`), as the query string spells it. */
export const paramName: OptionName = (name) => name;

export type RawQuery = Record<string, string | string[] | undefined>;

/** The parameters of a request, each read at most once; `done()` refuses any left unread. */
export class Query {
  private readonly read = new Set<string>();

  constructor(private readonly q: RawQuery = {}) {}

  /** A parameter given once (or not at all). */
  one(name: string): string | undefined {
    this.read.add(name);
    const v = this.q[name];
    if (Array.isArray(v)) {
      if (v.length > 1)
        throw new UsageError(`${paramName(name)}: given ${v.length} times; it takes one value`);
      return v[0];
    }
    return v;
  }

  /** A repeatable parameter (`type=a&type=b`; commas split them where the flag does). */
  many(name: string): string[] | undefined {
    this.read.add(name);
    const v = this.q[name];
    return v === undefined ? undefined : Array.isArray(v) ? v : [v];
  }

  count(name: string, min: number, max?: number): number | undefined {
    const v = this.one(name);
    return v === undefined ? undefined : readCount(v, paramName(name), min, max);
  }

  number(name: string, range: NumberRange): number | undefined {
    const v = this.one(name);
    return v === undefined ? undefined : readNumber(v, paramName(name), range);
  }

  duration(name: string, range: DurationRange): number | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    const r = readDuration(v, range);
    if (!r.ok) throw new UsageError(`${paramName(name)}: ${r.reason}`);
    return r.ms;
  }

  /** One of `options`, as oclif says when a flag's value is not among its options. */
  option<T extends string>(name: string, options: readonly T[]): T | undefined {
    const v = this.one(name);
    if (v === undefined) return undefined;
    if (!(options as readonly string[]).includes(v))
      throw new UsageError(`Expected ${paramName(name)}=${v} to be one of: ${options.join(', ')}`);
    return v as T;
  }

  /** A boolean flag: present (empty), `true` or `1`; `false` or `0`. */
  flag(name: string): boolean {
    const v = this.one(name);
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === '' || v === 'true' || v === '1') return true;
    throw new UsageError(`${paramName(name)}: expected true or false; got "${v}"`);
  }

  /** The filters of `events` (--type --workload --cluster --severity --since --until --grep --where). */
  filters(omit: readonly (keyof FilterFlags)[] = []): FilterFlags {
    const f: FilterFlags = {};
    const take = (k: keyof FilterFlags) => !omit.includes(k);
    if (take('type')) f.type = this.many('type');
    if (take('workload')) f.workload = this.many('workload');
    if (take('cluster')) f.cluster = this.many('cluster');
    if (take('severity')) f.severity = this.many('severity');
    if (take('since')) f.since = this.one('since');
    if (take('until')) f.until = this.one('until');
    if (take('grep')) f.grep = this.one('grep');
    if (take('where')) f.where = this.many('where');
    return f;
  }

  /** The filters of `events` as an EventFilter (filterFromFlags), its messages naming the parameters. */
  filter(omit: readonly (keyof FilterFlags)[] = [], nowMs = Date.now()): EventFilter {
    return filterFromFlags(this.filters(omit), nowMs, paramName);
  }

  /** Two time bounds (ISO, or a duration before now), the second after the first. */
  timeRange(sinceName: string, untilName: string, nowMs = Date.now()): { since?: number; until?: number } {
    const [since, until] = [this.one(sinceName), this.one(untilName)];
    return parseTimeRange(since, until, [paramName(sinceName), paramName(untilName)], nowMs);
  }

  /** Refuse the parameters nothing read. */
  done(): void {
    const unknown = Object.keys(this.q).filter((k) => !this.read.has(k));
    if (unknown.length)
      throw new UsageError(
        `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 60)}"`).join(', ')}; this endpoint takes ${[...this.read].join(', ') || 'none'}`,
      );
  }
}
