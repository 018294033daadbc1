/** Cost effects: the savings, energy and waste of `analyze cost` over the scope, and their net. */
import type { Store } from '../../store/open.js';
import type { CostResult, RelocationCost } from '../../analyze/cost.js';
import { groupedBarsSvg } from '../charts.js';
import { num, shortTime, usd, usdh, type Block, type Section } from '../blocks.js';
import type { AuditContext, AuditReport, ReportSection } from '../types.js';

export type CostPart = Pick<RelocationCost, 'estimated_savings_usd_per_hour' | 'realized_savings_usd'> &
  Pick<CostResult, 'run_rate_usd_per_hour' | 'monthly_projection_usd' | 'energy_saved_kwh'> & {
    wasted_usd: number;
    /** realized savings - waste, USD. */
    net_usd: number;
    reconfiguration_net_usd_per_hour: number;
    basis: Record<string, string>;
  };

async function compute(_store: Store, { cost }: AuditContext): Promise<CostPart> {
  const realized = cost.relocations.realized_savings_usd;
  return {
    estimated_savings_usd_per_hour: cost.relocations.estimated_savings_usd_per_hour,
    realized_savings_usd: realized,
    run_rate_usd_per_hour: cost.run_rate_usd_per_hour,
    monthly_projection_usd: cost.monthly_projection_usd,
    energy_saved_kwh: cost.energy_saved_kwh,
    wasted_usd: cost.waste.total_usd,
    net_usd: realized - cost.waste.total_usd,
    reconfiguration_net_usd_per_hour: cost.reconfigurations.net_usd_per_hour,
    basis: {
      ...cost.basis,
      net_usd: 'realized_savings_usd - wasted_usd (sum of wasted_cost_estimate)',
    },
  };
}

/** Realised savings and waste per bucket of the timeline. */
function savingsChart(tl: AuditReport['timeline']): Block {
  return {
    kind: 'chart',
    title: 'Savings vs waste',
    caption: `${tl.basis.buckets}; green: ${tl.basis.realized_savings_usd}; red: ${tl.basis.wasted_usd}`,
    svg: groupedBarsSvg(
      'chart-savings',
      'Realised savings vs waste per bucket (USD)',
      tl.points.map((p) => shortTime(p.start)),
      [
        {
          name: 'realised savings USD',
          color: '#2e7d32',
          values: tl.points.map((p) => p.realized_savings_usd),
        },
        { name: 'wasted USD', color: '#c62828', values: tl.points.map((p) => p.wasted_usd) },
      ],
      'USD',
      `bucket start (UTC), ${tl.interval} buckets`,
    ),
  };
}

function render(r: AuditReport): Section {
  const co = r.cost;
  const win = r.scope.window;
  return {
    id: 'cost',
    title: 'Cost effects',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['window', `${win.since ?? '–'} → ${win.until ?? '–'}`, win.basis],
          ['savings run-rate at the end', usdh(co.run_rate_usd_per_hour), co.basis.run_rate_usd_per_hour],
          ['monthly projection', usd(co.monthly_projection_usd), co.basis.monthly_projection_usd],
          [
            'logged savings (sum)',
            usdh(co.estimated_savings_usd_per_hour),
            co.basis.estimated_savings_usd_per_hour,
          ],
          ['realised savings', usd(co.realized_savings_usd), co.basis.realized_savings_usd],
          ['energy saved', `${num(co.energy_saved_kwh)} kWh`, co.basis.energy_saved_kwh],
          ['wasted by idle capacity', usd(co.wasted_usd), co.basis.waste],
          ['net (realised savings − waste)', usd(co.net_usd), co.basis.net_usd],
          ['capacity added − removed', usdh(co.reconfiguration_net_usd_per_hour), co.basis.reconfigurations],
        ],
      },
      savingsChart(r.timeline),
    ],
  };
}

export const cost: ReportSection<'cost'> = { key: 'cost', name: 'cost', compute, render };
