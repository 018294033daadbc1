/**
 * The seeded scenarios of kcloud events the analysis, SLA, alert and report
 * tests build their stores from, with the facts an independent computation
 * needs kept next to each line (time in µs, ids, figures), taken from the
 * generated values themselves, not from the store.
 *
 * Two families, one module:
 * - `generate` (analyses): a random mix of events of every type, nested or
 *   flat (`mixLine`), shuffled in file order, with the plain-JS reference
 *   computations the analyses are compared against (`refScheduling`, `close`);
 * - `scenario` (SLA, alerts, reports): a timeline over hours, decisions every
 *   ~minute, periodic relocations, inefficiencies and reconfigurations, with
 *   slow and quiet periods (`scenarioLine`, each event with its event_id).
 *
 * Both are written and ingested the same way (`ingestScenario`); examples/
 * generate.mjs is the separate generator of sample logs with exact expected
 * ingest counts (examples, bench).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openStore, type Store } from '../src/lib/store/open.js';
import { ingestPaths } from '../src/lib/ingest/ingest.js';
import { rng, quantile } from './helpers.js';

export { rng, quantile, tmpDir } from './helpers.js';

/** An ISO timestamp with microseconds. */
const iso = (us: number) =>
  new Date(Math.floor(us / 1000))
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, ms) => `.${ms}${String(us % 1000).padStart(3, '0')}Z`);

/** Write `lines` to `dir/name.jsonl` and ingest them into a new store `dir/name.duckdb`; all `events` must be stored. */
async function ingestScenario(dir: string, name: string, lines: string[], events: number): Promise<string> {
  const file = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const db = path.join(dir, `${name}.duckdb`);
  const store = await openStore(db);
  try {
    const res = await ingestPaths(store, [file]);
    if (res.stored !== events)
      throw new Error(
        `generated ${events} events, stored ${res.stored} (rejected ${res.rejected}, duplicates ${res.duplicates})`,
      );
  } finally {
    store.close();
  }
  return db;
}

/* ------------------------------------------------------------------------------------------------
 * The analyses' mix: generate()
 * ---------------------------------------------------------------------------------------------- */

export interface GenDecision {
  kind: 'decision';
  us: number;
  workload: string;
  cluster: string;
  scheduler: string;
  wtype: string;
  cost: number;
  alts: { cluster: string; cost: number }[];
  execMs: number;
  outcome: 'scheduled' | 'failed' | 'pending';
  flat: boolean;
}
export interface GenRelocation {
  kind: 'relocation';
  us: number;
  workload: string;
  from: string;
  to: string;
  trigger: string;
  saving: number;
  watts: number;
  migration: number;
  downtime: number;
  flat: boolean;
}
export interface GenInefficiency {
  kind: 'inefficiency';
  us: number;
  cluster: string;
  severity: string;
  type: string;
  util: number;
  idle: number;
  waste: number;
  action: string;
  auto: boolean | null;
  flat: boolean;
}
export interface GenReconfig {
  kind: 'reconfig';
  us: number;
  action: 'cluster_created' | 'cluster_deleted' | 'cluster_scaled';
  cluster: string;
  cost: number;
  nodes: number;
}
export interface GenPolicy {
  kind: 'policy';
  us: number;
  id: string;
  action: 'applied' | 'changed' | 'reverted';
}
export type GenEvent = GenDecision | GenRelocation | GenInefficiency | GenReconfig | GenPolicy;

export const CLUSTERS = [
  'gpu-cluster-01',
  'gpu-cluster-02',
  'npu-cluster-01',
  'cpu-cluster-03',
  'hybrid-cluster-01',
];
export const SCHEDULERS = ['kcloud-meta-scheduler', 'kcloud-meta-scheduler-v2'];
const TYPES = ['ml_training', 'inference', 'batch'];
const TRIGGERS = ['power_efficiency_optimization', 'cost_optimization', 'load_balancing'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const INEFF = ['idle_cluster', 'over_provisioned', 'underutilized_gpu'];

export const T0_US = Date.UTC(2025, 0, 15, 0, 0, 0) * 1000;
const r2 = (v: number) => Math.round(v * 100) / 100;

export interface GenOptions {
  seed: number;
  decisions: number;
  /** Average gap between decisions, seconds. */
  gapSeconds?: number;
  start?: number;
  workloads?: number;
  relocations?: number;
  inefficiencies?: number;
  reconfigs?: number;
  /** Latency scale (ms) as a function of the event time; default constant 150. */
  latency?: (us: number, r: () => number) => number;
  /** Insert a policy_change at this fraction of the span. */
  policyAt?: number;
}

export function generate(o: GenOptions): GenEvent[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const gap = (o.gapSeconds ?? 60) * 1e6;
  const start = o.start ?? T0_US;
  const nW = o.workloads ?? Math.max(3, Math.floor(o.decisions / 4));
  const out: GenEvent[] = [];
  let t = start;
  for (let i = 0; i < o.decisions; i++) {
    t += Math.floor(gap * (0.2 + 1.6 * r())) + 1; // strictly increasing
    const cluster = pick(CLUSTERS);
    const cost = r2(5 + r() * 20);
    const nAlts = Math.floor(r() * 4); // 0..3
    const alts = Array.from({ length: nAlts }, () => ({
      cluster: pick(CLUSTERS.filter((c) => c !== cluster)),
      cost: r2(cost + (r() - 0.35) * 10),
    }));
    const lat = o.latency ? o.latency(t, r) : 50 + r() * 200;
    const u = r();
    out.push({
      kind: 'decision',
      us: t,
      workload: `wl-${Math.floor(r() * nW)}`,
      cluster,
      scheduler: pick(SCHEDULERS),
      wtype: pick(TYPES),
      cost,
      alts,
      execMs: Math.round(lat * 100) / 100,
      outcome: u < 0.85 ? 'scheduled' : u < 0.95 ? 'failed' : 'pending',
      flat: r() < 0.3,
    });
  }
  const end = t;
  const span = end - start;
  const at = () => start + Math.floor(r() * span) + 1;
  for (let i = 0; i < (o.relocations ?? Math.floor(o.decisions / 5)); i++) {
    const from = pick(CLUSTERS);
    out.push({
      kind: 'relocation',
      us: at(),
      workload: `wl-${Math.floor(r() * nW)}`,
      from,
      to: pick(CLUSTERS.filter((c) => c !== from)),
      trigger: pick(TRIGGERS),
      saving: r2(r() * 6),
      watts: Math.round(r() * 400),
      migration: Math.round(10 + r() * 80),
      downtime: Math.round(r() * 5),
      flat: r() < 0.4,
    });
  }
  for (let i = 0; i < (o.inefficiencies ?? Math.floor(o.decisions / 8)); i++) {
    const flat = r() < 0.4;
    const a = r();
    out.push({
      kind: 'inefficiency',
      us: at(),
      cluster: pick(CLUSTERS),
      severity: pick(SEVERITIES),
      type: pick(INEFF),
      util: Math.round(r() * 30),
      idle: r2(r() * 24),
      waste: r2(r() * 200),
      action: pick(['cluster_shutdown', 'cluster_consolidation', 'scale_down']),
      auto: flat && a < 0.3 ? null : a < 0.6,
      flat,
    });
  }
  for (let i = 0; i < (o.reconfigs ?? Math.floor(o.decisions / 20)); i++) {
    out.push({
      kind: 'reconfig',
      us: at(),
      action: pick(['cluster_created', 'cluster_deleted', 'cluster_scaled'] as const),
      cluster: `magnum-${Math.floor(r() * 6)}`,
      cost: r2(3 + r() * 20),
      nodes: 1 + Math.floor(r() * 8),
    });
  }
  if (o.policyAt !== undefined)
    out.push({
      kind: 'policy',
      us: start + Math.floor(span * o.policyAt),
      id: 'cost-opt-v2',
      action: 'applied',
    });
  return out;
}

/** The JSON line of an event, nested or flat, timestamps as ISO with microseconds. */
export function mixLine(e: GenEvent, i: number): string {
  const ts = iso(e.us);
  switch (e.kind) {
    case 'decision':
      return JSON.stringify(
        e.flat
          ? {
              event_type: 'scheduling_decision',
              timestamp: ts,
              workload_id: e.workload,
              workload_type: e.wtype,
              scheduler: e.scheduler,
              selected_cluster: e.cluster,
              alternatives: e.alts,
              cost_calculation: { power_watts: 1000 + i, cost_per_hour: e.cost, efficiency_score: 0.8 },
              execution_time_ms: e.execMs,
              ...(e.outcome !== 'scheduled' ? { outcome: e.outcome } : {}),
              reason: '최적 전력 효율성',
            }
          : {
              event_type: 'scheduling_decision',
              timestamp: ts,
              scheduler: e.scheduler,
              workload: {
                id: e.workload,
                type: e.wtype,
                requirements: { cpu: 4, memory: '16Gi', gpu: 1, power_budget: 1500 },
              },
              decision: {
                selected_cluster: e.cluster,
                reason: 'lowest cost',
                ...(e.outcome !== 'scheduled' || i % 2 ? { outcome: e.outcome } : {}),
                cost_calculation: {
                  estimated_power_watts: 900 + i,
                  estimated_cost_per_hour: e.cost,
                  alternatives: e.alts,
                },
              },
              execution_time_ms: e.execMs,
            },
      );
    case 'relocation':
      return JSON.stringify(
        e.flat
          ? {
              event_type: 'workload_relocation',
              timestamp: ts,
              workload_id: e.workload,
              from_cluster: e.from,
              to_cluster: e.to,
              trigger: e.trigger,
              metrics: {
                power_saving_watts: e.watts,
                cost_saving_per_hour: e.saving,
                migration_time_seconds: e.migration,
                downtime_seconds: e.downtime,
              },
            }
          : {
              event_type: 'workload_relocation',
              timestamp: ts,
              trigger: e.trigger,
              workload: e.workload,
              migration: {
                from_cluster: e.from,
                to_cluster: e.to,
                reason: 'cheaper',
                power_saving_watts: e.watts,
                cost_saving_per_hour: e.saving,
              },
              migration_time_seconds: e.migration,
              downtime_seconds: e.downtime,
            },
      );
    case 'inefficiency':
      return JSON.stringify(
        e.flat
          ? {
              event_type: 'inefficiency_detected',
              timestamp: ts,
              inefficiency_type: e.type,
              resource_id: e.cluster,
              severity: e.severity,
              metrics: {
                utilization_percentage: `${e.util}%`,
                idle_duration_hours: e.idle,
                wasted_cost_estimate: e.waste,
              },
              recommended_action: e.action,
              ...(e.auto !== null ? { auto_action_taken: e.auto } : {}),
            }
          : {
              event_type: 'inefficiency_detected',
              timestamp: ts,
              severity: e.severity.toUpperCase(),
              inefficiency: {
                type: e.type,
                cluster: e.cluster,
                utilization: e.util,
                idle_duration_hours: e.idle,
                wasted_cost_estimate: e.waste,
              },
              recommended_action: e.action,
              auto_action_taken: e.auto ?? false,
            },
      );
    case 'reconfig':
      return JSON.stringify({
        event_type: 'cluster_reconfiguration',
        timestamp: ts,
        action: e.action,
        cluster: {
          id: e.cluster,
          name: `${e.cluster}-name`,
          type: 'npu_optimized',
          node_count: e.nodes,
          estimated_cost_per_hour: e.cost,
        },
        trigger: {
          workload_queue_length: 10 + i,
          existing_cluster_utilization: 90,
          expected_efficiency_gain: '25%',
        },
      });
    case 'policy':
      return JSON.stringify({
        event_type: 'policy_change',
        timestamp: ts,
        action: e.action,
        policy: { id: e.id, name: 'power-aware cost optimization', version: '2' },
        previous: { id: 'cost-opt-v1', version: '1' },
        actor: 'ops-team',
      });
  }
}

/** Nested inefficiency events always log auto_action_taken (false when the generator said null). */
export const autoOf = (e: GenInefficiency): boolean | null => (e.flat ? e.auto : (e.auto ?? false));

/** Write the events (shuffled in file order, plus a few non-event log lines) and ingest them into a new store. */
export async function buildStore(dir: string, name: string, events: GenEvent[], seed = 1): Promise<string> {
  const r = rng(seed + 1000);
  const lines = events.map((e, i) => mixLine(e, i));
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  lines.splice(
    Math.floor(lines.length / 2),
    0,
    JSON.stringify({ level: 'info', ts: 1736899200, msg: 'scheduler loop tick' }),
  );
  return ingestScenario(dir, name, lines, events.length);
}

/* ------------------------------------------------------------------------------------------------
 * Reference computations (plain JS, from the generated values)
 * ---------------------------------------------------------------------------------------------- */

export function refScheduling(ds: GenDecision[]) {
  const lat = ds.map((d) => d.execMs);
  const minAlt = (d: GenDecision) => (d.alts.length ? Math.min(...d.alts.map((a) => a.cost)) : null);
  let cheapest = 0;
  let regret = 0;
  let notCheapest = 0;
  for (const d of ds) {
    const m = minAlt(d);
    if (m === null || d.cost <= m) cheapest++;
    else {
      notCheapest++;
      regret += d.cost - m;
    }
  }
  return {
    decisions: ds.length,
    avg: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
    p50: quantile(lat, 0.5),
    p90: quantile(lat, 0.9),
    p95: quantile(lat, 0.95),
    p99: quantile(lat, 0.99),
    max: lat.length ? Math.max(...lat) : null,
    success_rate: ds.length ? ds.filter((d) => d.outcome === 'scheduled').length / ds.length : null,
    cheapest_choice_rate: ds.length ? cheapest / ds.length : null,
    regret,
    notCheapest,
  };
}

/** Expect `actual` within 0.5 % of `expected` (absolute 1e-9 for zero). */
export function close(actual: number | null | undefined, expected: number | null | undefined): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (expected === 0) return Math.abs(actual) < 1e-9;
  return Math.abs(actual - expected) / Math.abs(expected) <= 0.005;
}

/* ------------------------------------------------------------------------------------------------
 * The SLA, alert and report timeline: scenario()
 * ---------------------------------------------------------------------------------------------- */

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
  severity: (typeof SEVERITIES)[number];
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

const SCENARIO_CLUSTERS = ['gpu-cluster-01', 'gpu-cluster-02', 'npu-cluster-01', 'cpu-cluster-03'];

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
      cluster: pick(SCENARIO_CLUSTERS),
      execMs: Math.round((slow ? 300 + r() * 300 : 20 + r() * 130) * 10) / 10,
      outcome: u < 0.9 ? 'scheduled' : u < 0.96 ? 'failed' : 'pending',
      cost: Math.round((5 + r() * 20) * 100) / 100,
    });
  }
  for (let t = T0 + 2 * MIN + 333; t < end; t += Math.floor(7 * MIN * (0.5 + r()))) {
    if (quiet(t)) continue;
    const from = pick(SCENARIO_CLUSTERS);
    out.push({
      kind: 'relocation',
      id: id(),
      us: t,
      workload: `wl-${Math.floor(r() * 20)}`,
      from,
      to: pick(SCENARIO_CLUSTERS.filter((c) => c !== from)),
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
      cluster: pick(SCENARIO_CLUSTERS),
      severity: pick(SEVERITIES),
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

/** The JSON line of a scenario event (nested shape, with its event_id). */
export function scenarioLine(e: Ev): string {
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

/** Extra lines that are not stored events: 2 rejected, 1 skipped. */
export const NOISE = [
  '{"event_type": "scheduling_decision", "timestamp": ',
  JSON.stringify({ event_type: 'workload_relocation', timestamp: '2025-03-01T00:00:00Z', workload: 'w' }),
  JSON.stringify({ level: 'info', msg: 'tick' }),
];

/** Write the events (plus NOISE) to a file and ingest them into `dir/name.duckdb`. */
export async function buildDb(dir: string, name: string, events: Ev[], noise = NOISE): Promise<string> {
  const lines = events.map(scenarioLine);
  lines.splice(Math.floor(lines.length / 3), 0, ...noise);
  return ingestScenario(dir, name, lines, events.length);
}

export async function open(db: string, readOnly = true): Promise<Store> {
  return openStore(db, { readOnly });
}

export function near(actual: number | null | undefined, expected: number | null, rel = 1e-9): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  return Math.abs(actual - expected) <= Math.max(1e-9, Math.abs(expected) * rel);
}
