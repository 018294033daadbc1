/**
 * What a report section renders to: a list of blocks (paragraphs, figure tables, tables, charts,
 * status lines) that render.ts writes as Markdown and as HTML, so a section is written once for
 * both formats. And the number formats every section uses.
 */

/** A table cell: text, or lines of text (one item per line in HTML, `; `-separated in Markdown). */
export type Cell = string | number | null | undefined | string[];

export type Block =
  | { kind: 'p'; text: string }
  | { kind: 'kv'; rows: [string, string, string?][] }
  | {
      kind: 'table';
      title?: string;
      head: string[];
      rows: Cell[][];
      note?: string;
      numeric?: number[];
      /** What the rows leave out ("and 12 more …"), after the table. */
      more?: string;
    }
  | { kind: 'chart'; svg: string; title: string; caption: string }
  | { kind: 'status'; level: 'ok' | 'bad' | 'warn' | 'info'; text: string };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export const num = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const int = (v: number | null | undefined) => num(v, 0);
export const usd = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${num(v, 2)} USD`;
export const usdh = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${num(v, 4)} USD/h`;
export const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '–' : `${num(v * 100, digits)}%`;
export const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${num(v, 1)} ms`);
export const ratioPct = (v: number | null | undefined) => pct(v, 3);
export const yes = (b: boolean | null | undefined) =>
  b === null || b === undefined ? '–' : b ? 'yes' : 'no';
export const shortTime = (iso: string) => iso.replace(/^\d{4}-(\d\d-\d\d)T(\d\d:\d\d).*$/, '$1 $2');
