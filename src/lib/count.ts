/**
 * Whole and decimal numbers in a range, read from text (a flag's value, a query parameter): a
 * value out of range is a usage error naming the flag (or parameter) and the range.
 */
import { UsageError } from './errors.js';

/** The largest count any flag takes (--limit, --batch-size, ...): larger ones are mistakes. */
export const MAX_COUNT = 1_000_000_000;

const fmt = (n: number) => n.toLocaleString('en-US');

/** Read a whole number from `min` to `max`, or throw a usage error naming the flag and the range. */
export function readCount(input: string, flag: string, min: number, max = MAX_COUNT): number {
  const t = input.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!(n >= min && n <= max))
    throw new UsageError(`${flag}: expected a whole number from ${fmt(min)} to ${fmt(max)}; got "${input}"`);
  return n;
}

/** Read a decimal number from `min` to `max` (a `%` after it allowed when `percent`). */
export function readNumber(input: string, flag: string, r: NumberRange): number {
  const t = r.percent ? input.trim().replace(/\s*%$/, '') : input.trim();
  const n = /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(n >= r.min && n <= r.max))
    throw new UsageError(
      `${flag}: expected a number from ${fmt(r.min)} to ${fmt(r.max)}${r.unit ? ` (${r.unit})` : ''}; got "${input}"`,
    );
  return n;
}

export type NumberRange = {
  min: number;
  max: number;
  /** What the number counts, for the message: "percent", "milliseconds". */
  unit?: string;
  /** Accept `20%` for 20. */
  percent?: boolean;
};
