/**
 * Scheduling decisions: the figures of `analyze scheduling` over the scope, by cluster, and the
 * latency distribution.
 */
import type { Store } from '../../store/open.js';
import { numOrZero, queryRows } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import {
  QUANTILE_BASIS,
  type LatencyMs,
  type SchedulingGroup,
  type SchedulingResult,
} from '../../analyze/scheduling.js';
import { barLineSvg, histogramSvg } from '../charts.js';
import { int, ms, num, pct, shortTime, usdh, type Block, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

export interface LatencyBin {
  from_ms: number;
  to_ms: number | null;
  count: number;
}

export type SchedulingPart = Pick<
  SchedulingResult,
  | 'decisions'
  | 'throughput_per_hour'
  | 'latency_ms'
  | 'outcomes'
  | 'success_rate'
  | 'cheapest_choice_rate'
  | 'not_cheapest'
  | 'regret_usd_per_hour'
  | 'avg_cost_usd_per_hour'
> & {
  by_cluster: (Pick<SchedulingGroup, 'decisions' | 'share' | 'success_rate'> & {
    cluster: SchedulingGroup['key'];
    p95_ms: LatencyMs['p95'];
  })[];
  latency_histogram: LatencyBin[];
  basis: Record<string, string>;
};

/** Round a bin width up to 1, 2 or 5 x 10^k. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

/** Latency histogram: bins of a round width up to the p99, the rest in one open bin. */
async function latencyHistogram(
  store: Store,
  { filter, scheduling: sched }: AuditContext,
): Promise<LatencyBin[]> {
  const hist: LatencyBin[] = [];
  if (sched.latency_ms.samples === 0) return hist;
  const lo = 0;
  const top = sched.latency_ms.p99 ?? sched.latency_ms.max ?? 1;
  const step = niceStep((top - lo) / 24 || 1);
  const nb = Math.max(1, Math.ceil((top - lo) / step));
  const hw = buildWhere(filter, '', 2);
  const hr = await queryRows(
    store,
    `SELECT least(greatest(floor(exec_ms / ${step}), 0), ${nb})::BIGINT AS b, count(*) AS n FROM events
       WHERE event_type = $1 AND exec_ms IS NOT NULL AND ${hw.sql} GROUP BY b`,
    ['scheduling_decision', ...hw.params],
  );
  const m = new Map(hr.map((r) => [numOrZero(r.b), numOrZero(r.n)]));
  for (let b = 0; b <= nb; b++) {
    const c = m.get(b) ?? 0;
    if (b === nb && c === 0) break;
    hist.push({ from_ms: b * step, to_ms: b === nb ? null : (b + 1) * step, count: c });
  }
  return hist;
}

async function compute(store: Store, ctx: AuditContext): Promise<SchedulingPart> {
  const sched = ctx.scheduling;
  return {
    decisions: sched.decisions,
    throughput_per_hour: sched.throughput_per_hour,
    latency_ms: sched.latency_ms,
    outcomes: sched.outcomes,
    success_rate: sched.success_rate,
    cheapest_choice_rate: sched.cheapest_choice_rate,
    not_cheapest: sched.not_cheapest,
    regret_usd_per_hour: sched.regret_usd_per_hour,
    avg_cost_usd_per_hour: sched.avg_cost_usd_per_hour,
    by_cluster: sched.groups.map((g) => ({
      cluster: g.key,
      decisions: g.decisions,
      share: g.share,
      p95_ms: g.latency_ms.p95,
      success_rate: g.success_rate,
    })),
    latency_histogram: await latencyHistogram(store, ctx),
    basis: {
      ...sched.basis,
      latency_histogram: `decisions per execution_time_ms bin of equal round width up to the p99, the rest in the last (open) bin; percentiles are ${QUANTILE_BASIS}`,
    },
  };
}

/* ----------------------------------------------------------------------------------------------
 * Rendering
 * -------------------------------------------------------------------------------------------- */

function figures(sd: SchedulingPart): Block {
  return {
    kind: 'kv',
    rows: [
      ['decisions', int(sd.decisions), 'scheduling_decision events in the window'],
      ['throughput', `${num(sd.throughput_per_hour)} per hour`, sd.basis.throughput],
      ['success rate', pct(sd.success_rate), sd.basis.success_rate],
      [
        'outcomes',
        Object.entries(sd.outcomes)
          .map(([k, v]) => `${k} ${int(v)}`)
          .join(', '),
        'decision.outcome as logged; scheduled when absent',
      ],
      ['cheapest choice', pct(sd.cheapest_choice_rate), sd.basis.cheapest_choice_rate],
      [
        'dearer than cheapest',
        `${int(sd.not_cheapest)} decisions, regret ${usdh(sd.regret_usd_per_hour)}`,
        sd.basis.regret_usd_per_hour,
      ],
      ['mean selected cost', usdh(sd.avg_cost_usd_per_hour), 'mean estimated_cost_per_hour of the decisions'],
    ],
  };
}

function latencyBlocks(sd: SchedulingPart): Block[] {
  const lat = sd.latency_ms;
  return [
    {
      kind: 'table',
      title: 'Decision latency',
      head: ['decisions with a latency', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'],
      rows: [
        [int(lat.samples), ms(lat.avg), ms(lat.p50), ms(lat.p90), ms(lat.p95), ms(lat.p99), ms(lat.max)],
      ],
      note: sd.basis.latency_ms,
      numeric: [0, 1, 2, 3, 4, 5, 6],
    },
    {
      kind: 'chart',
      title: 'Latency distribution',
      caption: sd.basis.latency_histogram!,
      svg: histogramSvg(
        'chart-latency',
        'Decision latency distribution (execution_time_ms)',
        sd.latency_histogram.map((b) => ({
          label: b.to_ms === null ? `≥${num(b.from_ms)}` : num(b.from_ms),
          count: b.count,
          from: b.from_ms,
          to: b.to_ms,
        })),
        [
          { label: `p50 ${num(lat.p50, 1)}`, value: lat.p50 },
          { label: `p95 ${num(lat.p95, 1)}`, value: lat.p95 },
          { label: `p99 ${num(lat.p99, 1)}`, value: lat.p99 },
        ],
        'execution_time_ms; the last bin holds everything above the p99',
      ),
    },
  ];
}

/** Decisions per bucket of the timeline, with their mean selected cost. */
function decisionsChart(tl: AuditReport['timeline']): Block {
  return {
    kind: 'chart',
    title: 'Decisions and cost over time',
    caption: `${tl.basis.buckets}; bars: decisions per bucket; line: ${tl.basis.avg_decision_cost_usd_per_hour} (USD/h)`,
    svg: barLineSvg(
      'chart-decisions',
      'Decisions and mean selected cost over time',
      tl.points.map((p) => shortTime(p.start)),
      { name: 'decisions', color: '#1565c0', values: tl.points.map((p) => p.decisions) },
      {
        name: 'mean cost USD/h',
        color: '#ef6c00',
        values: tl.points.map((p) => p.avg_decision_cost_usd_per_hour),
      },
      `bucket start (UTC), ${tl.interval} buckets`,
    ),
  };
}

function render(r: AuditReport): Section {
  const sd = r.scheduling;
  return {
    id: 'scheduling',
    title: 'Scheduling decisions',
    blocks: [
      figures(sd),
      ...latencyBlocks(sd),
      decisionsChart(r.timeline),
      {
        kind: 'table',
        title: 'By cluster',
        head: ['cluster', 'decisions', 'share', 'p95', 'success'],
        rows: sd.by_cluster.map((g) => [
          g.cluster ?? '(none)',
          int(g.decisions),
          pct(g.share),
          ms(g.p95_ms),
          pct(g.success_rate),
        ]),
        numeric: [1, 2, 3, 4],
      },
    ],
  };
}

export const scheduling: ReportSection<'scheduling'> = {
  key: 'scheduling',
  name: 'scheduling',
  compute,
  render,
};
