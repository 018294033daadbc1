/** SLA compliance: `analyze sla` over the scope, as it is. */
import type { SloResult } from '../../analyze/sla.js';
import { int, num, pct, ratioPct, type Section } from '../blocks.js';
import type { AuditReport, ReportSection } from '../types.js';

const burnOf = (o: SloResult, w: string) => o.burn_rates.find((b) => b.window === w)?.burn_rate ?? null;

function render(r: AuditReport): Section {
  const sla = r.sla;
  const noData = sla.slos.every((x) => x.status === 'no-data');
  return {
    id: 'sla',
    title: 'SLA compliance',
    blocks: [
      {
        kind: 'status',
        level: sla.breached.length ? 'bad' : noData ? 'warn' : 'ok',
        text: sla.breached.length
          ? `Breached: ${sla.breached.join(', ')}.`
          : noData
            ? 'No SLO had data in the window.'
            : 'Every SLO with data was met.',
      },
      {
        kind: 'table',
        head: [
          'SLO',
          'objective',
          'SLI',
          'status',
          'budget remaining',
          'burn 1h',
          'burn 6h',
          'burn 3d',
          'burn alerts',
        ],
        rows: sla.slos.map((o) => [
          o.name,
          ratioPct(o.objective),
          ratioPct(o.sli),
          o.status,
          pct(o.error_budget.remaining, 1),
          num(burnOf(o, '1h')),
          num(burnOf(o, '6h')),
          num(burnOf(o, '3d')),
          o.burn_alerts
            .filter((a) => a.firing)
            .map((a) => a.name)
            .join(', ') || 'none',
        ]),
        numeric: [1, 2, 4, 5, 6, 7],
      },
      {
        kind: 'table',
        title: 'How each SLI was computed',
        head: ['SLO', 'what', 'window', 'counts', 'method'],
        rows: sla.slos.map((o) => [
          o.name,
          o.description,
          `${o.window.since} → ${o.window.until}`,
          o.sli_kind === 'relocation_availability'
            ? `${num(o.downtime_seconds)} s downtime over ${int(o.workloads)} workloads x ${num(o.window.seconds, 0)} s`
            : `${int(o.good)} good of ${int(o.valid)}`,
          o.method,
        ]),
      },
      {
        kind: 'p',
        text: `SLOs from ${sla.source}. Error budget: ${sla.basis.error_budget}. Burn rate: ${sla.basis.burn_rate}. Burn alerts: ${sla.basis.burn_alerts}.`,
      },
    ],
  };
}

export const sla: ReportSection<'sla'> = {
  key: 'sla',
  name: 'sla',
  compute: async (_store, ctx) => ctx.sla,
  render,
};
