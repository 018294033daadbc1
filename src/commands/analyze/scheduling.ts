import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { filterFlags, countFlag, intervalFlag, numberFlag, timeFlag } from '../../cli/flags.js';
import { displayable, fmtNum, table } from '../../cli/render.js';
import { checkTypes, filterFromFlags, type EventFilter } from '../../lib/query/filters.js';
import { parseTimeRange } from '../../lib/time.js';
import {
  analyzeScheduling,
  DEFAULT_MIN_SAMPLE,
  GROUP_BY,
  type DecisionStats,
  type GroupBy,
  type SchedulingResult,
} from '../../lib/analyze/scheduling.js';
import { sparkline } from '../../lib/analyze/sparkline.js';
import type { Store } from '../../lib/store/open.js';

export type AnalyzeSchedulingResult = SchedulingResult;

export default class AnalyzeScheduling extends BaseCommand {
  static override summary =
    'How fast and how well the scheduler decides: latency, throughput, success, cheapest choice.';
  static override description = `From the scheduling_decision events in the window (--since/--until and the filters):

- decisions and throughput (decisions per minute over the window: --since, else the first decision, to --until, else the last decision);
- latency avg/p50/p90/p95/p99/max of execution_time_ms (continuous percentiles, DuckDB quantile_cont);
- success rate (outcome 'scheduled' / all);
- cheapest-choice rate (selected cost <= the cheapest alternative's, or no alternatives) and regret (sum of selected minus cheapest alternative cost over the other decisions, USD/h).

Baseline comparison ("scheduling latency reduced 30%"): --baseline-since/--baseline-until (same database) or --baseline-db report the change of avg and p95 latency and a verdict: pass when the latency (--reduction-metric, default avg) fell by at least --fail-under-reduction percent (default 30), insufficient-data when either side has fewer than --min-sample decisions (default 30).

CI gates exit 3 when not met (the --json result is still printed): --fail-under-reduction PCT, --fail-if-p95-over MS.`;

  static override examples = [
    '<%= config.bin %> analyze scheduling --since 24h --by cluster',
    '<%= config.bin %> analyze scheduling --interval 1h',
    '<%= config.bin %> analyze scheduling --since 2025-02-01 --baseline-since 2025-01-01 --baseline-until 2025-02-01 --fail-under-reduction 30 --json',
    '<%= config.bin %> analyze scheduling --baseline-db old.duckdb --fail-if-p95-over 250',
  ];

  static override flags = {
    timeout: timeoutFlag(),
    ...filterFlags,
    by: Flags.string({ description: 'break down by', options: [...GROUP_BY] }),
    interval: intervalFlag,
    'baseline-since': timeFlag({ description: 'baseline window start (ISO or duration before now)' }),
    'baseline-until': timeFlag({ description: 'baseline window end (ISO or duration before now)' }),
    'baseline-db': Flags.string({
      description:
        'take the baseline from another database (whole file unless --baseline-since/--baseline-until)',
      helpValue: 'FILE',
    }),
    'fail-under-reduction': numberFlag({
      description: 'exit 3 unless latency fell by at least PCT percent (0 to 100) against the baseline',
      helpValue: 'PCT',
      min: 0,
      max: 100,
      unit: 'percent',
      percent: true,
      relationships: [{ type: 'some', flags: ['baseline-since', 'baseline-until', 'baseline-db'] }],
    }),
    'fail-if-p95-over': numberFlag({
      description: 'exit 3 if p95 latency is above MS milliseconds (0 to 86,400,000: a day)',
      helpValue: 'MS',
      min: 0,
      max: 86_400_000,
      unit: 'milliseconds',
    }),
    'reduction-metric': Flags.string({
      description: 'latency statistic the reduction verdict uses',
      options: ['avg', 'p95'],
      default: 'avg',
    }),
    'min-sample': countFlag({
      description: 'decisions needed on each side for a verdict',
      default: DEFAULT_MIN_SAMPLE,
      min: 1,
    }),
  };

  async run(): Promise<AnalyzeSchedulingResult> {
    const { flags } = await this.parse(AnalyzeScheduling);
    const now = Date.now();
    const filter = filterFromFlags(flags, now);
    const intervalMs = flags.interval;
    const failUnder = flags['fail-under-reduction'];
    const failP95 = flags['fail-if-p95-over'];
    const hasBaseline =
      flags['baseline-since'] !== undefined ||
      flags['baseline-until'] !== undefined ||
      flags['baseline-db'] !== undefined;
    const baselineFilter: EventFilter = {
      ...filter,
      ...parseTimeRange(
        flags['baseline-since'],
        flags['baseline-until'],
        ['--baseline-since', '--baseline-until'],
        now,
      ),
    };

    const result = await this.withStore(flags, true, async (store) => {
      await checkTypes(store, filter.types);
      let other: Store | undefined;
      try {
        if (flags['baseline-db'])
          other = await this.open(
            { db: flags['baseline-db'], 'lock-timeout': flags['lock-timeout'], timeout: flags.timeout },
            true,
          );
        return await analyzeScheduling(store, {
          filter,
          by: flags.by as GroupBy | undefined,
          intervalMs,
          baseline: hasBaseline ? { store: other ?? store, filter: baselineFilter } : undefined,
          failUnderReductionPct: failUnder,
          failIfP95OverMs: failP95,
          reductionMetric: flags['reduction-metric'] as 'avg' | 'p95',
          minSample: flags['min-sample'],
        });
      } finally {
        other?.close();
      }
    });

    if (!this.jsonEnabled()) this.log(renderScheduling(displayable(result), Boolean(process.stdout.isTTY)));
    const failed = result.gates.filter((g) => !g.passed);
    if (failed.length) this.checkFailed(...failed.map((g) => `${g.gate} ${g.threshold}: ${g.reason}`));
    return result;
  }
}

const TREND_ROWS = 72;
const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? '-' : `${fmtNum(v * 100, digits)}%`;
const signedPct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${v > 0 ? '+' : ''}${fmtNum(v, 1)}%`;
const ms = (v: number | null | undefined) => fmtNum(v, 1);

function latencyRow(label: string, s: DecisionStats): (string | number)[] {
  const l = s.latency_ms;
  return [label, fmtNum(s.decisions, 0), ms(l.avg), ms(l.p50), ms(l.p90), ms(l.p95), ms(l.p99), ms(l.max)];
}

export function renderScheduling(r: SchedulingResult, tty: boolean): string {
  const out: string[] = [];
  const w = r.window;
  out.push(
    `${chalk.bold('scheduling decisions')}  ${w.since ?? '-'} → ${w.until ?? '-'}  ${chalk.dim(`(${w.basis})`)}`,
    '',
  );
  if (!r.decisions) {
    out.push(chalk.yellow('no scheduling_decision events match'));
  } else {
    const o = r.outcomes;
    const outcomeText = Object.entries(o)
      .map(([k, v]) => `${k} ${fmtNum(v, 0)}`)
      .join(' · ');
    out.push(
      `  decisions        ${chalk.bold(fmtNum(r.decisions, 0))}`,
      `  throughput       ${fmtNum(r.throughput_per_min, 2)} /min · ${fmtNum(r.throughput_per_hour, 1)} /h`,
      `  success rate     ${chalk.bold(pct(r.success_rate))}  ${chalk.dim(`(${outcomeText})`)}`,
      `  cheapest choice  ${chalk.bold(pct(r.cheapest_choice_rate))}  ${chalk.dim(`(${fmtNum(r.not_cheapest, 0)} decisions dearer than their cheapest alternative)`)}`,
      `  regret           ${chalk.bold(fmtNum(r.regret_usd_per_hour, 2))} USD/h  ${chalk.dim('(sum of selected - cheapest alternative cost over those decisions)')}`,
      '',
      chalk.bold('latency ms') + chalk.dim('  (execution_time_ms; continuous percentiles, quantile_cont)'),
      table(
        ['', 'decisions', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'],
        [latencyRow('current', r), ...(r.baseline ? [latencyRow('baseline', r.baseline)] : [])],
      ),
    );
  }

  if (r.baseline) {
    const b = r.baseline;
    out.push(
      '',
      `${chalk.bold('baseline')}  ${b.window.since ?? '-'} → ${b.window.until ?? '-'}${b.db ? chalk.dim(`  (${b.db})`) : ''}`,
      `  change           avg ${signedPct(r.change?.avg_pct)} · p95 ${signedPct(r.change?.p95_pct)}  ${chalk.dim('(negative = faster)')}`,
    );
    const v = r.verdict;
    const vt =
      v === 'pass'
        ? chalk.green.bold('PASS')
        : v === 'fail'
          ? chalk.red.bold('FAIL')
          : chalk.yellow.bold('INSUFFICIENT DATA');
    out.push(`  verdict          ${vt}  ${chalk.dim(r.verdict_basis ?? '')}`);
  }

  if (r.groups.length) {
    out.push('', chalk.bold(`by ${r.group_by}`));
    out.push(
      table(
        [
          r.group_by ?? '',
          'decisions',
          'share',
          'avg ms',
          'p95 ms',
          'p99 ms',
          'success',
          'cheapest',
          'regret USD/h',
        ],
        r.groups.map((g) => [
          g.key ?? chalk.dim('(none)'),
          fmtNum(g.decisions, 0),
          pct(g.share),
          ms(g.latency_ms.avg),
          ms(g.latency_ms.p95),
          ms(g.latency_ms.p99),
          pct(g.success_rate),
          pct(g.cheapest_choice_rate),
          fmtNum(g.regret_usd_per_hour, 2),
        ]),
      ),
    );
  }

  if (r.trend.length > 1) {
    out.push(
      '',
      chalk.bold(`trend`) +
        chalk.dim(`  (${r.trend.length} buckets of ${r.interval}, ${r.trend[0]!.start} →)`),
    );
    if (tty) {
      const width = Math.max(20, Math.min(r.trend.length, (process.stdout.columns ?? 80) - 24));
      const line = (label: string, vals: (number | null)[], last: string) =>
        `  ${label.padEnd(14)} ${chalk.cyan(sparkline(vals, { width }))}  ${chalk.dim(last)}`;
      const maxOf = (vals: (number | null)[]) =>
        vals.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
      const dec = r.trend.map((t) => t.decisions);
      const avg = r.trend.map((t) => t.latency_avg_ms);
      const p95 = r.trend.map((t) => t.latency_p95_ms);
      const succ = r.trend.map((t) => t.success_rate);
      out.push(
        line('decisions', dec, `max ${fmtNum(maxOf(dec), 0)}/${r.interval}`),
        line('avg latency', avg, `max ${ms(maxOf(avg))} ms`),
        line('p95 latency', p95, `max ${ms(maxOf(p95))} ms`),
        line('success', succ, `min ${pct(succ.reduce<number>((m, v) => (v !== null && v < m ? v : m), 1))}`),
      );
    } else {
      // Off a terminal: the buckets as a table, the latest ones when there are many (all of them in --json).
      const shown = r.trend.slice(-TREND_ROWS);
      if (shown.length < r.trend.length) {
        out.push(
          chalk.dim(`  the last ${shown.length} of ${r.trend.length} buckets (all of them with --json)`),
        );
      }
      out.push(
        table(
          ['start', 'decisions', '/min', 'avg ms', 'p95 ms', 'success', 'cheapest', 'regret USD/h'],
          shown.map((t) => [
            t.start,
            fmtNum(t.decisions, 0),
            fmtNum(t.throughput_per_min, 2),
            ms(t.latency_avg_ms),
            ms(t.latency_p95_ms),
            pct(t.success_rate),
            pct(t.cheapest_choice_rate),
            fmtNum(t.regret_usd_per_hour, 2),
          ]),
        ),
      );
    }
  }

  if (r.gates.length) {
    out.push('', chalk.bold('checks'));
    for (const g of r.gates)
      out.push(
        `  ${g.passed ? chalk.green('✔ pass') : chalk.red('✖ fail')}  ${g.gate} ${g.threshold}: ${g.reason}`,
      );
  }
  return out.join('\n');
}
