/** Inefficiencies and the actions taken: the waste figures of `analyze cost` over the scope, and the most severe. */
import type { Store } from '../../store/open.js';
import { num as numOrNull, numOrZero, queryRows, str } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import type { WasteCost } from '../../analyze/cost.js';
import { int, num, usd, yes, type Block, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';
import { SEVERITY_RANK_SQL } from '../../schema/columns.js';

export type InefficienciesPart = Pick<
  WasteCost,
  'count' | 'idle_hours' | 'by_severity' | 'by_recommended_action'
> & {
  wasted_usd: WasteCost['total_usd'];
  actions: WasteCost['by_action'];
  top: {
    ts: string;
    severity: string | null;
    cluster_id: string | null;
    type: string | null;
    wasted_usd: number | null;
    recommended_action: string | null;
    auto_action_taken: boolean | null;
  }[];
  basis: Record<string, string>;
};

async function compute(store: Store, { cost, filter, limit }: AuditContext): Promise<InefficienciesPart> {
  const lw = buildWhere(filter, '', 2);
  const top = await queryRows(
    store,
    `SELECT epoch_us(ts) AS t, severity, cluster_id, inefficiency_type, wasted_cost, recommended_action, auto_action
     FROM events WHERE event_type = $1 AND ${lw.sql}
     ORDER BY ${SEVERITY_RANK_SQL} DESC NULLS LAST, wasted_cost DESC NULLS LAST, ts, seq
     LIMIT ${limit}`,
    ['inefficiency_detected', ...lw.params],
  );
  const w = cost.waste;
  return {
    count: w.count,
    wasted_usd: w.total_usd,
    idle_hours: w.idle_hours,
    by_severity: w.by_severity,
    by_recommended_action: w.by_recommended_action,
    actions: w.by_action,
    top: top.map((r) => ({
      ts: microsToIso(numOrZero(r.t)),
      severity: str(r.severity),
      cluster_id: str(r.cluster_id),
      type: str(r.inefficiency_type),
      wasted_usd: numOrNull(r.wasted_cost),
      recommended_action: str(r.recommended_action),
      auto_action_taken:
        r.auto_action === null || r.auto_action === undefined ? null : Boolean(r.auto_action),
    })),
    basis: {
      waste: cost.basis.waste!,
      top: `the ${limit} most severe inefficiencies (then by wasted cost)`,
    },
  };
}

function figures(ie: InefficienciesPart): Block {
  return {
    kind: 'kv',
    rows: [
      ['inefficiencies', int(ie.count), 'inefficiency_detected events in the window'],
      ['wasted', usd(ie.wasted_usd), ie.basis.waste],
      ['idle hours', num(ie.idle_hours), 'sum of idle_duration_hours'],
      [
        'acted on automatically',
        `${int(ie.actions.auto.count)} (${usd(ie.actions.auto.wasted_usd)})`,
        'auto_action_taken = true',
      ],
      [
        'left to operators',
        `${int(ie.actions.manual.count)} (${usd(ie.actions.manual.wasted_usd)})`,
        'auto_action_taken = false',
      ],
      [
        'action not logged',
        `${int(ie.actions.unknown.count)} (${usd(ie.actions.unknown.wasted_usd)})`,
        'no auto_action_taken field',
      ],
    ],
  };
}

function render(r: AuditReport): Section {
  const ie = r.inefficiencies;
  return {
    id: 'inefficiencies',
    title: 'Inefficiencies and actions taken',
    blocks: [
      figures(ie),
      {
        kind: 'table',
        title: 'By severity',
        head: ['severity', 'events', 'wasted USD', 'idle h'],
        rows: ie.by_severity.map((b) => [
          b.key ?? '(none)',
          int(b.count),
          num(b.wasted_usd),
          num(b.idle_hours),
        ]),
        numeric: [1, 2, 3],
      },
      {
        kind: 'table',
        title: 'By recommended action',
        head: ['recommended action', 'events', 'wasted USD'],
        rows: ie.by_recommended_action.map((b) => [b.key ?? '(none)', int(b.count), num(b.wasted_usd)]),
        numeric: [1, 2],
      },
      {
        kind: 'table',
        title: 'Most severe',
        head: ['time', 'severity', 'cluster', 'type', 'wasted USD', 'recommended', 'auto action'],
        rows: ie.top.map((x) => [
          x.ts,
          x.severity,
          x.cluster_id,
          x.type,
          num(x.wasted_usd),
          x.recommended_action,
          yes(x.auto_action_taken),
        ]),
        note: ie.basis.top,
        numeric: [4],
      },
    ],
  };
}

export const inefficiencies: ReportSection<'inefficiencies'> = {
  key: 'inefficiencies',
  name: 'inefficiencies',
  compute,
  render,
};
