/**
 * What JSON.parse lets through but an event may not carry, so that one event
 * has one meaning everywhere (JavaScript takes the last of two equal keys,
 * DuckDB's JSON functions the first; DuckDB refuses unpaired surrogates that
 * JavaScript accepts; very deep nesting breaks printing and re-serialising):
 *
 * - a key repeated within one object (compared after unescaping);
 * - a `\uD800`-`\uDFFF` escape that is not part of a surrogate pair;
 * - nesting deeper than MAX_JSON_DEPTH objects and arrays.
 *
 * The text must already be valid JSON (JSON.parse accepted it): this is a
 * single linear scan that tokenises strings and brackets only.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;

interface Frame {
  /** Keys seen in this object; undefined for an array. */
  keys: Set<string> | undefined;
  /** The key (or index) under which this container sits, for messages. */
  name: string;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

function pathOf(stack: Frame[], key?: string): string {
  const parts = stack.slice(1).map((f) => f.name);
  if (key !== undefined) parts.push(key);
  return parts.length ? parts.join('.') : 'the event';
}

/** Is a `\uXXXX` escape at `i` (pointing at the backslash) a high/low surrogate? */
function surrogateAt(text: string, i: number): 'high' | 'low' | undefined {
  if (text.charCodeAt(i) !== BACKSLASH || text.charCodeAt(i + 1) !== 117 /* u */) return undefined;
  const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
  if (code >= 0xd800 && code <= 0xdbff) return 'high';
  if (code >= 0xdc00 && code <= 0xdfff) return 'low';
  return undefined;
}

/**
 * The exact check, with the reason: one pass over the text, a set of keys per object. Strings are
 * skipped with indexOf; the position of the next backslash is looked up once and kept until it
 * is passed (most events hold none), so the scan stays linear.
 */
export function describeJsonProblem(text: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: Frame[] = [];
  let pendingName = '';
  let nextBackslash = text.indexOf('\\');
  if (nextBackslash === -1) nextBackslash = text.length;
  const n = text.length;
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // the string starting here
      const start = i;
      let escaped = false;
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) {
          j = n; // not closed: JSON.parse refused it already
          break;
        }
        if (nextBackslash < j) {
          nextBackslash = text.indexOf('\\', j);
          if (nextBackslash === -1) nextBackslash = n;
        }
        if (nextBackslash > q) {
          j = q + 1;
          break;
        }
        escaped = true;
        const b = nextBackslash;
        const sur = surrogateAt(text, b);
        if (sur === 'low' || (sur === 'high' && surrogateAt(text, b + 6) !== 'low')) {
          return `a string at ${pathOf(stack)} holds an unpaired UTF-16 surrogate escape (not valid Unicode)`;
        }
        j = b + (sur === 'high' ? 12 : text.charCodeAt(b + 1) === 117 ? 6 : 2);
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(start, j)) as string) : text.slice(start + 1, j - 1);
        if (top.keys.has(key)) return `key "${shorten(key)}" appears twice in ${pathOf(stack)}`;
        top.keys.add(key);
        top.expectKey = false;
        pendingName = key;
      }
      i = j;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (stack.length >= maxDepth) return `nesting deeper than ${maxDepth} levels at ${pathOf(stack)}`;
      const parent = stack[stack.length - 1];
      const name = parent && !parent.keys ? '[]' : pendingName;
      stack.push({ keys: c === 123 ? new Set() : undefined, name, expectKey: c === 123 });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
    i++;
  }
  return undefined;
}

/** Keys in the parsed value, and whether it nests deeper than `maxDepth`. */
function walk(v: unknown, depth: number, maxDepth: number, acc: { keys: number; deep: boolean }): void {
  if (v === null || typeof v !== 'object') return;
  if (depth >= maxDepth) {
    acc.deep = true;
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) walk(x, depth + 1, maxDepth, acc);
    return;
  }
  for (const k in v) {
    acc.keys++;
    walk((v as Record<string, unknown>)[k], depth + 1, maxDepth, acc);
  }
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Keys written in the text: closing quotes followed by a colon (strings are skipped whole). */
function keysInText(text: string): number {
  let keys = 0;
  let i = text.indexOf('"');
  while (i !== -1) {
    let q = text.indexOf('"', i + 1);
    // a quote after an odd number of backslashes is inside the string
    while (q !== -1 && text.charCodeAt(q - 1) === BACKSLASH) {
      let b = q - 1;
      while (text.charCodeAt(b) === BACKSLASH) b--;
      if ((q - 1 - b) % 2 === 0) break;
      q = text.indexOf('"', q + 1);
    }
    if (q === -1) return keys;
    let k = q + 1;
    while (isSpace(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === 58 /* : */) keys++;
    i = text.indexOf('"', k);
  }
  return keys;
}

/**
 * The reason `text` (valid JSON, parsed into `value`) may not be stored as an event, or undefined
 * when it may. The common case costs a walk of the parsed value and a quote-to-quote pass over
 * the text: the exact scan runs only when a repeated key, a surrogate escape or deep nesting is
 * possible.
 */
export function checkJsonText(text: string, value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const acc = { keys: 0, deep: false };
  walk(value, 0, maxDepth, acc);
  if (acc.deep || text.includes('\\u') || keysInText(text) !== acc.keys) {
    return describeJsonProblem(text, maxDepth);
  }
  return undefined;
}

const shorten = (s: string): string => (s.length > 40 ? s.slice(0, 37) + '...' : s);
