/** Rendering helpers for commands: tables, numbers, a progress bar on stderr. */
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import chalk from 'chalk';

// eslint-disable-next-line no-control-regex -- ANSI colour codes are what is stripped
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (s: string) => s.replace(ANSI, '').length;

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
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  if (cells.length > 200) return longTable(head, cells);
  // cli-table3 and its dependencies take ~50 ms to load: only when a table is drawn.
  const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
  const t = new Table({
    head: head.map((h) => chalk.bold(h)),
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

/** Truncate text to `n` characters for a table cell. */
export const cut = (s: string | null | undefined, n: number): string =>
  !s ? '' : s.length > n ? s.slice(0, n - 1) + '…' : s;
