/**
 * Reading the small declarative files users write (SLOs, alert rules): YAML
 * or JSON, validated with zod, errors naming the offending key.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { z } from './zod.js';
import { UsageError } from './errors.js';
import { readInputFile } from './input-file.js';
import { formatDuration, MAX_SPAN_MS, readDuration } from './time.js';
import { excerpt } from './text.js';

const require = createRequire(import.meta.url);
/** yaml (~40 ms to load), required when a YAML file is parsed: JSON files and the default SLOs do without it. */
const yaml = () => require('yaml') as typeof Yaml;

/** How many problems an error message lists (a file of garbage must not be printed back). */
export const LISTED_PROBLEMS = 10;

/** The first LISTED_PROBLEMS items, then how many more there are. */
export function listed(items: readonly string[], max = LISTED_PROBLEMS): string[] {
  return items.length > max ? [...items.slice(0, max), `… and ${items.length - max} more`] : [...items];
}

/** A parser's message, cut short: its first line, at most 160 characters. */
const parserMessage = (e: unknown): string => {
  const line = ((e as Error).message ?? String(e)).split('\n')[0]!;
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
};

/** `slos[0].threshold_ms` from a zod path. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

const valueAt = (input: unknown, path: readonly PropertyKey[]): unknown => {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
};

/** Zod issues as lines `KEY: problem`, each naming the key (`input`: what was validated, to tell "missing"). */
export function describeSpecIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): string[] {
  return issues.map((i) => {
    const at = keyPath(i.path);
    if (i.code === 'unrecognized_keys') {
      const keys = (i as { keys: string[] }).keys;
      const show = (k: string) => (/^[\w.[\]-]{1,60}$/.test(k) ? k : excerpt(k));
      const names = listed(
        keys.map((k) => show(at ? `${at}.${k}` : k)),
        5,
      );
      return `${names.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
    }
    let msg = i.message.replace(/^Invalid input: /, '');
    if (i.code === 'invalid_type' && /received undefined/.test(msg)) msg = 'is required';
    else if (i.code === 'invalid_union' && input !== undefined && valueAt(input, i.path) === undefined)
      msg = 'is required';
    else if (i.code === 'invalid_union' && msg === 'Invalid input') msg = 'has the wrong type';
    return `${at || '(top level)'}: ${msg}`;
  });
}

/** Parse YAML or JSON text (JSON is YAML; a `.json` name is parsed strictly as JSON). */
export function parseSpecText(text: string, name: string): unknown {
  try {
    if (/\.json$/i.test(name)) return JSON.parse(text);
    return yaml().parse(text, { prettyErrors: true });
  } catch (e) {
    throw new UsageError(
      `${name}: not valid ${/\.json$/i.test(name) ? 'JSON' : 'YAML'}: ${parserMessage(e)}`,
    );
  }
}

/** Read and parse a spec file; unreadable is an input error (exit 4). */
export function readSpecFile(file: string): unknown {
  return parseSpecText(readInputFile(file, 16 * 1024 * 1024).toString('utf8'), file);
}

/** Validate `data` with `schema`, or throw a usage error listing every bad key. */
export function validateSpec<S extends z.ZodType>(schema: S, data: unknown, name: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = listed(describeSpecIssues(r.error.issues, data));
  throw new UsageError(`${name}: ${lines.length === 1 ? lines[0] : '\n  ' + lines.join('\n  ')}`);
}

/** A duration text (`5m`, `1h`, `3d`) as ms, when it is one from 1ms to MAX_SPAN_MS, for zod refinements. */
export function durationMs(text: string): number | undefined {
  const r = readDuration(text, { min: 1 });
  return r.ok ? r.ms : undefined;
}

/** What durationMs accepts, for messages. */
export const DURATION_HINT = `a duration up to ${formatDuration(MAX_SPAN_MS)} (10 years), like 30s, 5m, 1h, 3d`;

/** A duration key of a spec file (`period: 30d`, `window: 5m`), checked by durationMs. */
export const DurationText = z
  .string()
  .refine((s) => durationMs(s) !== undefined, { message: `expected ${DURATION_HINT}` });

/** A duration key that may be `0` (none): `for`, `keep_firing_for`. */
export const ZeroOrDurationText = z.string().refine((s) => s.trim() === '0' || durationMs(s) !== undefined, {
  message: `expected 0 or ${DURATION_HINT}`,
});

/** A ZeroOrDurationText value in ms: 0 for `0`, undefined when absent. */
export const zeroOrDurationMs = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : text.trim() === '0' ? 0 : durationMs(text)!;

/** The name of an SLO or alert rule. */
export const SpecName = z
  .string()
  .regex(
    /^[A-Za-z0-9][\w.-]*$/,
    'expected letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/**
 * A ratio given as a fraction (`0.999`), a percentage number (`99.9`) or a
 * percentage text (`"99.9%"`): numbers below 1 are fractions, from 1 up percent.
 */
export function parseRatio(v: number | string): number | undefined {
  const pct = (x: number) => Number((x / 100).toPrecision(12)); // 99.9 -> 0.999, not 0.9990000000000001
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
    if (m) return pct(Number(m[1]));
    const x = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(x)) return undefined;
    return x < 1 ? x : pct(x);
  }
  if (!Number.isFinite(v)) return undefined;
  return v < 1 ? v : pct(v);
}
