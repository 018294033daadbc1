/** Human output of `kcloud-log analyze scheduling` (the command hands its result here). */
import chalk from 'chalk';
import { fmtNum, table } from '../render.js';
import { type DecisionStats, type SchedulingResult } from '../../lib/analyze/scheduling.js';
import { sparkline } from '../../lib/analyze/sparkline.js';

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

/** Decisions, throughput, success, cheapest choice, regret, latency. */
function summaryLines(r: SchedulingResult): string[] {
  const out: string[] = [];
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
  return out;
}

/** The baseline comparison and its verdict. */
function baselineLines(r: SchedulingResult): string[] {
  const out: string[] = [];
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
  return out;
}

/** The --by breakdown. */
function groupLines(r: SchedulingResult): string[] {
  const out: string[] = [];
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
  return out;
}

/** The trend: sparklines on a terminal, else the latest buckets as a table. */
function trendLines(r: SchedulingResult, tty: boolean): string[] {
  const out: string[] = [];
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
  return out;
}

/** The --fail-* checks, passed or failed. */
function gateLines(r: SchedulingResult): string[] {
  const out: string[] = [];
  if (r.gates.length) {
    out.push('', chalk.bold('checks'));
    for (const g of r.gates)
      out.push(
        `  ${g.passed ? chalk.green('✔ pass') : chalk.red('✖ fail')}  ${g.gate} ${g.threshold}: ${g.reason}`,
      );
  }
  return out;
}

export function renderScheduling(r: SchedulingResult, tty: boolean): string {
  const w = r.window;
  return [
    `${chalk.bold('scheduling decisions')}  ${w.since ?? '-'} → ${w.until ?? '-'}  ${chalk.dim(`(${w.basis})`)}`,
    '',
    ...summaryLines(r),
    ...baselineLines(r),
    ...groupLines(r),
    ...trendLines(r, tty),
    ...gateLines(r),
  ].join('\n');
}
