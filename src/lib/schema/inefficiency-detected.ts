/** `inefficiency_detected`: the optimizer found idle or wasted capacity. */
import { z } from 'zod';
import {
  isFlatBy,
  m,
  nonEmpty,
  nonNegative,
  percent,
  same,
  severity,
  without,
  type JsonObject,
  type TypedFields,
} from './common.js';

export const nested = z.looseObject({
  event_type: z.literal('inefficiency_detected'),
  severity,
  inefficiency: z.looseObject({
    type: nonEmpty,
    cluster: nonEmpty,
    utilization: percent,
    idle_duration_hours: nonNegative,
    wasted_cost_estimate: nonNegative,
  }),
  recommended_action: nonEmpty,
  auto_action_taken: z.boolean({ error: m('must be true or false') }),
});

export const flat = z.looseObject({
  event_type: z.literal('inefficiency_detected'),
  severity,
  inefficiency_type: nonEmpty,
  resource_id: nonEmpty,
  metrics: z.looseObject({
    utilization_percentage: percent,
    idle_duration_hours: nonNegative,
    wasted_cost_estimate: nonNegative,
  }),
  recommended_action: nonEmpty,
  auto_action_taken: z.boolean({ error: m('must be true or false') }).optional(),
});

/** The typed columns of an inefficiency, per shape (store/derive.ts). */
export const fields: TypedFields = {
  nestedProbe: '$.inefficiency.cluster',
  columns: {
    workload_id: same('$.workload_id'),
    cluster_id: { nested: '$.inefficiency.cluster', flat: '$.resource_id', cast: 'text' },
    severity: same('$.severity', 'lower'),
    inefficiency_type: { nested: '$.inefficiency.type', flat: '$.inefficiency_type', cast: 'text' },
    utilization_pct: {
      nested: '$.inefficiency.utilization',
      flat: '$.metrics.utilization_percentage',
      cast: 'percent',
    },
    idle_hours: {
      nested: '$.inefficiency.idle_duration_hours',
      flat: '$.metrics.idle_duration_hours',
      cast: 'double',
    },
    wasted_cost: {
      nested: '$.inefficiency.wasted_cost_estimate',
      flat: '$.metrics.wasted_cost_estimate',
      cast: 'double',
    },
    recommended_action: same('$.recommended_action'),
    auto_action: same('$.auto_action_taken', 'bool'),
  },
};

/** Flat when it has no inefficiency.cluster (the nested shape requires it). */
export const isFlat = isFlatBy(fields);
export const looksFlat = (o: JsonObject): boolean =>
  !('inefficiency' in o) && ('resource_id' in o || 'inefficiency_type' in o);
export type Nested = z.infer<typeof nested>;
export type Flat = z.infer<typeof flat>;

export function normalise(e: Nested | Flat, flat: boolean): JsonObject {
  if (flat) {
    const f = e as Flat;
    return {
      ...without(f as unknown as JsonObject, ['inefficiency_type', 'resource_id', 'metrics']),
      event_type: 'inefficiency_detected',
      severity: f.severity,
      inefficiency: {
        type: f.inefficiency_type,
        cluster: f.resource_id,
        utilization: f.metrics.utilization_percentage,
        idle_duration_hours: f.metrics.idle_duration_hours,
        wasted_cost_estimate: f.metrics.wasted_cost_estimate,
      },
      recommended_action: f.recommended_action,
      auto_action_taken: f.auto_action_taken ?? null,
    };
  }
  const n = e as Nested;
  return { ...(n as unknown as JsonObject), inefficiency: { ...(n.inefficiency as JsonObject) } };
}
