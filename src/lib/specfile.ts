/**
 * Reading the small declarative files users write (SLOs, alert rules): YAML
 * or JSON, validated with zod, errors naming the offending key.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError, UsageError } from './errors.js';
import { formatDuration, MAX_SPAN_MS, readDuration } from './time.js';

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
      return `${keys.map((k) => (at ? `${at}.${k}` : k)).join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
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
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new UsageError(
      `${name}: not valid ${/\.json$/i.test(name) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/** Read and parse a spec file; unreadable is an input error (exit 4). */
export function readSpecFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSpecText(text, file);
}

/** Validate `data` with `schema`, or throw a usage error listing every bad key. */
export function validateSpec<S extends z.ZodType>(schema: S, data: unknown, name: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = describeSpecIssues(r.error.issues, data);
  throw new UsageError(`${name}: ${lines.length === 1 ? lines[0] : '\n  ' + lines.join('\n  ')}`);
}

/** A duration text (`5m`, `1h`, `3d`) as ms, when it is one from 1ms to MAX_SPAN_MS, for zod refinements. */
export function durationMs(text: string): number | undefined {
  const r = readDuration(text, { min: 1 });
  return r.ok ? r.ms : undefined;
}

/** What durationMs accepts, for messages. */
export const DURATION_HINT = `a duration up to ${formatDuration(MAX_SPAN_MS)} (10 years), like 30s, 5m, 1h, 3d`;

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
