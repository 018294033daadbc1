/**
 * The one table renderer of the human output.
 *
 * - Columns have an alignment (numbers right) and a number format: a column's numbers all get
 *   the same decimals (its `digits`, else as many as its most precise value needs, at most 4).
 * - Widths are display widths (string-width: a Hangul syllable or an emoji takes two cells), so
 *   Korean text lines up.
 * - The table fits the width it is given (default: the terminal's, see terminalWidth): when it
 *   is too wide, the widest text columns are cut, with `…`, down to a common width.
 * - On a terminal the table is boxed; otherwise (a pipe, a file) it is plain columns separated by
 *   two spaces, without box drawing, for grep/awk/column.
 * - Data is escaped at render time (escapeControls: a log line cannot drive the terminal); our own
 *   colours are kept when colour is on.
 * - Drawing is linear in the rows: each cell is measured once.
 * - string-width is loaded before the first measure (loadDisplayWidths): a --json run measures
 *   nothing and does without it.
 */
import type stringWidthOf from 'string-width';
import chalk from 'chalk';
import { escapeControls } from '../lib/text.js';

export type Cell = string | number | bigint | boolean | null | undefined;

export interface ColumnSpec {
  header: string;
  /** Default: right when every value of the column is a number (or empty), else left. */
  align?: 'left' | 'right';
  /** Decimals of every number in the column (default: what its most precise value needs, at most 4). */
  digits?: number;
  /** Group thousands (`1,234`; default true). */
  grouping?: boolean;
  /** May the column be cut to fit the width? Default: left-aligned (text) columns only. */
  shrink?: boolean;
  /** A cut column keeps at least this many cells (default 8, or its natural width when smaller). */
  min?: number;
}

/** A column: its header, or its spec. */
export type Column = string | ColumnSpec;

export interface TableOptions {
  /** Cells per line at most (default: terminalWidth()); Infinity: no limit. */
  width?: number;
  /** Box drawing (default: when standard output is a terminal); plain aligned columns otherwise. */
  box?: boolean;
}

/** Most decimals a column's numbers get by default. */
const MAX_AUTO_DIGITS = 4;
const ELLIPSIS = '…';
// eslint-disable-next-line no-control-regex -- SGR colour sequences (ours) are what is matched
const SGR = /\x1b\[[0-9;]*m/g;
// Built when a text is first cut: an Intl.Segmenter takes ~20 ms to make.
let segmenter: Intl.Segmenter | undefined;

/**
 * The width tables on standard output may take: the terminal's columns on a terminal; off a
 * terminal `$COLUMNS` when set, else no limit (a pipe or a file gets whole cells).
 */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : Number.POSITIVE_INFINITY;
}

// Text of one-cell characters only, each a grapheme of its own: ASCII, Latin-1, Latin Extended;
// dashes, quotes and the ellipsis, arrows, box drawing and block elements (our own →, sparklines,
// bars: string-width's first measure of one compiles its emoji pattern, ~30 ms). No ESC, no
// combining marks, no emoji; test/unit/display-width.test.ts checks them against string-width.
const NARROW = /^[\x20-\x7e\xa0-\u02ff\u2010-\u2027\u2190-\u21ff\u2500-\u259f]*$/;
// string-width segments graphemes and matches emoji: memoised for the other texts (table cells
// repeat: clusters, types, reasons), the memo cleared when it grows large.
const widthMemo = new Map<string, number>();
let stringWidth: typeof stringWidthOf | undefined;

/**
 * Load string-width (~40 ms: its own Intl.Segmenter, Unicode tables), which display widths need.
 * Every command does so before it prints (BaseCommand.init), unless --json: a JSON document is
 * never measured.
 */
export async function loadDisplayWidths(): Promise<void> {
  stringWidth ??= (await import('string-width')).default;
}

/** Display width of a text (string-width: colour sequences take none, wide characters two). */
export function displayWidth(s: string): number {
  if (!stringWidth) throw new Error('a display width before loadDisplayWidths()');
  if (NARROW.test(s)) return s.length;
  let w = widthMemo.get(s);
  if (w === undefined) {
    if (widthMemo.size >= 50_000) widthMemo.clear();
    widthMemo.set(s, (w = stringWidth(s)));
  }
  return w;
}

/**
 * A text cut to `max` display cells, ending in `…` when it was cut. Colour sequences are kept
 * (and closed after a cut) and never split, nor is a grapheme.
 */
export function truncateWidth(s: string, max: number): string {
  if (displayWidth(s) <= max) return s;
  if (max <= 0) return '';
  let out = '';
  let used = 0;
  let coloured = false;
  let last = 0;
  const addText = (text: string): boolean => {
    for (const { segment } of (segmenter ??= new Intl.Segmenter()).segment(text)) {
      const w = displayWidth(segment);
      if (used + w > max - 1) return false;
      out += segment;
      used += w;
    }
    return true;
  };
  SGR.lastIndex = 0;
  for (let m = SGR.exec(s); m; m = SGR.exec(s)) {
    if (!addText(s.slice(last, m.index))) return close(out, coloured);
    out += m[0];
    coloured = true;
    last = m.index + m[0].length;
  }
  addText(s.slice(last));
  return close(out, coloured);
}

const close = (s: string, coloured: boolean) => s.trimEnd() + ELLIPSIS + (coloured ? '\x1b[0m' : '');

const pad = (s: string, width: number, w: number, align: 'left' | 'right') =>
  align === 'right' ? ' '.repeat(w - width) + s : s + ' '.repeat(w - width);

// One formatter per format (Intl.NumberFormat is slow to build).
const formats = new Map<string, Intl.NumberFormat>();
/** En-US, `digits` decimals (`exact`: always that many; else at most that many). */
export function numberFormat(digits: number, grouping = true, exact = true): Intl.NumberFormat {
  const key = `${digits}${grouping}${exact}`;
  let f = formats.get(key);
  if (!f)
    formats.set(
      key,
      (f = new Intl.NumberFormat('en-US', {
        minimumFractionDigits: exact ? digits : 0,
        maximumFractionDigits: digits,
        useGrouping: grouping,
      })),
    );
  return f;
}

/** A number with exactly `digits` decimals and en-US grouping (`1,234.50`); NaN is `-`. */
export function fmtFixed(v: number | bigint, digits: number, grouping = true): string {
  if (typeof v === 'number' && Number.isNaN(v)) return '-';
  return numberFormat(typeof v === 'bigint' ? 0 : digits, grouping).format(v);
}

/** Decimals a number needs, up to `max` (1.5 → 1, 2 → 0, 1/3 → max). */
function decimalsOf(v: number, max: number): number {
  if (!Number.isFinite(v) || Number.isInteger(v)) return 0;
  for (let d = 1; d < max; d++)
    if (Math.abs(Math.round(v * 10 ** d) - v * 10 ** d) < 1e-9 * 10 ** d) return d;
  return max;
}

const isNumber = (c: Cell): c is number | bigint => typeof c === 'number' || typeof c === 'bigint';

/**
 * A number the caller formatted, with an optional sign, unit or percent: `1,234.50`, `+0.1250`,
 * `99.95%`, `12.5 USD/h`, `-` (none). A column of these and numbers is right-aligned.
 */
const NUMBER_TEXT = /^(?:-|[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%| ?[A-Za-z/%]{1,8})?)$/;
const isNumberText = (c: Cell): boolean => typeof c === 'string' && NUMBER_TEXT.test(c.replace(SGR, ''));

/** A cell's text: numbers in the column's format, data escaped (our colours kept when colour is on). */
function cellText(c: Cell, digits: number, grouping: boolean): string {
  if (c === null || c === undefined) return '';
  if (isNumber(c)) return fmtFixed(c, digits, grouping);
  return escapeControls(String(c), { colour: chalk.level > 0 });
}

/** Column widths that fit `avail` cells: the widest shrinkable columns cut to a common width. */
function fitWidths(natural: number[], shrinkable: boolean[], mins: number[], avail: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0);
  if (total <= avail) return natural;
  const fixedWidth = natural.reduce((a, w, i) => a + (shrinkable[i] ? 0 : w), 0);
  const budget = avail - fixedWidth;
  // The largest cap such that the shrinkable columns, each min(natural, max(cap, min)), fit the budget.
  const used = (cap: number) =>
    natural.reduce((a, w, i) => a + (shrinkable[i] ? Math.min(w, Math.max(cap, mins[i]!)) : 0), 0);
  let lo = 0;
  let hi = Math.max(0, ...natural);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (used(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const widths = natural.map((w, i) => (shrinkable[i] ? Math.min(w, Math.max(lo, mins[i]!)) : w));
  // Hand out what the common cap left over, widest cut columns first.
  let spare = budget - used(lo);
  for (let i = 0; spare > 0 && i < widths.length; i++)
    if (shrinkable[i] && widths[i]! < natural[i]!) {
      widths[i]!++;
      spare--;
    }
  return widths;
}

/**
 * Draw a table. Numbers may be given as numbers (formatted here, consistently per column) or as
 * text the caller formatted (give the column `align: 'right'`).
 */
export function table(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  opts: TableOptions = {},
): string {
  const specs: ColumnSpec[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const n = specs.length;
  const box = opts.box ?? process.stdout.isTTY === true;
  const width = opts.width ?? terminalWidth();

  // One pass over the values: which columns are numeric, and the decimals they need.
  const numeric = specs.map(() => true);
  const digits = specs.map((s) => s.digits ?? 0);
  for (const r of rows)
    for (let i = 0; i < n; i++) {
      const c = r[i];
      if (c === null || c === undefined || c === '') continue;
      if (!isNumber(c) && !isNumberText(c)) numeric[i] = false;
      else if (!isNumber(c)) continue;
      else if (specs[i]!.digits === undefined && typeof c === 'number')
        digits[i] = Math.max(digits[i]!, decimalsOf(c, MAX_AUTO_DIGITS));
    }
  const align = specs.map((s, i) => s.align ?? (numeric[i] && rows.length ? 'right' : 'left'));

  const head = specs.map((s) => escapeControls(s.header));
  const cells = rows.map((r) => specs.map((s, i) => cellText(r[i], digits[i]!, s.grouping ?? true)));
  const cellWidths = cells.map((r) => r.map(displayWidth));
  const headWidths = head.map(displayWidth);
  const natural = headWidths.slice();
  for (const r of cellWidths) for (let i = 0; i < n; i++) natural[i] = Math.max(natural[i]!, r[i]!);

  const overhead = box ? 3 * n + 1 : 2 * (n - 1);
  const shrinkable = specs.map((s, i) => s.shrink ?? align[i] === 'left');
  const mins = specs.map((s, i) => Math.min(natural[i]!, s.min ?? 8));
  const widths = fitWidths(natural, shrinkable, mins, width - overhead);

  const line = (texts: string[], ws: number[], bold: boolean): string => {
    const parts = texts.map((t, i) => {
      const w = widths[i]!;
      let s = t;
      let sw = ws[i]!;
      if (sw > w) {
        s = truncateWidth(s, w);
        sw = displayWidth(s);
      }
      if (bold && s) s = chalk.bold(s);
      return pad(s, sw, w, align[i]!);
    });
    return box ? `│ ${parts.join(' │ ')} │` : parts.join('  ').trimEnd();
  };
  const out: string[] = [];
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  if (box) out.push(rule('┌', '┬', '┐'));
  out.push(line(head, headWidths, true));
  if (box) out.push(rule('├', '┼', '┤'));
  for (let j = 0; j < cells.length; j++) out.push(line(cells[j]!, cellWidths[j]!, false));
  if (box) out.push(rule('└', '┴', '┘'));
  return out.join('\n');
}
