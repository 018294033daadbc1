/**
 * Hand-made kcloud events for the savings and trace tests: placements,
 * relocations (in both logged shapes) and other events, as JSON lines.
 */
const H = 3600e6;
export const T = Date.UTC(2025, 4, 1) * 1000; // µs

export interface Place {
  kind: 'place';
  us: number;
  workload: string;
  cluster: string;
  /** Not logged when absent (= scheduled). */
  outcome?: 'scheduled' | 'failed' | 'pending';
}
export interface Move {
  kind: 'move';
  us: number;
  workload: string;
  from: string;
  to: string;
  rate: number;
  watts: number;
  trigger: string;
  downtime: number;
}
export interface Other {
  kind: 'other';
  us: number;
  cluster: string;
}
export type Ev = Place | Move | Other;

export const iso = (us: number) =>
  new Date(Math.floor(us / 1000))
    .toISOString()
    .replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${String(us % 1000).padStart(3, '0')}Z`);

export function line(e: Ev, i: number): string {
  const ts = iso(e.us);
  if (e.kind === 'place')
    return JSON.stringify({
      event_type: 'scheduling_decision',
      timestamp: ts,
      scheduler: 'kcloud-meta-scheduler',
      workload: {
        id: e.workload,
        type: 'batch',
        requirements: { cpu: 1, memory: '1Gi', gpu: 0, power_budget: 1 },
      },
      decision: {
        selected_cluster: e.cluster,
        reason: 'r',
        ...(e.outcome ? { outcome: e.outcome } : {}),
        cost_calculation: { estimated_power_watts: 1, estimated_cost_per_hour: 10, alternatives: [] },
      },
      execution_time_ms: 20,
    });
  if (e.kind === 'move')
    // Both logged shapes: nested on even lines, flat on odd ones.
    return JSON.stringify(
      i % 2
        ? {
            event_type: 'workload_relocation',
            timestamp: ts,
            workload_id: e.workload,
            from_cluster: e.from,
            to_cluster: e.to,
            trigger: e.trigger,
            metrics: {
              power_saving_watts: e.watts,
              cost_saving_per_hour: e.rate,
              migration_time_seconds: 30,
              downtime_seconds: e.downtime,
            },
          }
        : {
            event_type: 'workload_relocation',
            timestamp: ts,
            workload: e.workload,
            trigger: e.trigger,
            migration: {
              from_cluster: e.from,
              to_cluster: e.to,
              reason: 'cheaper',
              power_saving_watts: e.watts,
              cost_saving_per_hour: e.rate,
            },
            migration_time_seconds: 30,
            downtime_seconds: e.downtime,
          },
    );
  return JSON.stringify({
    event_type: 'inefficiency_detected',
    timestamp: ts,
    severity: 'LOW',
    inefficiency: {
      type: 'idle_cluster',
      cluster: e.cluster,
      utilization: 5,
      idle_duration_hours: 1,
      wasted_cost_estimate: 3,
    },
    recommended_action: 'scale_down',
    auto_action_taken: false,
  });
}

export const mv = (
  h: number,
  workload: string,
  from: string,
  to: string,
  rate: number,
  watts: number,
  trigger = 'cost_optimization',
): Move => ({
  kind: 'move',
  us: Math.round(T + h * H),
  workload,
  from,
  to,
  rate,
  watts,
  trigger,
  downtime: 2,
});
export const pl = (h: number, workload: string, cluster: string, outcome?: Place['outcome']): Place => ({
  kind: 'place',
  us: Math.round(T + h * H),
  workload,
  cluster,
  ...(outcome ? { outcome } : {}),
});
