import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { filterFlags, countFlag, durationFlag, intervalFlag } from '../../cli/flags.js';
import { displayable, fmtNum, table } from '../../cli/render.js';
import { checkTypes, filterFromFlags } from '../../lib/query/filters.js';
import {
  analyzeCost,
  HOURS_PER_MONTH,
  type CostResult,
  type PolicySide,
  type WasteBucket,
} from '../../lib/analyze/cost.js';
import { sparkline } from '../../lib/analyze/sparkline.js';
import { parseWindowFlags } from '../../lib/analyze/window.js';

export type AnalyzeCostResult = CostResult;

export default class AnalyzeCost extends BaseCommand {
  static override summary =
    'What relocations saved, what idle capacity wasted, what reconfigurations added or removed.';
  static override description = `Over the window and the filters. The window is --since/--until clipped to the stored data: it ends at --until or just after the newest stored event, whichever is earlier, and starts at --since or the first stored event, whichever is later (a window wider than the data changes no figure).

- relocations: count and logged savings (sum of cost_saving_per_hour of the relocations logged in the window, USD/h as logged, superseded ones included);
- realised savings: a relocation's saving is in effect from its time until the workload's next relocation or placement (any scheduling_decision of it), else until the window's end; each saving x its hours inside the window (earlier relocations count for their hours inside it);
- run-rate: at the window's end, the saving of each workload's latest relocation still in effect, counted once; monthly projection = run-rate x ${HOURS_PER_MONTH} h;
- energy saved: power_saving_watts x the same hours in effect / 1000 (kWh);
- waste: wasted_cost_estimate of inefficiency_detected events by cluster, type, severity, recommended action, and auto vs manual action (auto_action_taken);
- reconfigurations: capacity added (cluster_created) and removed (cluster_deleted) in USD/h of the clusters' estimated_cost_per_hour; cluster_scaled separately.

Every figure's basis is in the result (--json: "basis").

--around-policy POLICY_ID compares equal windows before and after that policy_change (default 7 days each side, or the span available on both sides): decision cost, savings, waste, latency avg/p95.`;

  static override examples = [
    '<%= config.bin %> analyze cost --since 30d',
    '<%= config.bin %> analyze cost --cluster gpu-cluster-01 --json',
    '<%= config.bin %> analyze cost --around-policy cost-opt-v2 --policy-window 3d',
  ];

  static override flags = {
    timeout: timeoutFlag(),
    ...filterFlags,
    interval: intervalFlag,
    'around-policy': Flags.string({
      description: 'compare equal windows before and after this policy change',
      helpValue: 'POLICY_ID',
    }),
    'policy-window': durationFlag({
      description: 'length of each side of --around-policy (default 7d, or the span available)',
      min: 1000,
    }),
    limit: countFlag({
      char: 'n',
      description: 'rows per breakdown table in the human report',
      default: 10,
      min: 1,
      aliases: ['top'],
      deprecateAliases: true,
    }),
  };

  async run(): Promise<AnalyzeCostResult> {
    const { flags } = await this.parse(AnalyzeCost);
    // The time bounds through the window rule's own parser (window.ts), the rest as for `events`.
    const filter = {
      ...filterFromFlags({ ...flags, since: undefined, until: undefined }),
      ...parseWindowFlags(flags),
    };
    const result = await this.withStore(flags, true, async (store) => {
      await checkTypes(store, filter.types);
      return analyzeCost(store, {
        filter,
        intervalMs: flags.interval,
        aroundPolicy: flags['around-policy'],
        policyWindowMs: flags['policy-window'],
      });
    });
    if (!this.jsonEnabled())
      this.log(renderCost(displayable(result), Boolean(process.stdout.isTTY), flags.limit));
    return result;
  }
}

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

export function renderCost(r: CostResult, tty: boolean, top = 10): string {
  const out: string[] = [];
  const w = r.window;
  out.push(
    `${chalk.bold('cost effects')}  ${w.since ?? '-'} → ${w.until ?? '-'}  ${chalk.dim(`(${w.basis})`)}`,
    '',
  );

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
  return out.join('\n');
}
