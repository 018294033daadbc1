/** Human output of `kcloud-log analyze cost` (the command hands its result here). */
import chalk from 'chalk';
import { fmtNum, table } from '../render.js';
import {
  HOURS_PER_MONTH,
  type CostResult,
  type PolicySide,
  type WasteBucket,
} from '../../lib/analyze/cost.js';
import { sparkline } from '../../lib/analyze/sparkline.js';

const usd = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '-' : fmtNum(v, digits);
const signedPct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${v > 0 ? '+' : ''}${fmtNum(v, 1)}%`;

function wasteTable(title: string, rows: WasteBucket[], top: number): string[] {
  if (!rows.length) return [];
  const shown = rows.slice(0, top);
  const more = rows.length > top ? chalk.dim(`  … ${rows.length - top} more (--limit, --json)`) : '';
  return [
    '',
    table(
      [title, 'events', 'wasted USD', 'idle h', 'avg util %'],
      shown.map((b) => [
        b.key ?? chalk.dim('(none)'),
        fmtNum(b.count, 0),
        usd(b.wasted_usd),
        fmtNum(b.idle_hours, 1),
        fmtNum(b.avg_utilization_pct, 1),
      ]),
    ) + (more ? `\n${more}` : ''),
  ];
}

function sideRow(label: string, s: PolicySide): (string | number)[] {
  return [
    label,
    `${s.from} → ${s.until}`,
    fmtNum(s.decisions, 0),
    usd(s.avg_decision_cost_usd_per_hour, 4),
    usd(s.estimated_savings_usd_per_hour, 2),
    usd(s.wasted_usd),
    fmtNum(s.latency_avg_ms, 1),
    fmtNum(s.latency_p95_ms, 1),
  ];
}

/** Relocations: savings logged, realised, the run-rate and its projection, by trigger. */
function relocationLines(r: CostResult, top: number): string[] {
  const out: string[] = [];
  const w = r.window;
  const rel = r.relocations;
  out.push(
    chalk.bold('relocations'),
    `  count              ${fmtNum(rel.count, 0)}`,
    `  logged savings     ${usd(rel.estimated_savings_usd_per_hour, 2)} USD/h  ${chalk.dim('(sum of cost_saving_per_hour as logged, superseded relocations included)')}`,
    `  realised savings   ${chalk.green(usd(rel.realized_savings_usd))} USD  ${chalk.dim(`(each saving x its hours in effect in the window: until the workload's next relocation or placement, else the window end; ${fmtNum(rel.hours_in_effect, 1)} h in effect${rel.in_effect_from_before ? `, ${fmtNum(rel.in_effect_from_before, 0)} relocations from before the window` : ''})`)}`,
    `  run-rate at end    ${chalk.green.bold(usd(r.run_rate_usd_per_hour, 2))} USD/h  ${chalk.dim(`(latest relocation of each workload still in effect at ${w.until ?? '-'}: ${fmtNum(rel.in_effect_at_end, 0)} workloads)`)}`,
    `  monthly projection ${chalk.bold(usd(r.monthly_projection_usd))} USD  ${chalk.dim(`(run-rate ${fmtNum(r.run_rate_usd_per_hour, 2)} USD/h x ${HOURS_PER_MONTH} h)`)}`,
    `  energy saved       ${fmtNum(r.energy_saved_kwh, 2)} kWh  ${chalk.dim('(power_saving_watts x the same hours in effect / 1000)')}`,
    `  downtime           ${fmtNum(rel.downtime_seconds, 0)} s total · avg migration ${fmtNum(rel.avg_migration_seconds, 1)} s`,
  );
  if (rel.by_trigger.length) {
    out.push(
      table(
        ['trigger', 'relocations', 'logged USD/h', 'realised USD', 'run-rate USD/h'],
        rel.by_trigger
          .slice(0, top)
          .map((t) => [
            t.trigger ?? chalk.dim('(none)'),
            fmtNum(t.count, 0),
            usd(t.estimated_savings_usd_per_hour, 2),
            usd(t.realized_savings_usd),
            usd(t.run_rate_usd_per_hour, 2),
          ]),
      ),
    );
  }
  return out;
}

/** Waste: the total, by action taken, and by cluster, type, severity and recommended action. */
function wasteLines(r: CostResult, top: number): string[] {
  const out: string[] = [];
  const ws = r.waste;
  const a = ws.by_action;
  out.push(
    '',
    chalk.bold('waste') + chalk.dim('  (wasted_cost_estimate of inefficiency_detected events, USD)'),
    `  total              ${chalk.red.bold(usd(ws.total_usd))} USD over ${fmtNum(ws.count, 0)} events, ${fmtNum(ws.idle_hours, 1)} idle hours`,
    `  action taken       auto ${fmtNum(a.auto.count, 0)} (${usd(a.auto.wasted_usd)} USD) · manual ${fmtNum(a.manual.count, 0)} (${usd(a.manual.wasted_usd)} USD)` +
      (a.unknown.count
        ? ` · not logged ${fmtNum(a.unknown.count, 0)} (${usd(a.unknown.wasted_usd)} USD)`
        : ''),
    ...wasteTable('cluster', ws.by_cluster, top),
    ...wasteTable('type', ws.by_type, top),
    ...wasteTable('severity', ws.by_severity, top),
    ...wasteTable('recommended action', ws.by_recommended_action, top),
  );
  return out;
}

/** Reconfigurations: capacity added and removed, scaling, by action. */
function reconfigurationLines(r: CostResult): string[] {
  const out: string[] = [];
  const rc = r.reconfigurations;
  out.push(
    '',
    chalk.bold('reconfigurations') + chalk.dim("  (clusters' estimated_cost_per_hour as logged)"),
    `  capacity added     ${usd(rc.added_usd_per_hour, 2)} USD/h · removed ${usd(rc.removed_usd_per_hour, 2)} USD/h · net ${usd(rc.net_usd_per_hour, 2)} USD/h`,
    `  scaled             ${fmtNum(rc.scaled.count, 0)} events, now ${usd(rc.scaled.cost_usd_per_hour, 2)} USD/h` +
      (rc.scaled.delta_known
        ? `, change ${usd(rc.scaled.delta_usd_per_hour, 2)} USD/h over ${fmtNum(rc.scaled.delta_known, 0)} with a known previous cost`
        : ''),
  );
  if (rc.by_action.length) {
    out.push(
      table(
        ['action', 'events', 'clusters', 'nodes', 'USD/h'],
        rc.by_action.map((x) => [
          x.action ?? chalk.dim('(none)'),
          fmtNum(x.count, 0),
          fmtNum(x.clusters, 0),
          fmtNum(x.node_count, 0),
          usd(x.cost_usd_per_hour, 2),
        ]),
      ),
    );
  }
  return out;
}

/** The trend as sparklines (on a terminal only). */
function trendLines(r: CostResult, tty: boolean): string[] {
  const out: string[] = [];
  if (r.trend.length > 1 && tty) {
    const width = Math.max(20, Math.min(r.trend.length, (process.stdout.columns ?? 80) - 24));
    out.push(
      '',
      chalk.bold('trend') +
        chalk.dim(`  (${r.trend.length} buckets of ${r.interval}, ${r.trend[0]!.start} →)`),
      `  ${'savings USD'.padEnd(14)} ${chalk.green(
        sparkline(
          r.trend.map((t) => t.realized_savings_usd),
          { width },
        ),
      )}`,
      `  ${'waste USD'.padEnd(14)} ${chalk.red(
        sparkline(
          r.trend.map((t) => t.wasted_usd),
          { width },
        ),
      )}`,
      `  ${'relocations'.padEnd(14)} ${chalk.cyan(
        sparkline(
          r.trend.map((t) => t.relocations),
          { width },
        ),
      )}`,
    );
  }
  return out;
}

/** The --around-policy comparison: before, after, change. */
function policyLines(r: CostResult): string[] {
  const out: string[] = [];
  const pc = r.policy_comparison;
  if (pc) {
    out.push(
      '',
      `${chalk.bold('policy')} ${chalk.bold.cyan(pc.policy_id)}${pc.policy_name ? ` (${pc.policy_name})` : ''} ${pc.action ?? ''} at ${pc.at}${pc.actor ? ` by ${pc.actor}` : ''}`,
      chalk.dim(`  ${pc.basis}`),
      table(
        ['', 'window', 'decisions', 'avg cost USD/h', 'est. savings USD/h', 'waste USD', 'avg ms', 'p95 ms'],
        [
          sideRow('before', pc.before),
          sideRow('after', pc.after),
          [
            'change',
            '',
            '',
            signedPct(pc.change.avg_decision_cost_pct),
            signedPct(pc.change.estimated_savings_pct),
            signedPct(pc.change.wasted_pct),
            signedPct(pc.change.latency_avg_pct),
            signedPct(pc.change.latency_p95_pct),
          ],
        ],
      ),
    );
    if (pc.other_changes.length)
      out.push(
        chalk.dim(
          `  other changes of this policy: ${pc.other_changes.map((c) => `${c.action} at ${c.at}`).join(', ')}`,
        ),
      );
  }
  return out;
}

export function renderCost(r: CostResult, tty: boolean, top = 10): string {
  const w = r.window;
  return [
    `${chalk.bold('cost effects')}  ${w.since ?? '-'} → ${w.until ?? '-'}  ${chalk.dim(`(${w.basis})`)}`,
    '',
    ...relocationLines(r, top),
    ...wasteLines(r, top),
    ...reconfigurationLines(r),
    ...trendLines(r, tty),
    ...policyLines(r),
  ].join('\n');
}
