/** Workload relocations: the relocation figures of `analyze cost` over the scope, and the most recent. */
import type { Store } from '../../store/open.js';
import { num as numOrNull, numOrZero, queryRows, str } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import type { RelocationCost } from '../../analyze/cost.js';
import { int, num, usd, usdh, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

export type RelocationsPart = Pick<
  RelocationCost,
  | 'count'
  | 'estimated_savings_usd_per_hour'
  | 'realized_savings_usd'
  | 'downtime_seconds'
  | 'avg_migration_seconds'
  | 'by_trigger'
> & {
  recent: {
    ts: string;
    workload_id: string | null;
    from: string | null;
    to: string | null;
    trigger: string | null;
    saving_usd_per_hour: number | null;
    downtime_seconds: number | null;
  }[];
  basis: Record<string, string>;
};

async function compute(store: Store, { cost, filter, limit }: AuditContext): Promise<RelocationsPart> {
  const lw = buildWhere(filter, '', 2);
  const recent = await queryRows(
    store,
    `SELECT epoch_us(ts) AS t, workload_id, from_cluster, cluster_id, "trigger", cost_saving_per_hour, downtime_seconds
     FROM events WHERE event_type = $1 AND ${lw.sql} ORDER BY ts DESC, seq DESC LIMIT ${limit}`,
    ['workload_relocation', ...lw.params],
  );
  const rl = cost.relocations;
  return {
    count: rl.count,
    estimated_savings_usd_per_hour: rl.estimated_savings_usd_per_hour,
    realized_savings_usd: rl.realized_savings_usd,
    downtime_seconds: rl.downtime_seconds,
    avg_migration_seconds: rl.avg_migration_seconds,
    by_trigger: rl.by_trigger,
    recent: recent.map((r) => ({
      ts: microsToIso(numOrZero(r.t)),
      workload_id: str(r.workload_id),
      from: str(r.from_cluster),
      to: str(r.cluster_id),
      trigger: str(r.trigger),
      saving_usd_per_hour: numOrNull(r.cost_saving_per_hour),
      downtime_seconds: numOrNull(r.downtime_seconds),
    })),
    basis: {
      estimated_savings_usd_per_hour: cost.basis.estimated_savings_usd_per_hour!,
      realized_savings_usd: cost.basis.realized_savings_usd!,
      downtime_seconds: 'sum of downtime_seconds of the relocations',
      recent: `the ${limit} most recent relocations in the scope`,
    },
  };
}

function render(r: AuditReport): Section {
  const rl = r.relocations;
  return {
    id: 'relocations',
    title: 'Workload relocations',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['relocations', int(rl.count), 'workload_relocation events in the window'],
          [
            'logged savings (sum)',
            usdh(rl.estimated_savings_usd_per_hour),
            rl.basis.estimated_savings_usd_per_hour,
          ],
          ['realised savings', usd(rl.realized_savings_usd), rl.basis.realized_savings_usd],
          ['downtime', `${num(rl.downtime_seconds)} s`, rl.basis.downtime_seconds],
          [
            'mean migration time',
            rl.avg_migration_seconds === null ? '–' : `${num(rl.avg_migration_seconds)} s`,
            'mean migration_time_seconds',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'By trigger',
        head: ['trigger', 'relocations', 'estimated USD/h', 'realised USD'],
        rows: rl.by_trigger.map((t) => [
          t.trigger ?? '(none)',
          int(t.count),
          num(t.estimated_savings_usd_per_hour, 4),
          num(t.realized_savings_usd),
        ]),
        numeric: [1, 2, 3],
      },
      {
        kind: 'table',
        title: 'Most recent relocations',
        head: ['time', 'workload', 'from', 'to', 'trigger', 'saving USD/h', 'downtime s'],
        rows: rl.recent.map((x) => [
          x.ts,
          x.workload_id,
          x.from,
          x.to,
          x.trigger,
          num(x.saving_usd_per_hour, 4),
          num(x.downtime_seconds),
        ]),
        note: rl.basis.recent,
        numeric: [5, 6],
      },
    ],
  };
}

export const relocations: ReportSection<'relocations'> = {
  key: 'relocations',
  name: 'relocations',
  compute,
  render,
};
