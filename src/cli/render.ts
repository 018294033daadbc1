/** Rendering helpers for commands: escaping, numbers, csv (tables: table.ts; progress: progress.ts). */
import chalk from 'chalk';
import { escapeControls } from '../lib/text.js';
import { fmtFixed, numberFormat, truncateWidth } from './table.js';

export { escapeControls } from '../lib/text.js';
export { table } from './table.js';

/**
 * A copy of a result with every string in it escaped (escapeControls), for the human-readable
 * renderers: they add layout and colour to data that can no longer carry control characters.
 */
export function displayable<T>(v: T): T {
  if (typeof v === 'string') return escapeControls(v) as T;
  if (Array.isArray(v)) return v.map(displayable) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, displayable(x)])) as T;
  return v;
}

/** A whole human-readable text (several lines, our colours): what is left of control characters escaped. */
export const terminalText = (s: string): string =>
  escapeControls(s, { colour: chalk.level > 0, layout: true });

/**
 * A quantity in a sentence, as logged: at most `digits` decimals (`cpu 4`, `cpu 0.5`, `156 ms`);
 * none is `-`. Columns of figures use fmtNum (one precision per column).
 */
export const fmtAbout = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : numberFormat(digits, true, false).format(v);

/** A number with exactly `digits` decimals and en-US grouping (`1,234.50`); none is `-`. */
export const fmtNum = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined ? '-' : fmtFixed(v, digits);

/** One CSV field (RFC 4180 quoting). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (values: unknown[]): string => values.map(csvField).join(',');

/** Data text for a table cell or line: control characters escaped, cut to `n` display cells (`…`). */
export const cut = (s: string | null | undefined, n: number): string =>
  s ? truncateWidth(escapeControls(s), n) : '';
