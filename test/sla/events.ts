/**
 * A seeded scenario of kcloud events for the SLA, alert and report tests,
 * with the facts an independent computation needs kept next to each line
 * (time in µs, ids, figures), taken from the generated values, not the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';

export { rng, quantile } from '../helpers.js';
import { rng } from '../helpers.js';

export const T0 = Date.UTC(2025, 2, 1, 0, 0, 0) * 1000; // µs
export const MIN = 60e6;
export const HOUR = 3600e6;

export interface Decision {
  kind: 'decision';
  id: string;
  us: number;
  workload: string;
  cluster: string;
  execMs: number;
  outcome: 'scheduled' | 'failed' | 'pending';
  cost: number;
}
export interface Relocation {
  kind: 'relocation';
  id: string;
  us: number;
  workload: string;
  from: string;
  to: string;
  saving: number;
  downtime: number;
}
export interface Inefficiency {
  kind: 'inefficiency';
  id: string;
  us: number;
  cluster: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  waste: number;
  auto: boolean;
}
export interface Reconfig {
  kind: 'reconfig';
  id: string;
  us: number;
  cluster: string;
  action: 'cluster_created' | 'cluster_deleted' | 'cluster_scaled';
  cost: number;
}
export interface Policy {
  kind: 'policy';
  id: string;
  us: number;
  policy: string;
  version: string;
  action: 'applied' | 'changed' | 'reverted';
  actor: string;
  previous: string;
}
export type Ev = Decision | Relocation | Inefficiency | Reconfig | Policy;

const CLUSTERS = ['gpu-cluster-01', 'gpu-cluster-02', 'npu-cluster-01', 'cpu-cluster-03'];
const SEV = ['low', 'medium', 'high', 'critical'] as const;

export interface ScenarioOptions {
  seed: number;
  hours: number;
  /** Seconds between decisions (jittered). */
  decisionGap?: number;
  /** [from, to) hours after T0 with slow decisions (300..600 ms). */
  slow?: [number, number];
  /** [from, to) hours after T0 without any event (a quiet gap). */
  quiet?: [number, number];
}

/** Decisions every ~decisionGap s, a relocation every ~7 min, an inefficiency every ~13 min, hourly reconfigurations, 3 policy changes. */
export function scenario(o: ScenarioOptions): Ev[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const end = T0 + o.hours * HOUR;
  const quiet = (us: number) => !!o.quiet && us >= T0 + o.quiet[0] * HOUR && us < T0 + o.quiet[1] * HOUR;
  const out: Ev[] = [];
  let n = 0;
  const id = () => `ev-${o.seed}-${++n}`;
  const gap = (o.decisionGap ?? 60) * 1e6;
  for (let t = T0 + 1_000_123; t < end; t += Math.floor(gap * (0.5 + r())) + 7) {
    if (quiet(t)) continue;
    const slow = !!o.slow && t >= T0 + o.slow[0] * HOUR && t < T0 + o.slow[1] * HOUR;
    const u = r();
    out.push({
      kind: 'decision',
      id: id(),
      us: t,
      workload: `wl-${Math.floor(r() * 40)}`,
      cluster: pick(CLUSTERS),
      execMs: Math.round((slow ? 300 + r() * 300 : 20 + r() * 130) * 10) / 10,
      outcome: u < 0.9 ? 'scheduled' : u < 0.96 ? 'failed' : 'pending',
      cost: Math.round((5 + r() * 20) * 100) / 100,
    });
  }
  for (let t = T0 + 2 * MIN + 333; t < end; t += Math.floor(7 * MIN * (0.5 + r()))) {
    if (quiet(t)) continue;
    const from = pick(CLUSTERS);
    out.push({
      kind: 'relocation',
      id: id(),
      us: t,
      workload: `wl-${Math.floor(r() * 20)}`,
      from,
      to: pick(CLUSTERS.filter((c) => c !== from)),
      saving: Math.round(r() * 500) / 100,
      downtime: Math.round(r() * 30),
    });
  }
  for (let t = T0 + 5 * MIN + 777; t < end; t += Math.floor(13 * MIN * (0.5 + r()))) {
    if (quiet(t)) continue;
    out.push({
      kind: 'inefficiency',
      id: id(),
      us: t,
      cluster: pick(CLUSTERS),
      severity: pick(SEV),
      waste: Math.round(r() * 30000) / 100,
      auto: r() < 0.5,
    });
  }
  for (let t = T0 + 30 * MIN; t < end; t += HOUR) {
    if (quiet(t)) continue;
    out.push({
      kind: 'reconfig',
      id: id(),
      us: t,
      cluster: `magnum-${Math.floor(r() * 5)}`,
      action: pick(['cluster_created', 'cluster_deleted', 'cluster_scaled'] as const),
      cost: Math.round((3 + r() * 20) * 100) / 100,
    });
  }
  const actors = ['ops-team', 'alice@example.com', 'policy-bot'];
  [0.2, 0.5, 0.8].forEach((f, i) => {
    let t = T0 + Math.floor(o.hours * HOUR * f) + 11;
    while (quiet(t)) t += HOUR;
    out.push({
      kind: 'policy',
      id: id(),
      us: t,
      policy: 'cost-opt',
      version: String(i + 2),
      action: i === 2 ? 'reverted' : i === 0 ? 'applied' : 'changed',
      actor: actors[i]!,
      previous: String(i + 1),
    });
  });
  return out.sort((a, b) => a.us - b.us);
}

const iso = (us: number) =>
  new Date(Math.floor(us / 1000))
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}${String(us % 1000).padStart(3, '0')}Z`);

export function toLine(e: Ev): string {
  const base = { event_id: e.id, timestamp: iso(e.us) };
  switch (e.kind) {
    case 'decision':
      return JSON.stringify({
        ...base,
        event_type: 'scheduling_decision',
        scheduler: 'kcloud-meta-scheduler',
        workload: {
          id: e.workload,
          type: 'batch',
          requirements: { cpu: 2, memory: '4Gi', gpu: 0, power_budget: 500 },
        },
        decision: {
          selected_cluster: e.cluster,
          reason: '최적 전력 효율성',
          ...(e.outcome === 'scheduled' ? {} : { outcome: e.outcome }),
          cost_calculation: {
            estimated_power_watts: 800,
            estimated_cost_per_hour: e.cost,
            alternatives: [{ cluster: 'gpu-cluster-09', cost: e.cost + 1 }],
          },
        },
        execution_time_ms: e.execMs,
      });
    case 'relocation':
      return JSON.stringify({
        ...base,
        event_type: 'workload_relocation',
        workload: e.workload,
        trigger: 'cost_optimization',
        migration: {
          from_cluster: e.from,
          to_cluster: e.to,
          reason: 'cheaper',
          power_saving_watts: 100,
          cost_saving_per_hour: e.saving,
        },
        migration_time_seconds: 30,
        downtime_seconds: e.downtime,
      });
    case 'inefficiency':
      return JSON.stringify({
        ...base,
        event_type: 'inefficiency_detected',
        severity: e.severity.toUpperCase(),
        inefficiency: {
          type: 'idle_cluster',
          cluster: e.cluster,
          utilization: 5,
          idle_duration_hours: 2,
          wasted_cost_estimate: e.waste,
        },
        recommended_action: 'cluster_shutdown',
        auto_action_taken: e.auto,
      });
    case 'reconfig':
      return JSON.stringify({
        ...base,
        event_type: 'cluster_reconfiguration',
        action: e.action,
        cluster: {
          id: e.cluster,
          name: e.cluster,
          type: 'gpu',
          node_count: 3,
          estimated_cost_per_hour: e.cost,
        },
        trigger: {
          workload_queue_length: 12,
          existing_cluster_utilization: '90%',
          expected_efficiency_gain: '20%',
        },
      });
    case 'policy':
      return JSON.stringify({
        ...base,
        event_type: 'policy_change',
        action: e.action,
        policy: { id: e.policy, name: 'cost optimisation', version: e.version },
        previous: { id: e.policy, version: e.previous },
        actor: e.actor,
        reason: 'quarterly review',
      });
  }
}

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'kcloud-sla-'));

/** Extra lines that are not stored events: 2 rejected, 1 skipped. */
export const NOISE = [
  '{"event_type": "scheduling_decision", "timestamp": ',
  JSON.stringify({ event_type: 'workload_relocation', timestamp: '2025-03-01T00:00:00Z', workload: 'w' }),
  JSON.stringify({ level: 'info', msg: 'tick' }),
];

/** Write the events (plus NOISE) to a file and ingest them into `dir/name.duckdb`. */
export async function buildDb(dir: string, name: string, events: Ev[], noise = NOISE): Promise<string> {
  const lines = events.map(toLine);
  lines.splice(Math.floor(lines.length / 3), 0, ...noise);
  const file = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const db = path.join(dir, `${name}.duckdb`);
  const store = await openStore(db);
  try {
    const res = await ingestPaths(store, [file]);
    if (res.stored !== events.length)
      throw new Error(`generated ${events.length} events, stored ${res.stored} (rejected ${res.rejected})`);
  } finally {
    store.close();
  }
  return db;
}

export async function open(db: string, readOnly = true): Promise<Store> {
  return openStore(db, { readOnly });
}

/** Continuous quantile (Hyndman-Fan type 7), as DuckDB quantile_cont. */

export function near(actual: number | null | undefined, expected: number | null, rel = 1e-9): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  return Math.abs(actual - expected) <= Math.max(1e-9, Math.abs(expected) * rel);
}
