/** Rendering helpers for commands: tables, numbers, a progress bar on stderr. */
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import chalk from 'chalk';
import { escapeControls } from '../lib/text.js';

// eslint-disable-next-line no-control-regex -- ANSI colour codes are what is stripped
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, '').length;

export { escapeControls } from '../lib/text.js';

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

/** A table cell: data escaped, our colours kept when colour is on. */
const cell = (s: string): string => escapeControls(s, { colour: chalk.level > 0 });

/** A whole human-readable text (several lines, our colours): what is left of control characters escaped. */
export const terminalText = (s: string): string =>
  escapeControls(s, { colour: chalk.level > 0, layout: true });

/**
 * The same look as the cli-table3 table below, drawn in one pass: cli-table3's layout is
 * quadratic in the rows (22 s for a 10k-row table), so long tables are drawn here.
 */
export function longTable(head: string[], rows: string[][]): string {
  const all = [head.map((h) => chalk.bold(h)), ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (l: string, m: string, r: string) => l + w.map((x) => '─'.repeat(x + 2)).join(m) + r;
  const row = (r: string[]) =>
    '│' + w.map((x, i) => ` ${r[i] ?? ''}${' '.repeat(x - width(r[i] ?? ''))} `).join('│') + '│';
  return [line('┌', '┬', '┐'), ...all.map(row), line('└', '┴', '┘')].join('\n');
}

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : cell(String(c)))));
  const heads = head.map(cell);
  if (cells.length > 200) return longTable(heads, cells);
  // cli-table3 and its dependencies take ~50 ms to load: only when a table is drawn.
  const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
  const t = new Table({
    head: heads.map((h) => chalk.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of cells) t.push(r);
  return t.toString();
}

// One formatter per precision: toLocaleString builds a new one on every call (~0.3 ms).
const formatters = new Map<number, Intl.NumberFormat>();
export const fmtNum = (v: number | null | undefined, digits = 2): string => {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  let f = formatters.get(digits);
  if (!f) formatters.set(digits, (f = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits })));
  return f.format(v);
};

/** A one-line progress bar redrawn on stderr (only used when stderr is a TTY). */
export function progressBar() {
  let last = 0;
  return {
    update(done: number, total: number, note: string) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const full = Math.round(frac * width);
      process.stderr.write(
        `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${note}   `,
      );
    },
    done() {
      if (last) process.stderr.write('\r\x1b[K');
    },
  };
}

/** One CSV field (RFC 4180 quoting). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (values: unknown[]): string => values.map(csvField).join(',');

/** Data text for a table cell or line: control characters escaped, truncated to `n` characters. */
export const cut = (s: string | null | undefined, n: number): string => {
  if (!s) return '';
  const t = escapeControls(s);
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
};
