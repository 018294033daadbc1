import fs from 'node:fs';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand } from '../../../cli/base.js';
import { UsageError } from '../../../lib/errors.js';
import { loadSlos } from '../../../lib/analyze/sla.js';
import { compileRule, loadRulesFile, METRICS, readThreshold, type Rule } from '../../../lib/alerts/rules.js';
import { durationTextFlag } from '../../../cli/flags.js';
import { addRules, type AddResult } from '../../../lib/alerts/store.js';
import { ruleCondition } from '../../../lib/alerts/evaluate.js';

export interface AlertsRulesAddResult extends AddResult {
  rules: { name: string; kind: string; condition: string; spec: Rule['spec'] }[];
}

export default class AlertsRulesAdd extends BaseCommand {
  static override summary = 'Add alert rules to the database, from flags or from a rules file.';
  static override description = `An event rule fires on every stored event that matches: --type and --where conditions on typed fields (FIELD OP VALUE with =, !=, >, >=, <, <=, ~ contains; severity compares low < medium < high < critical; field names as logged, e.g. wasted_cost_estimate, or the column names).

A threshold rule (--metric) compares a figure over a sliding --window with --threshold, and fires when that holds for --for: ${METRICS.join(', ')}.

--message is a template: {{field}} of the event (event rules) or {{value}}, {{threshold}}, {{metric}}, {{window}} (threshold rules), {{labels.NAME}}. Bad rules are refused with the reason; --file adds every rule of a file or none.`;

  static override examples = [
    `<%= config.bin %> alerts rules add high-waste --type inefficiency_detected --where 'severity>=high' --where 'wasted_cost_estimate>100' --label team=finops --message '{{cluster}} wasted {{wasted_cost_estimate}} USD'`,
    `<%= config.bin %> alerts rules add slow-decisions --metric latency_p95_ms --threshold 250 --window 1h --for 10m`,
    `<%= config.bin %> alerts rules add latency-burn --metric slo_burn_rate --slo-name decision-latency --threshold 14.4 --window 1h`,
    '<%= config.bin %> alerts rules add --file examples/alert-rules.yaml --replace',
  ];

  static override args = {
    name: Args.string({ description: 'rule name (not with --file)' }),
  };

  static override flags = {
    file: Flags.string({
      description: 'add every rule of this YAML/JSON file',
      helpValue: 'FILE',
      exclusive: ['type', 'where', 'keep-firing-for', 'metric', 'label', 'message', 'description'],
    }),
    replace: Flags.boolean({ description: 'overwrite rules with the same name' }),
    type: Flags.string({
      description: 'event type(s) to match (repeatable)',
      multiple: true,
      helpValue: 'TYPE',
    }),
    where: Flags.string({
      description: 'condition FIELD OP VALUE (repeatable, all must hold)',
      multiple: true,
      helpValue: 'COND',
    }),
    'keep-firing-for': durationTextFlag({
      description: 'event rules: how long each match stays firing (default 1h; 0 to 3650d)',
      min: 1,
      zero: true,
      exclusive: ['metric'],
    }),
    metric: Flags.string({
      description: 'threshold rule on this figure',
      options: [...METRICS],
      dependsOn: ['threshold', 'window'],
    }),
    op: Flags.string({ description: 'threshold comparison', options: ['>', '>=', '<', '<='], default: '>' }),
    threshold: Flags.custom<string>({
      description: 'threshold value (a number, or a percentage like 5%; never negative)',
      helpValue: 'NUMBER',
      dependsOn: ['metric'],
      parse: async (input) => {
        const t = readThreshold(input);
        if (t === undefined || t < 0)
          throw new UsageError(
            `--threshold: expected a number of 0 or more (or a percentage like 5%); got "${input}"`,
          );
        return input.trim();
      },
    })(),
    window: durationTextFlag({
      description: 'sliding window of the metric, e.g. 1h (1s to 3650d)',
      min: 1000,
      dependsOn: ['metric'],
    }),
    for: durationTextFlag({
      description: 'how long the condition must hold before firing (default 0; up to 3650d)',
      min: 1,
      zero: true,
      dependsOn: ['metric'],
    }),
    every: durationTextFlag({
      description: 'evaluation step (default 1m; 1s to 3650d)',
      min: 1000,
      dependsOn: ['metric'],
    }),
    'slo-name': Flags.string({
      description: 'slo_burn_rate: the SLO (a name of the --slo file, or of the built-in SLOs)',
      helpValue: 'NAME',
      dependsOn: ['metric'],
    }),
    slo: Flags.string({
      description: 'SLO file (YAML or JSON), as in analyze sla; default: the built-in SLOs',
      helpValue: 'FILE',
      aliases: ['slo-file'],
      deprecateAliases: true,
    }),
    label: Flags.string({
      description: 'label NAME=VALUE (repeatable)',
      multiple: true,
      helpValue: 'NAME=VALUE',
    }),
    message: Flags.string({ description: 'message template', helpValue: 'TEXT' }),
    description: Flags.string({ description: 'what the rule is for', helpValue: 'TEXT' }),
  };

  async run(): Promise<AlertsRulesAddResult> {
    const { args, flags } = await this.parse(AlertsRulesAdd);
    const slos = loadSlos(sloFile(flags.slo));
    let rules: Rule[];
    let origin: string;
    if (flags.file) {
      if (args.name) throw new UsageError('give either a rule NAME with its flags, or --file FILE, not both');
      rules = loadRulesFile(flags.file, slos);
      origin = flags.file;
    } else {
      if (!args.name) throw new UsageError('missing rule NAME (or --file FILE)');
      const labels: Record<string, string> = {};
      for (const l of flags.label ?? []) {
        const i = l.indexOf('=');
        if (i < 1) throw new UsageError(`--label "${l}": expected NAME=VALUE`);
        labels[l.slice(0, i).trim()] = l.slice(i + 1);
      }
      const match =
        flags.type?.length || flags.where?.length
          ? {
              ...(flags.type?.length
                ? {
                    type: flags.type
                      .flatMap((t) => t.split(','))
                      .map((t) => t.trim())
                      .filter(Boolean),
                  }
                : {}),
              ...(flags.where?.length ? { where: flags.where } : {}),
            }
          : undefined;
      const common = {
        name: args.name,
        ...(flags.description ? { description: flags.description } : {}),
        ...(Object.keys(labels).length ? { labels } : {}),
        ...(flags.message ? { message: flags.message } : {}),
      };
      let raw: Record<string, unknown>;
      if (flags.metric) {
        raw = {
          ...common,
          kind: 'threshold',
          metric: flags.metric,
          op: flags.op,
          threshold: Number.isFinite(Number(flags.threshold)) ? Number(flags.threshold) : flags.threshold,
          window: flags.window,
          ...(flags.for ? { for: flags.for } : {}),
          ...(flags.every ? { every: flags.every } : {}),
          ...(flags['slo-name'] ? { slo: flags['slo-name'] } : {}),
          ...(match ? { match } : {}),
        };
      } else {
        if (!match)
          throw new UsageError(
            'an event rule needs --type and/or --where (or use --metric for a threshold rule)',
          );
        raw = {
          ...common,
          kind: 'event',
          match,
          ...(flags['keep-firing-for'] ? { keep_firing_for: flags['keep-firing-for'] } : {}),
        };
      }
      rules = [compileRule(raw, slos)];
      origin = 'flags';
    }
    const res = await this.withSession(flags, 'write', (s) => s.call(addRules, rules, origin, flags.replace));
    const result: AlertsRulesAddResult = {
      ...res,
      rules: rules.map((r) => ({ name: r.name, kind: r.kind, condition: ruleCondition(r), spec: r.spec })),
    };
    if (!this.jsonEnabled()) {
      for (const r of rules)
        this.log(
          `${res.replaced.includes(r.name) ? chalk.yellow('replaced') : chalk.green('added')} ${chalk.bold(r.name)}: ${ruleCondition(r)}`,
        );
    }
    return result;
  }
}

/** --slo is the SLO file, as in analyze sla; an SLO name given there (its old meaning) gets a hint. */
function sloFile(v: string | undefined): string | undefined {
  if (v !== undefined && !fs.existsSync(v) && /^[\w.-]+$/.test(v) && !/\.(ya?ml|json)$/i.test(v))
    throw new UsageError(
      `--slo is the SLO file, as in analyze sla; to name the SLO "${v}" use --slo-name ${v}`,
    );
  return v;
}
