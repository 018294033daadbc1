/** Human output of `kcloud-log events` (the command hands its result here). */
import { cut } from '../render.js';
import { normalised, type EventRow } from '../../lib/query/events.js';

/** A logged saving per hour: a negative one costs more. */
const savingText = (v: unknown) =>
  typeof v === 'number' && v < 0 ? `costs $${-v}/h more` : `saves $${String(v)}/h`;

/** A short human summary of an event for the table view. */
export function summarise(r: EventRow): string {
  const e = normalised(r) as Record<string, unknown>;
  const g = (o: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
      (a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined),
      o,
    );
  switch (r.event_type) {
    case 'scheduling_decision':
      return `→ ${g(e, 'decision', 'selected_cluster')} $${g(e, 'decision', 'cost_calculation', 'estimated_cost_per_hour')}/h in ${g(e, 'execution_time_ms')} ms${g(e, 'decision', 'outcome') !== 'scheduled' ? ` (${g(e, 'decision', 'outcome')})` : ''}`;
    case 'workload_relocation':
      return `${g(e, 'migration', 'from_cluster')} → ${g(e, 'migration', 'to_cluster')} ${savingText(g(e, 'migration', 'cost_saving_per_hour'))} (${g(e, 'trigger')})`;
    case 'cluster_reconfiguration':
      return `${g(e, 'action')} ${g(e, 'cluster', 'name')} ×${g(e, 'cluster', 'node_count')} $${g(e, 'cluster', 'estimated_cost_per_hour')}/h`;
    case 'inefficiency_detected':
      return `${g(e, 'inefficiency', 'type')} ${g(e, 'inefficiency', 'utilization')}% wastes $${g(e, 'inefficiency', 'wasted_cost_estimate')} → ${g(e, 'recommended_action')}`;
    case 'policy_change':
      return `${g(e, 'action')} ${g(e, 'policy', 'id')}${g(e, 'actor') ? ` by ${g(e, 'actor')}` : ''}`;
    default:
      return cut(r.raw, 60);
  }
}
