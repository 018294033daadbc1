import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../src/lib/store/open.js';
import { ingestPaths } from '../src/lib/ingest/ingest.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const BIN = path.join(ROOT, 'bin', 'run.js');

export function tmpDir(prefix = 'kcl-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function withTmpStore<T>(fn: (store: Store, dir: string) => Promise<T>): Promise<T> {
  const dir = tmpDir();
  const store = await openStore(path.join(dir, 'test.duckdb'));
  try {
    return await fn(store, dir);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (bin/run.js, built dist/). */
export function cli(
  args: string[],
  opts: { db?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs,
    env: { ...process.env, NO_COLOR: '1', ...(opts.db ? { KCLOUD_LOG_DB: opts.db } : {}), ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function cliJson<T = Record<string, unknown>>(
  args: string[],
  opts: Parameters<typeof cli>[1] = {},
): { code: number; json: T; stderr: string } {
  const r = cli([...args, '--json'], opts);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\n${r.stderr.slice(0, 2000)}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

export { spawn };

/** Query a store file directly (read-only). */
export async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const store = await openStore(db, { readOnly: true });
  try {
    return (await store.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    store.close();
  }
}

/**
 * Poll `ok` until it holds; at the deadline fail naming what was awaited and the last state seen
 * (`state`). Tests wait with this on something observable, never for a fixed time.
 */
export async function waitFor(
  ok: () => boolean | Promise<boolean>,
  o: { what: string; timeoutMs?: number; everyMs?: number; state?: () => unknown },
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) {
      const seen = o.state ? `; last seen: ${JSON.stringify(await o.state())}` : '';
      throw new Error(`waited ${timeoutMs} ms for ${o.what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
  }
}

/** Events stored in the store at `db` (0 before it exists), read-only beside a running ingester. */
export async function storedEvents(db: string): Promise<number> {
  if (!fs.existsSync(db)) return 0;
  return Number((await query(db, 'SELECT count(*) AS n FROM events'))[0]!.n);
}

/** Wait until the store at `db` holds at least `n` events. */
export async function waitForEvents(db: string, n: number, timeoutMs = 20_000): Promise<void> {
  let got = 0;
  await waitFor(async () => (got = await storedEvents(db)) >= n, {
    what: `${n} stored events`,
    timeoutMs,
    everyMs: 100,
    state: () => `${got} events`,
  });
}

/** A simple deterministic event line (scheduling decision number i). */
export function decisionLine(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_type: 'scheduling_decision',
    timestamp: new Date(Date.UTC(2025, 0, 15) + i * 1000).toISOString(),
    scheduler: 'kcloud-meta-scheduler',
    workload: {
      id: `job-${i % 997}`,
      type: 'batch',
      requirements: { cpu: 2, memory: '4Gi', gpu: 0, power_budget: 500 },
    },
    decision: {
      selected_cluster: `gpu-cluster-0${i % 3}`,
      reason: '최적 전력 효율성',
      cost_calculation: {
        estimated_power_watts: 800,
        estimated_cost_per_hour: 10 + (i % 7),
        alternatives: [{ cluster: 'gpu-cluster-09', cost: 12 }],
      },
    },
    execution_time_ms: 50 + (i % 400),
    seq_no: i,
    ...extra,
  });
}

/** A seeded PRNG (mulberry32) for test data: same seed, same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Continuous quantile (linear interpolation between closest ranks, Hyndman-Fan type 7), as DuckDB's quantile_cont. */
export function quantile(values: number[], q: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Write JSONL lines to `<db>.jsonl` and ingest them, in file order, into a new store at `db`. */
export async function ingestLines(db: string, lines: string[]): Promise<void> {
  const file = `${db}.jsonl`;
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const store = await openStore(db);
  try {
    const res = await ingestPaths(store, [file]);
    if (res.stored !== lines.length)
      throw new Error(
        `${lines.length} lines, ${res.stored} stored (rejected ${res.rejected}, duplicates ${res.duplicates})`,
      );
  } finally {
    store.close();
  }
}

/** Is this program installed (it answers `--version`)? For tests that need one, e.g. logrotate. */
export function hasProgram(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
