/** Building blocks shared by the event schemas (zod); what is stored of each type: columns.ts. */
import { z } from '../zod.js';
import { SEVERITIES, type JsonObject } from './columns.js';

/** An error message for zod that says "is missing" when the value is absent, else `text`. */
export const m =
  (text: string) =>
  (iss: { input?: unknown }): string =>
    iss.input === undefined ? 'is missing' : text;

export const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

/**
 * Every figure an analysis reads (costs, savings, power, latencies, durations, counts,
 * percentages) is a finite number within +-1e12, so that sums over millions of events stay
 * finite and exact enough, and every command can print them. Cost fields are also >= 0;
 * savings may be negative.
 */
export const FIGURE_LIMIT = 1e12;
const RANGE = `must be between -1e12 and 1e12`;
export const num = z
  .number({ error: m('must be a number') })
  .gte(-FIGURE_LIMIT, RANGE)
  .lte(FIGURE_LIMIT, RANGE);
export const nonNegative = z
  .number({ error: m('must be a number') })
  .nonnegative('must be >= 0')
  .lte(FIGURE_LIMIT, 'must be at most 1e12');
/** A whole number >= 0 (node counts, queue lengths). */
export const count = z
  .number({ error: m('must be a number') })
  .int('must be a whole number')
  .nonnegative('must be >= 0')
  .lte(FIGURE_LIMIT, 'must be at most 1e12');

const PERCENT_RE = /^\s*-?\d+(?:\.\d+)?\s*%?\s*$/;
/** A percentage as logged: 25, 25.5 or "25%". */
export const percent = z
  .union([num, z.string().regex(PERCENT_RE, 'must be a number or a percentage like "25%"')], {
    error: m('must be a number or a percentage like "25%"'),
  })
  .transform((v) => (typeof v === 'number' ? v : Number.parseFloat(v.replace('%', ''))))
  .pipe(z.number({ error: RANGE }).gte(-FIGURE_LIMIT, RANGE).lte(FIGURE_LIMIT, RANGE));

const QUANTITY_RE = /^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|m|k|K|M|G|T|P|E)?\s*$/;
const QUANTITY_FACTOR: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Parse a Kubernetes quantity (`32Gi`, `500Mi`, `2G`, `500m`, `4`) into a number, or undefined. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = QUANTITY_RE.exec(value);
  if (!m) return undefined;
  return Number.parseFloat(m[1]!) * QUANTITY_FACTOR[m[2] ?? '']!;
}

/** Quantities (bytes, cores) may exceed FIGURE_LIMIT: up to 2^70 (1 Zi), still exact enough as a DOUBLE. */
export const QUANTITY_LIMIT = 2 ** 70;
const QUANTITY_RANGE = 'must be at most 2^70';

/** A Kubernetes quantity, kept as logged (string or number). */
export const quantity = z.union(
  [
    z.number().nonnegative('must be >= 0').lte(QUANTITY_LIMIT, QUANTITY_RANGE),
    z
      .string()
      .regex(QUANTITY_RE, 'must be a Kubernetes quantity like "32Gi"')
      .refine((q) => (parseQuantity(q) ?? Infinity) <= QUANTITY_LIMIT, QUANTITY_RANGE),
  ],
  {
    error: m('must be a number or a Kubernetes quantity like "32Gi"'),
  },
);

const SEVERITY_ERROR = m(`must be one of ${SEVERITIES.join(', ')}`);

export const severity = z
  .string({ error: SEVERITY_ERROR })
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(SEVERITIES, { error: SEVERITY_ERROR }));

/** Copy of `obj` without `keys` (the extras an event carries beyond its schema). */
export function without(obj: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) if (!keys.includes(k)) out[k] = obj[k]!;
  return out;
}
