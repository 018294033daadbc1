/** `scheduling_decision`: the meta-scheduler placed a workload on a cluster. */
import { z } from '../zod.js';
import { nonEmpty, nonNegative, num, quantity, without } from './common.js';
import { TYPED_FIELDS, isFlatBy, type JsonObject } from './columns.js';

const alternative = z.looseObject({ cluster: nonEmpty, cost: nonNegative });
const outcome = z.enum(['scheduled', 'failed', 'pending']);

/** The nested shape of the logger specification's JSON example. */
export const nested = z.looseObject({
  event_type: z.literal('scheduling_decision'),
  scheduler: nonEmpty,
  workload: z.looseObject({
    id: nonEmpty,
    type: nonEmpty,
    requirements: z.looseObject({
      cpu: quantity,
      memory: quantity,
      gpu: nonNegative,
      power_budget: nonNegative,
    }),
  }),
  decision: z.looseObject({
    selected_cluster: nonEmpty,
    reason: z.string(),
    outcome: outcome.optional(),
    cost_calculation: z.looseObject({
      estimated_power_watts: nonNegative,
      estimated_cost_per_hour: nonNegative,
      efficiency_score: num.optional(),
      alternatives: z.array(alternative),
    }),
  }),
  execution_time_ms: nonNegative,
});

/** The flat shape of the specification's client examples. */
export const flat = z.looseObject({
  event_type: z.literal('scheduling_decision'),
  workload_id: nonEmpty,
  selected_cluster: nonEmpty,
  alternatives: z.array(alternative),
  cost_calculation: z.looseObject({
    power_watts: nonNegative,
    cost_per_hour: nonNegative,
    efficiency_score: num.optional(),
  }),
  execution_time_ms: nonNegative,
  scheduler: nonEmpty.optional(),
  workload_type: nonEmpty.optional(),
  reason: z.string().optional(),
  outcome: outcome.optional(),
});

/** The typed columns of a scheduling decision (columns.ts). */
export const fields = TYPED_FIELDS.scheduling_decision;

/** Flat when it has no decision.selected_cluster (the nested shape requires it). */
export const isFlat = isFlatBy(fields);
export const looksFlat = (o: JsonObject): boolean =>
  !(o.workload && typeof o.workload === 'object') && ('workload_id' in o || 'selected_cluster' in o);

export type Nested = z.infer<typeof nested>;
export type Flat = z.infer<typeof flat>;

/** The stored (normalised) form: always the nested shape, `outcome` defaulted. */
export function normalise(e: Nested | Flat, flat: boolean): JsonObject {
  if (flat) {
    const f = e as Flat;
    return {
      ...without(f as JsonObject, [
        'workload_id',
        'selected_cluster',
        'alternatives',
        'cost_calculation',
        'workload_type',
        'reason',
        'outcome',
      ]),
      event_type: 'scheduling_decision',
      scheduler: f.scheduler ?? null,
      workload: { id: f.workload_id, type: f.workload_type ?? null, requirements: null },
      decision: {
        selected_cluster: f.selected_cluster,
        reason: f.reason ?? null,
        outcome: f.outcome ?? 'scheduled',
        cost_calculation: {
          estimated_power_watts: f.cost_calculation.power_watts,
          estimated_cost_per_hour: f.cost_calculation.cost_per_hour,
          ...(f.cost_calculation.efficiency_score !== undefined
            ? { efficiency_score: f.cost_calculation.efficiency_score }
            : {}),
          alternatives: f.alternatives as JsonObject[],
        },
      },
    };
  }
  const n = e as Nested;
  return {
    ...(n as JsonObject),
    decision: { ...(n.decision as JsonObject), outcome: n.decision.outcome ?? 'scheduled' },
  };
}
