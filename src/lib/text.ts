/**
 * Text from data, made safe to show: control characters escaped for terminals, and short quoted
 * excerpts for error messages (an error never prints a file back).
 */

/**
 * Control characters a terminal would act on (C0, DEL, C1; an SGR colour sequence as one match)
 * and the Unicode controls that reorder or break lines (bidi embeddings, overrides, isolates,
 * line/paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const CONTROL = /\x1b\[[0-9;]*m|[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const hex = (c: string): string => {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

export interface EscapeOptions {
  /** Keep SGR colour sequences (our own chalk colours, when colour is on). */
  colour?: boolean;
  /** Keep line breaks and tabs (the layout of a whole text, not one cell). */
  layout?: boolean;
}

/**
 * Every control character becomes a visible escape (`\x1b`, `\n`, `\u202e`), so a log line
 * cannot clear the screen, retitle the window, ring the bell or rewrite what was printed before
 * it. Machine-readable output (--json, jsonl, csv) does not go through this: it keeps the data
 * exact.
 */
export function escapeControls(s: string, opts: EscapeOptions = {}): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL, (m) => {
    if (m.length > 1) return opts.colour ? m : hex(m[0]!) + m.slice(1);
    if (opts.layout && (m === '\n' || m === '\t')) return m;
    return NAMED[m] ?? hex(m);
  });
}

/** How much of a value from a user's file an error message quotes. */
export const EXCERPT_CHARS = 60;

/**
 * A value from a file, quoted for an error message: JSON-quoted (control characters escaped),
 * at most `max` characters of it, with its length when it was cut.
 */
export function excerpt(value: unknown, max = EXCERPT_CHARS): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = s.length > max ? s.slice(0, max) : s;
  const q = escapeControls(JSON.stringify(cut));
  return s.length > max ? `${q.slice(0, -1)}…" (${s.length} characters)` : q;
}

/** A short token from a file (a name, a duration) as it was written, cut at `max` characters, escaped. */
export function clip(value: string, max = EXCERPT_CHARS): string {
  return escapeControls(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Levenshtein distance (insertions, deletions, substitutions), by UTF-16 unit. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `target` ("did you mean"), when it is near enough to be a typo: at most
 * a third of the target's length in edits (at least 2); undefined otherwise.
 */
export function closest(target: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(target, c);
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(target.length / 3)) ? best.c : undefined;
}
