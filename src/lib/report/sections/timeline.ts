/**
 * The timeline: decisions, their mean cost, realised savings and waste per bucket of the analysis
 * window. No section of its own: the scheduling and cost sections chart it.
 */
import type { Store } from '../../store/open.js';
import { exactAvg, exactSum, num as numOrNull, numOrZero, queryRows } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import { formatDuration } from '../../time.js';
import { IN_EFFECT, type CostTrendPoint } from '../../analyze/cost.js';
import type { AuditContext, ReportSection } from '../types.js';

export interface TimelinePoint extends Pick<CostTrendPoint, 'start' | 'realized_savings_usd' | 'wasted_usd'> {
  decisions: number;
  /** Mean estimated_cost_per_hour of the decisions in the bucket, USD/h. */
  avg_decision_cost_usd_per_hour: number | null;
}

export interface TimelinePart {
  interval: string;
  points: TimelinePoint[];
  basis: Record<string, string>;
}

/** The buckets of the analysis window; the cost trend has the same buckets, so its realised savings per bucket are the timeline's. */
async function points(store: Store, { window: win, counts, filter, intervalMs, cost }: AuditContext) {
  const out: TimelinePoint[] = [];
  if (win.empty || counts.events === 0) return out;
  const B = intervalMs * 1000;
  const tw = buildWhere(filter, '', 1);
  const tr = await queryRows(
    store,
    `SELECT epoch_us(ts) // ${B} AS b,
              sum((event_type = 'scheduling_decision')::BIGINT) AS d,
              ${exactAvg("CASE WHEN event_type = 'scheduling_decision' THEN est_cost_per_hour END")} AS c,
              coalesce(${exactSum('wasted_cost')}, 0) AS waste
       FROM events WHERE event_type IN ('scheduling_decision', 'inefficiency_detected') AND ${tw.sql} GROUP BY b`,
    tw.params,
  );
  const saved = new Map(cost.trend.map((t) => [t.start, t.realized_savings_usd]));
  const tm = new Map(tr.map((r) => [numOrZero(r.b), r]));
  for (let b = Math.floor(win.startUs! / B); b <= Math.floor((win.endUs! - 1) / B); b++) {
    const r = tm.get(b);
    out.push({
      start: microsToIso(b * B),
      decisions: numOrZero(r?.d),
      avg_decision_cost_usd_per_hour: numOrNull(r?.c),
      realized_savings_usd: saved.get(microsToIso(b * B)) ?? 0,
      wasted_usd: numOrZero(r?.waste),
    });
  }
  return out;
}

async function compute(store: Store, ctx: AuditContext): Promise<TimelinePart> {
  const every = formatDuration(ctx.intervalMs);
  return {
    interval: every,
    points: await points(store, ctx),
    basis: {
      buckets: `${every} buckets aligned to UTC epoch multiples`,
      avg_decision_cost_usd_per_hour: 'mean estimated_cost_per_hour of the decisions in the bucket',
      realized_savings_usd: `the savings in effect during the bucket, as \`analyze cost\` computes them (${IN_EFFECT}); they add up to relocations.realized_savings_usd`,
      wasted_usd: 'sum of wasted_cost_estimate of the inefficiencies logged in the bucket',
    },
  };
}

export const timeline: ReportSection<'timeline'> = { key: 'timeline', name: 'timeline', compute };
