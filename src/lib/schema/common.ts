/** Building blocks shared by the event schemas. */
import { z } from 'zod';

/** An error message for zod that says "is missing" when the value is absent, else `text`. */
export const m =
  (text: string) =>
  (iss: { input?: unknown }): string =>
    iss.input === undefined ? 'is missing' : text;

export const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');
export const num = z.number({ error: m('must be a number') });
export const nonNegative = num.nonnegative('must be >= 0');

const PERCENT_RE = /^\s*-?\d+(?:\.\d+)?\s*%?\s*$/;
/** A percentage as logged: 25, 25.5 or "25%". */
export const percent = z
  .union([num, z.string().regex(PERCENT_RE, 'must be a number or a percentage like "25%"')], {
    error: m('must be a number or a percentage like "25%"'),
  })
  .transform((v) => (typeof v === 'number' ? v : Number.parseFloat(v.replace('%', ''))));

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

/** A Kubernetes quantity, kept as logged (string or number). */
export const quantity = z.union(
  [nonNegative, z.string().regex(QUANTITY_RE, 'must be a Kubernetes quantity like "32Gi"')],
  {
    error: m('must be a number or a Kubernetes quantity like "32Gi"'),
  },
);

export const severity = z
  .string({ error: m('must be one of low, medium, high, critical') })
  .transform((s) => s.toLowerCase())
  .pipe(
    z.enum(['low', 'medium', 'high', 'critical'], { error: m('must be one of low, medium, high, critical') }),
  );

export const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Copy of `obj` without `keys` (the extras an event carries beyond its schema). */
export function without(obj: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) if (!keys.includes(k)) out[k] = obj[k]!;
  return out;
}
