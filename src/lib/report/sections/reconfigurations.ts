/** Cluster reconfigurations: the capacity figures of `analyze cost` over the scope, and the most recent. */
import type { Store } from '../../store/open.js';
import { num as numOrNull, numOrZero, queryRows, str } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import type { ReconfigurationCost } from '../../analyze/cost.js';
import { int, num, usdh, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

export type ReconfigurationsPart = Pick<
  ReconfigurationCost,
  'count' | 'by_action' | 'added_usd_per_hour' | 'removed_usd_per_hour' | 'net_usd_per_hour'
> & {
  recent: {
    ts: string;
    action: string | null;
    cluster_id: string | null;
    node_count: number | null;
    cost_usd_per_hour: number | null;
    queue_length: number | null;
  }[];
  basis: Record<string, string>;
};

async function compute(store: Store, { cost, filter, limit }: AuditContext): Promise<ReconfigurationsPart> {
  const lw = buildWhere(filter, '', 2);
  const recent = await queryRows(
    store,
    `SELECT epoch_us(ts) AS t, action, cluster_id, node_count, cluster_cost_per_hour, queue_length
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts DESC, seq DESC LIMIT ${limit}`,
    ['cluster_reconfiguration', ...lw.params],
  );
  const rc = cost.reconfigurations;
  return {
    count: rc.count,
    by_action: rc.by_action,
    added_usd_per_hour: rc.added_usd_per_hour,
    removed_usd_per_hour: rc.removed_usd_per_hour,
    net_usd_per_hour: rc.net_usd_per_hour,
    recent: recent.map((r) => ({
      ts: microsToIso(numOrZero(r.t)),
      action: str(r.action),
      cluster_id: str(r.cluster_id),
      node_count: numOrNull(r.node_count),
      cost_usd_per_hour: numOrNull(r.cluster_cost_per_hour),
      queue_length: numOrNull(r.queue_length),
    })),
    basis: {
      cost: cost.basis.reconfigurations!,
      recent: `the ${limit} most recent cluster_reconfiguration events in the scope`,
    },
  };
}

function render(r: AuditReport): Section {
  const rc = r.reconfigurations;
  return {
    id: 'reconfigurations',
    title: 'Cluster reconfigurations',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['reconfigurations', int(rc.count), 'cluster_reconfiguration events in the window'],
          ['capacity added', usdh(rc.added_usd_per_hour), 'cluster_created: sum of estimated_cost_per_hour'],
          [
            'capacity removed',
            usdh(rc.removed_usd_per_hour),
            'cluster_deleted: sum of estimated_cost_per_hour',
          ],
          ['net', usdh(rc.net_usd_per_hour), rc.basis.cost],
        ],
      },
      {
        kind: 'table',
        title: 'By action',
        head: ['action', 'events', 'clusters', 'nodes', 'USD/h'],
        rows: rc.by_action.map((a) => [
          a.action ?? '(none)',
          int(a.count),
          int(a.clusters),
          int(a.node_count),
          num(a.cost_usd_per_hour, 4),
        ]),
        numeric: [1, 2, 3, 4],
      },
      {
        kind: 'table',
        title: 'Most recent reconfigurations',
        head: ['time', 'action', 'cluster', 'nodes', 'USD/h', 'queue length'],
        rows: rc.recent.map((x) => [
          x.ts,
          x.action,
          x.cluster_id,
          int(x.node_count),
          num(x.cost_usd_per_hour, 4),
          int(x.queue_length),
        ]),
        note: rc.basis.recent,
        numeric: [3, 4, 5],
      },
    ],
  };
}

export const reconfigurations: ReportSection<'reconfigurations'> = {
  key: 'reconfigurations',
  name: 'reconfigurations',
  compute,
  render,
};
