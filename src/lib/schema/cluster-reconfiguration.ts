/** `cluster_reconfiguration`: the Magnum cluster manager created, deleted or scaled a cluster. */
import { z } from 'zod';
import { count, nonEmpty, nonNegative, percent, same, type JsonObject, type TypedFields } from './common.js';

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

/** The typed columns of a cluster change (one shape). */
export const fields: TypedFields = {
  columns: {
    workload_id: same('$.workload_id'),
    cluster_id: same('$.cluster.id'),
    severity: same('$.severity', 'lower'),
    action: same('$.action'),
    cluster_name: same('$.cluster.name'),
    cluster_type: same('$.cluster.type'),
    node_count: same('$.cluster.node_count', 'int'),
    cluster_cost_per_hour: same('$.cluster.estimated_cost_per_hour', 'double'),
    queue_length: same('$.trigger.workload_queue_length', 'int'),
    cluster_utilization_pct: same('$.trigger.existing_cluster_utilization', 'percent'),
    expected_gain_pct: same('$.trigger.expected_efficiency_gain', 'percent'),
  },
};
export type Nested = z.infer<typeof nested>;

export function normalise(e: Nested): JsonObject {
  return { ...(e as unknown as JsonObject) };
}
