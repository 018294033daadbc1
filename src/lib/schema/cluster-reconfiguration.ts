/** `cluster_reconfiguration`: the Magnum cluster manager created, deleted or scaled a cluster. */
import { z } from '../zod.js';
import { count, nonEmpty, nonNegative, percent } from './common.js';
import { TYPED_FIELDS, type JsonObject } from './columns.js';

export const nested = z.looseObject({
  event_type: z.literal('cluster_reconfiguration'),
  action: nonEmpty, // cluster_created | cluster_deleted | cluster_scaled | ...
  cluster: z.looseObject({
    id: nonEmpty,
    name: nonEmpty,
    type: nonEmpty,
    node_count: count,
    estimated_cost_per_hour: nonNegative,
  }),
  trigger: z.looseObject({
    workload_queue_length: count,
    existing_cluster_utilization: percent,
    expected_efficiency_gain: percent,
  }),
});

export const flat = nested;
export const isFlat = (): boolean => false;
export const looksFlat = isFlat;

/** The typed columns of a cluster reconfiguration (columns.ts). */
export const fields = TYPED_FIELDS.cluster_reconfiguration;
export type Nested = z.infer<typeof nested>;

export function normalise(e: Nested): JsonObject {
  return { ...(e as unknown as JsonObject) };
}
