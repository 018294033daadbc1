/** Human output of `kcloud-log analyze sla` (the command hands its result here). */
import chalk from 'chalk';
import { fmtNum, table } from '../render.js';
import { type SlaResult, type SloResult } from '../../lib/analyze/sla.js';

const pct = (v: number | null, d = 3) => (v === null ? '-' : `${fmtNum(v * 100, d)}%`);

function status(s: SloResult): string {
  return s.status === 'met'
    ? chalk.green('met')
    : s.status === 'breached'
      ? chalk.red.bold('BREACHED')
      : chalk.yellow('no data');
}

export function renderSla(r: SlaResult): string {
  const out: string[] = [];
  out.push(
    `${chalk.bold('SLA compliance')}  until ${r.until ?? '-'} ${chalk.dim(`(${r.until_basis}; SLOs: ${r.source})`)}`,
    '',
  );
  const windows = r.slos[0]?.burn_rates.map((b) => b.window) ?? [];
  out.push(
    table(
      ['SLO', 'objective', 'SLI', 'status', 'budget left', ...windows.map((w) => `burn ${w}`), 'burn alerts'],
      r.slos.map((s) => [
        s.name,
        pct(s.objective),
        pct(s.sli),
        status(s),
        s.error_budget.remaining === null ? '-' : `${fmtNum(s.error_budget.remaining * 100, 1)}%`,
        ...windows.map((w) => fmtNum(s.burn_rates.find((b) => b.window === w)?.burn_rate ?? null, 2)),
        s.burn_alerts
          .filter((a) => a.firing)
          .map((a) => chalk.red(`${a.name} (${a.severity})`))
          .join(', ') || chalk.dim('none'),
      ]),
    ),
  );
  out.push('');
  for (const s of r.slos) {
    const counts =
      s.sli_kind === 'relocation_availability'
        ? `${fmtNum(s.downtime_seconds, 1)} s downtime, ${fmtNum(s.workloads, 0)} workloads x ${fmtNum(s.window.seconds, 0)} s`
        : `${fmtNum(s.good, 0)} good of ${fmtNum(s.valid, 0)}`;
    out.push(`${chalk.bold(s.name)}  ${s.description}`);
    out.push(chalk.dim(`  window ${s.window.since} → ${s.window.until} (${s.window.basis}); ${counts}`));
    out.push(chalk.dim(`  ${s.method}`));
  }
  out.push(
    '',
    chalk.dim(`error budget: ${r.basis.error_budget}`),
    chalk.dim(`burn rate: ${r.basis.burn_rate}`),
    chalk.dim(`burn alerts: ${r.basis.burn_alerts}`),
  );
  return out.join('\n');
}
