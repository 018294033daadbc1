/** Rendering helpers for commands: tables, numbers, a progress bar on stderr. */
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import chalk from 'chalk';

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  // cli-table3 and its dependencies take ~50 ms to load: only when a table is drawn.
  const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
  const t = new Table({
    head: head.map((h) => chalk.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
  return t.toString();
}

export const fmtNum = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || Number.isNaN(v)
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

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
