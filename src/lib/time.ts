/**
 * Time parsing. Event times are kept as integer microseconds since the Unix
 * epoch (UTC), the unit of DuckDB's TIMESTAMP.
 */
import { UsageError } from './errors.js';

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The range of event times: 1700-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z (UTC, after any
 * offset is applied). Within it a time in microseconds is exact as a JavaScript number (below
 * 2^53), so every command can print, compare, hash and chart it, and DuckDB's TIMESTAMP holds it.
 * A time outside it is refused, never changed (no year is ever read as another).
 */
export const MIN_EVENT_MICROS = utcMs(1700, 0, 1, 0, 0, 0) * 1000;
export const MAX_EVENT_MICROS = utcMs(2199, 11, 31, 23, 59, 59) * 1000 + 999_999;
export const EVENT_TIME_RANGE = '1700-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z';

/**
 * Epoch numbers: below 1e11 they are seconds, from 1e11 on milliseconds (1e11 ms is 1973-03-03,
 * 1e11 s the year 5138, so no time in range is ambiguous); never negative. Larger units (micro-,
 * nanoseconds) are not guessed: read as milliseconds they fall far past 2199 and are refused.
 */
export const MILLIS_THRESHOLD = 1e11;

/** Epoch milliseconds of a UTC calendar time, years 0-99 kept as written. */
function utcMs(year: number, month: number, day: number, h: number, mi: number, s: number): number {
  const d = new Date(Date.UTC(2000, month, day, h, mi, s));
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

/** An event time read, or why it cannot be one. */
export type TimeResult = { ok: true; micros: number } | { ok: false; reason: string };

const inRange = (micros: number): TimeResult =>
  micros >= MIN_EVENT_MICROS && micros <= MAX_EVENT_MICROS
    ? { ok: true, micros }
    : { ok: false, reason: `is outside the supported range ${EVENT_TIME_RANGE}` };

/** Read an ISO 8601 string (offset, `Z` or none = UTC) as epoch microseconds. */
export function readIsoMicros(text: string): TimeResult {
  const m = ISO_RE.exec(text.trim());
  if (!m) return { ok: false, reason: 'is not an ISO 8601 time' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const year = +y!,
    month = +mo!,
    day = +d!,
    hour = +h,
    minute = +mi,
    second = +s;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60)
    return { ok: false, reason: 'is not a valid date and time' };
  const ms = utcMs(year, month - 1, day, hour, minute, Math.min(second, 59));
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1)
    return { ok: false, reason: 'is not a valid date (no such day)' }; // 2025-02-30
  let offsetMin = 0;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = +digits.slice(0, 2),
      om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return { ok: false, reason: 'has an impossible UTC offset' };
    offsetMin = sign * (oh * 60 + om);
  }
  const micros = frac ? Math.floor(+(frac + '000000').slice(0, 6)) : 0;
  return inRange((ms - offsetMin * 60_000) * 1000 + micros);
}

/** Parse an ISO 8601 string into epoch microseconds, or undefined if it is not a time in range. */
export function parseIsoMicros(text: string): number | undefined {
  const r = readIsoMicros(text);
  return r.ok ? r.micros : undefined;
}

/** Read an event timestamp: an ISO string, or epoch seconds/milliseconds as a number. */
export function readEventTime(value: unknown): TimeResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'is not a finite number' };
    if (value < 0) return { ok: false, reason: 'is a negative epoch number' };
    const micros = Math.round(value >= MILLIS_THRESHOLD ? value * 1000 : value * 1_000_000);
    return inRange(micros);
  }
  if (typeof value === 'string') return readIsoMicros(value);
  return { ok: false, reason: 'is not an ISO 8601 string or an epoch number' };
}

/** Parse an event timestamp: ISO string or epoch seconds/milliseconds number (undefined if invalid). */
export function parseEventTime(value: unknown): number | undefined {
  const r = readEventTime(value);
  return r.ok ? r.micros : undefined;
}

/** ISO UTC text of epoch microseconds, e.g. 2025-01-15T10:30:00.123456Z (fraction only when non-zero). */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // ...sss Z
  if (rest === 0) return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
  return iso.slice(0, -1) + String(rest).padStart(3, '0') + 'Z';
}

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parse a duration like `15m`, `24h`, `7d` into milliseconds, or undefined. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return +m[1]! * UNIT_MS[m[2]!]!;
}

/**
 * Parse a `--since/--until` value: an ISO date/time (UTC when no offset), a
 * relative duration before `now` (`15m`, `24h`, `7d`), or `now`.
 * Returns epoch microseconds. Throws UsageError naming the flag.
 */
export function parseTimeBound(text: string, flag: string, nowMs = Date.now()): number {
  if (text === 'now') return nowMs * 1000;
  const dur = parseDurationMs(text);
  if (dur !== undefined) {
    const r = inRange(Math.round((nowMs - dur) * 1000));
    if (r.ok) return r.micros;
    throw new UsageError(`${flag}: "${text}" before now ${r.reason}`);
  }
  const iso = readIsoMicros(text);
  if (iso.ok) return iso.micros;
  if (ISO_RE.test(text.trim())) throw new UsageError(`${flag}: "${text}" ${iso.reason}`);
  throw new UsageError(
    `${flag}: cannot read "${text}" as a time; use ISO (2025-01-15, 2025-01-15T10:30:00Z) or a duration before now (15m, 24h, 7d)`,
  );
}

/**
 * Parse a pair of bounds (`--since`/`--until`, or other flags named in `flags`) against one
 * `now`; the end must be after the start, so an inverted or empty window is a usage error
 * rather than "nothing matches".
 */
export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  flags: readonly [string, string] = ['--since', '--until'],
  nowMs = Date.now(),
): { since?: number; until?: number } {
  const [sinceFlag, untilFlag] = flags;
  const s = since ? parseTimeBound(since, sinceFlag, nowMs) : undefined;
  const u = until ? parseTimeBound(until, untilFlag, nowMs) : undefined;
  if (s !== undefined && u !== undefined && u <= s)
    throw new UsageError(
      `${untilFlag} must be after ${sinceFlag} (${sinceFlag} ${since} is at or after ${untilFlag} ${until})`,
    );
  return { since: s, until: u };
}

/**
 * The longest duration any flag or rule takes: 3650 days (10 years). Windows, periods, gaps and
 * spans longer than that are refused as mistakes (`100000d`), not evaluated.
 */
export const MAX_SPAN_MS = 3650 * UNIT_MS.d!;

/** A duration in its largest whole unit: 1500 -> "1500ms", 90000 -> "90s", 3650 days -> "3650d". */
export function formatDuration(ms: number): string {
  for (const u of ['d', 'h', 'm', 's'] as const)
    if (ms >= UNIT_MS[u]! && ms % UNIT_MS[u]! === 0) return `${ms / UNIT_MS[u]!}${u}`;
  return `${ms}ms`;
}

export type DurationRange = {
  /** Shortest accepted, in ms. */
  min: number;
  /** Longest accepted, in ms (default MAX_SPAN_MS). */
  max?: number;
  /** `0` is accepted too (meaning "none"). */
  zero?: boolean;
  /** A bare number is in this unit (e.g. milliseconds for poll intervals); otherwise a unit is required. */
  bare?: 'ms' | 's';
};

/** The accepted range in words, for messages: "from 1s to 3650d". */
export function durationRangeText(r: DurationRange): string {
  return `from ${formatDuration(r.min)} to ${formatDuration(r.max ?? MAX_SPAN_MS)}${r.zero ? ', or 0' : ''}`;
}

/** Read a duration (`500ms`, `30s`, `5m`, `1h`, `7d`, `2w`) within `range`: its ms, or why it cannot be one. */
export function readDuration(
  text: string,
  range: DurationRange,
): { ok: true; ms: number } | { ok: false; reason: string } {
  const t = text.trim();
  if (range.zero && /^0+(?:\.0+)?(?:ms|s|m|h|d|w)?$/.test(t)) return { ok: true, ms: 0 };
  const ms = parseDurationMs(range.bare && /^\d+(?:\.\d+)?$/.test(t) ? `${t}${range.bare}` : t);
  const expected = `expected a duration ${durationRangeText(range)}, like ${range.bare === 'ms' ? '500ms, 2s' : '30s, 5m, 1h, 7d'}`;
  if (ms === undefined) return { ok: false, reason: `${expected}; got "${text}"` };
  if (ms < range.min || ms > (range.max ?? MAX_SPAN_MS))
    return { ok: false, reason: `${expected}; "${text}" is out of range` };
  return { ok: true, ms };
}
