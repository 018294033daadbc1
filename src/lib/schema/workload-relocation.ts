/** `workload_relocation`: a running workload was moved between clusters. */
import { z } from '../zod.js';
import { nonEmpty, nonNegative, num, without } from './common.js';
import { TYPED_FIELDS, isFlatBy, type JsonObject } from './columns.js';

export const nested = z.looseObject({
  event_type: z.literal('workload_relocation'),
  workload: nonEmpty,
  trigger: nonEmpty,
  migration: z.looseObject({
    from_cluster: nonEmpty,
    to_cluster: nonEmpty,
    reason: z.string(),
    power_saving_watts: num,
    cost_saving_per_hour: num,
  }),
  migration_time_seconds: nonNegative,
  downtime_seconds: nonNegative,
});

export const flat = z.looseObject({
  event_type: z.literal('workload_relocation'),
  workload_id: nonEmpty,
  from_cluster: nonEmpty,
  to_cluster: nonEmpty,
  trigger: nonEmpty,
  reason: z.string().optional(),
  metrics: z.looseObject({
    power_saving_watts: num,
    cost_saving_per_hour: num,
    migration_time_seconds: nonNegative,
    downtime_seconds: nonNegative,
  }),
});

/** The typed columns of a workload relocation (columns.ts). */
export const fields = TYPED_FIELDS.workload_relocation;

/** Flat when it has no migration.to_cluster (the nested shape requires it). */
export const isFlat = isFlatBy(fields);
export const looksFlat = (o: JsonObject): boolean =>
  !('migration' in o) && ('workload_id' in o || 'metrics' in o || 'from_cluster' in o);

export type Nested = z.infer<typeof nested>;
export type Flat = z.infer<typeof flat>;

export function normalise(e: Nested | Flat, flat: boolean): JsonObject {
  if (flat) {
    const f = e as Flat;
    return {
      ...without(f as JsonObject, ['workload_id', 'from_cluster', 'to_cluster', 'reason', 'metrics']),
      event_type: 'workload_relocation',
      workload: f.workload_id,
      trigger: f.trigger,
      migration: {
        from_cluster: f.from_cluster,
        to_cluster: f.to_cluster,
        reason: f.reason ?? null,
        power_saving_watts: f.metrics.power_saving_watts,
        cost_saving_per_hour: f.metrics.cost_saving_per_hour,
      },
      migration_time_seconds: f.metrics.migration_time_seconds,
      downtime_seconds: f.metrics.downtime_seconds,
    };
  }
  return { ...(e as JsonObject) };
}
