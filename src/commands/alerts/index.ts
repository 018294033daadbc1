import * as Flags from '@oclif/core/flags';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { displayable } from '../../cli/render.js';
import { parseTimeRange } from '../../lib/time.js';
import { countFlag, durationFlag, outputFlag, timeFlag, windowFlags } from '../../cli/flags.js';
import { chunks, exportRows, isExport, type Listing } from '../../cli/output.js';
import { loadSlos } from '../../lib/analyze/sla.js';
import { loadRulesFile, selectRules } from '../../lib/alerts/rules.js';
import { dataExtent } from '../../lib/analyze/window.js';
import { loadStoredRules } from '../../lib/alerts/store.js';
import {
  backtestAlerts,
  DEFAULT_EVENT_LIMIT,
  evaluateAlerts,
  type AlertInstance,
  type AlertsResult,
  type BacktestResult,
  type Firing,
} from '../../lib/alerts/evaluate.js';
import { labelsText, renderAlerts, renderBacktest } from '../../cli/views/alerts.js';
export type AlertsCommandResult = AlertsResult | BacktestResult;

/** --output jsonl|csv: every alert, resolved ones too (jsonl: each as in --json). */
const ALERTS_EXPORT: Listing<AlertInstance> = {
  fields: [
    ...(['rule', 'kind', 'state', 'since', 'active_since', 'resolved_at', 'value', 'threshold'] as const).map(
      (name) => ({ name, value: (a: AlertInstance) => a[name] }),
    ),
    { name: 'labels', value: (a) => labelsText(a.labels) },
    { name: 'message', value: (a) => a.message },
  ],
};

/** --backtest with --output jsonl|csv: every firing of every rule, with its rule. */
type RuleFiring = Firing & { rule: string };
const FIRINGS_EXPORT: Listing<RuleFiring> = {
  fields: (['rule', 'pending_since', 'firing_since', 'resolved_at', 'peak_value', 'message'] as const).map(
    (name) => ({ name, value: (f: RuleFiring) => f[name] }),
  ),
};

export default class Alerts extends BaseCommand {
  static override summary = 'Evaluate the alert rules: what is firing, pending, resolved, and since when.';
  static override description = `Rules are the stored ones (\`alerts rules add\`), or those of --rules FILE. States are recomputed from the stored events every time (nothing is kept between runs): the evaluation instant is --at, else the newest stored event; the span evaluated starts at --since, else at the oldest stored event for event rules and 7 days before --at for threshold rules.

Event rules: every matching event is an alert, firing from its time for keep_firing_for (default 1h), then resolved. Threshold rules: the metric over the window, at every step (every, default 1m); true = pending, true for \`for\` = firing, false again = resolved.

--backtest 30d shows when each rule would have fired over the 30 days before --at. --fail-on-firing exits 3 when an alert is firing (with --backtest: when any rule fired).`;

  static override examples = [
    '<%= config.bin %> alerts',
    '<%= config.bin %> alerts --rules examples/alert-rules.yaml --fail-on-firing',
    '<%= config.bin %> alerts --backtest 30d --json',
    '<%= config.bin %> alerts --output csv > alerts.csv',
  ];

  static override flags = {
    timeout: timeoutFlag(),
    output: outputFlag,
    rules: Flags.string({
      description: 'evaluate the rules of this file (YAML or JSON) instead of the stored ones',
      helpValue: 'FILE',
    }),
    slo: Flags.string({
      description: 'SLO file for slo_burn_rate rules (default: the built-in SLOs)',
      helpValue: 'FILE',
    }),
    rule: Flags.string({ description: 'only these rules (repeatable)', multiple: true, helpValue: 'NAME' }),
    at: timeFlag({
      description: 'evaluation instant: ISO or a duration before now (default: the newest event)',
    }),
    since: windowFlags.since,
    backtest: durationFlag({
      description: 'show when each rule would have fired over this span before --at, e.g. 30d (1s to 3650d)',
      min: 1000,
    }),
    'fail-on-firing': Flags.boolean({ description: 'exit 3 when an alert is firing' }),
    all: Flags.boolean({ description: 'list resolved alerts too (tables; --json always has them)' }),
    limit: countFlag({
      description: 'alerts listed per rule at most (counts stay exact)',
      default: DEFAULT_EVENT_LIMIT,
      min: 0,
    }),
  };

  async run(): Promise<AlertsCommandResult> {
    const { flags } = await this.parse(Alerts);
    const mode = this.outputMode(flags.output);
    const now = Date.now();
    const slos = loadSlos(flags.slo);
    const { since, until: at } = parseTimeRange(flags.since, flags.at, ['--since', '--at'], now);
    const backtestMs = flags.backtest;
    const fileRules = flags.rules ? loadRulesFile(flags.rules, slos) : undefined;

    const result = await this.withSession(flags, 'read', async (s) => {
      const loaded = fileRules ? { rules: fileRules, errors: [] } : await s.call(loadStoredRules, slos);
      const { rules, errors } = selectRules(loaded, flags.rule);
      if (backtestMs !== undefined) {
        const end = at ?? (await s.call(dataExtent)).newestUs ?? 0;
        const span = { from: since ?? end - backtestMs * 1000, until: at, limit: flags.limit };
        return s.call(backtestAlerts, rules, slos, span, errors);
      }
      return s.call(evaluateAlerts, rules, slos, { at, from: since, limit: flags.limit }, errors);
    });

    const isBacktest = 'until' in result;
    if (isExport(mode)) {
      if (isBacktest)
        await exportRows(
          mode,
          FIRINGS_EXPORT,
          chunks(result.rules.flatMap((r) => r.firings.map((f) => ({ ...f, rule: r.rule })))),
        );
      else await exportRows(mode, ALERTS_EXPORT, chunks(result.alerts));
    } else if (mode === 'table') {
      if (isBacktest) this.log(renderBacktest(displayable(result)));
      else this.log(renderAlerts(displayable(result), flags.all, fileRules ? flags.rules! : 'stored rules'));
    }
    const problems = result.errors.map((e) => `rule "${e.rule}" not evaluated: ${e.reason}`);
    if (flags['fail-on-firing']) problems.unshift(...firingProblem(result));
    if (problems.length) this.checkFailed(...problems);
    return result;
  }
}

/** What --fail-on-firing fails on: alerts firing now, or (backtest) the rules that fired. */
export function firingProblem(r: AlertsCommandResult): string[] {
  if ('until' in r) {
    const fired = r.rules.filter((x) => x.fired).map((x) => x.rule);
    return fired.length ? [`rules fired in the backtest: ${fired.join(', ')}`] : [];
  }
  return r.counts.firing ? [`${r.counts.firing} alert(s) firing`] : [];
}
