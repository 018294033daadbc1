/**
 * Time parsing. Event times are kept as integer microseconds since the Unix
 * epoch (UTC), the unit of DuckDB's TIMESTAMP.
 */
import { UsageError } from './errors.js';

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Epoch numbers above this are milliseconds (1e11 s is the year 5138). */
const MILLIS_THRESHOLD = 1e11;

/** Parse an ISO 8601 string (offset, `Z` or none = UTC) into epoch microseconds, or undefined if invalid. */
export function parseIsoMicros(text: string): number | undefined {
  const m = ISO_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const year = +y!,
    month = +mo!,
    day = +d!,
    hour = +h,
    minute = +mi,
    second = +s;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // 2025-02-30
  let offsetMin = 0;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const oh = +digits.slice(0, 2),
      om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  const micros = frac ? Math.floor(+(frac + '000000').slice(0, 6)) : 0;
  return (ms - offsetMin * 60_000) * 1000 + micros;
}

/** Parse an event timestamp: ISO string or epoch seconds/milliseconds number. */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    const micros = value >= MILLIS_THRESHOLD ? value * 1000 : value * 1_000_000;
    return Math.round(micros);
  }
  if (typeof value === 'string') return parseIsoMicros(value);
  return undefined;
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
  if (dur !== undefined) return Math.round((nowMs - dur) * 1000);
  const iso = parseIsoMicros(text);
  if (iso !== undefined) return iso;
  throw new UsageError(
    `${flag}: cannot read "${text}" as a time; use ISO (2025-01-15, 2025-01-15T10:30:00Z) or a duration before now (15m, 24h, 7d)`,
  );
}
