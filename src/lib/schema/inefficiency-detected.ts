/** `inefficiency_detected`: the optimizer found idle or wasted capacity. */
import { z } from '../zod.js';
import { m, nonEmpty, nonNegative, percent, severity, without } from './common.js';
import { TYPED_FIELDS, isFlatBy, type JsonObject } from './columns.js';

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

/** The typed columns of a inefficiency detected (columns.ts). */
export const fields = TYPED_FIELDS.inefficiency_detected;

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
