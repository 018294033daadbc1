/**
 * The `--json` output of every command is an interface scripts rely on: its shape (every key in
 * its order, and the JSON types of its values, merged over the elements of arrays) is pinned by a snapshot,
 * so a refactoring that renames, drops or retypes a field fails here. A deliberate change updates
 * the snapshot (`npx vitest run test/e2e/json-shapes.test.ts -u`) and says so in its commit.
 *
 * Values are not pinned (the analyses' own tests check figures); keys of maps whose keys are data
 * (counts per event type, per reason, ...) are kept, since the fixtures fix them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, cli, tmpDir } from '../helpers.js';

type Shape = string | { [key: string]: Shape } | Shape[];

/** The shape of a JSON value: its type names, objects key by key, arrays as one merged element. */
function shape(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? [v.map(shape).reduce(merge)] : [];
  if (typeof v === 'object') {
    const out: Record<string, Shape> = {};
    for (const k of Object.keys(v as object)) out[k] = shape((v as Record<string, unknown>)[k]);
    return out;
  }
  return typeof v;
}

/** Two shapes as one: objects key by key (a key missing from one is optional: `?`), else a union. */
function merge(a: Shape, b: Shape): Shape {
  if (isObject(a) && isObject(b)) {
    const out: Record<string, Shape> = {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const inA = k in a;
      const inB = k in b;
      out[k] = inA && inB ? merge(a[k]!, b[k]!) : optional((inA ? a[k] : b[k])!);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (!a.length) return b;
    if (!b.length) return a;
    return [merge(a[0]!, b[0]!)];
  }
  const parts = new Set([...union(a), ...union(b)]);
  return [...parts].sort().join(' | ');
}

const isObject = (s: Shape): s is Record<string, Shape> => typeof s === 'object' && !Array.isArray(s);
const union = (s: Shape): string[] => (typeof s === 'string' ? s.split(' | ') : [JSON.stringify(s)]);
const optional = (s: Shape): Shape =>
  typeof s === 'string' ? (s.endsWith('?') ? s : `${s}?`) : isObject(s) ? { '?': 'optional', ...s } : s;

/** A shape as text, keys in their order (a snapshot of an object would sort them). */
const pinned = (v: unknown): string => JSON.stringify(shape(v), null, 2);

let dir: string;
let db: string;
const rules = path.join(ROOT, 'examples', 'alert-rules.yaml');

function json(args: string[]): unknown {
  const r = cli([...args, '--json'], { db, env: { KCLOUD_LOG_PROGRESS: '0' } });
  expect(r.code === 0 || r.code === 3, `${args.join(' ')}: exit ${r.code}: ${r.stderr}`).toBe(true);
  return JSON.parse(r.stdout) as unknown;
}

beforeAll(() => {
  dir = tmpDir('kcl-shapes-');
  db = path.join(dir, 'shapes.duckdb');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('--json result shapes', () => {
  it('ingest', () => {
    const files = ['spec-events.jsonl', 'spec-events-flat.jsonl', 'module-log-lines.jsonl'].map((f) =>
      path.join(FIXTURES, f),
    );
    expect(pinned(json(['ingest', ...files]))).toMatchSnapshot();
  });

  const commands = [
    ['events'],
    ['events', '--type', 'workload_relocation'],
    ['rejects'],
    ['sources'],
    ['sql', 'SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1'],
    ['trace', 'ml-training-job-123'],
    ['analyze', 'scheduling'],
    ['analyze', 'cost'],
    ['analyze', 'sla'],
    ['alerts', '--rules', rules],
    ['alerts', '--rules', rules, '--backtest', '1d'],
    ['alerts', 'rules', 'list'],
    ['verify', '--no-record'],
  ];
  // titles without the checkout's path: they are the snapshots' keys
  it.each(commands.map((a) => [a.join(' ').replaceAll(ROOT + path.sep, ''), a] as const))('%s', (_, args) => {
    expect(pinned(json([...args]))).toMatchSnapshot();
  });

  it('report audit', () => {
    const out = path.join(dir, 'r.json');
    const r = json(['report', 'audit', '--format', 'json', '--out', out]);
    expect(pinned(r)).toMatchSnapshot();
    expect(pinned(JSON.parse(fs.readFileSync(out, 'utf8')))).toMatchSnapshot();
  });

  it('errors', () => {
    const r = cli(['events', '--bogus', '--json'], { db });
    expect(r.code).toBe(2);
    expect(pinned(JSON.parse(r.stdout))).toMatchSnapshot();
  });
});
