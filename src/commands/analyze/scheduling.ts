import * as Flags from '@oclif/core/flags';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { filterFlags, countFlag, intervalFlag, numberFlag, timeFlag } from '../../cli/flags.js';
import { displayable } from '../../cli/render.js';
import { checkTypes, filterFromFlags, type EventFilter } from '../../lib/query/filters.js';
import { parseTimeRange } from '../../lib/time.js';
import {
  analyzeSchedulingAt,
  DEFAULT_MIN_SAMPLE,
  GROUP_BY,
  type GroupBy,
  type SchedulingResult,
} from '../../lib/analyze/scheduling.js';
import path from 'node:path';
import { resolveDbPath } from '../../lib/store/open.js';
import { renderScheduling } from '../../cli/views/scheduling.js';
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

    // --baseline-db travels as its path: the store is opened where the call runs (here, or in a service)
    const baselineDb = flags['baseline-db'] ? path.resolve(resolveDbPath(flags['baseline-db'])) : undefined;
    const result = await this.withSession(flags, 'read', async (s) => {
      await s.call(checkTypes, filter.types);
      return s.call(
        analyzeSchedulingAt,
        {
          filter,
          by: flags.by as GroupBy | undefined,
          intervalMs,
          baseline: hasBaseline
            ? { filter: baselineFilter, db: baselineDb, lockTimeoutMs: flags['lock-timeout'] * 1000 }
            : undefined,
          failUnderReductionPct: failUnder,
          failIfP95OverMs: failP95,
          reductionMetric: flags['reduction-metric'] as 'avg' | 'p95',
          minSample: flags['min-sample'],
        },
        (baseline) => this.underTimeout(baseline, flags),
      );
    });

    if (!this.jsonEnabled()) this.log(renderScheduling(displayable(result), Boolean(process.stdout.isTTY)));
    const failed = result.gates.filter((g) => !g.passed);
    if (failed.length) this.checkFailed(...failed.map((g) => `${g.gate} ${g.threshold}: ${g.reason}`));
    return result;
  }
}
