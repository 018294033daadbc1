import chalk from 'chalk';
import { BaseCommand, timeoutFlag } from '../../../cli/base.js';
import { cut, table } from '../../../cli/render.js';
import { listStoredRules } from '../../../lib/alerts/store.js';
import { describeRules, type DescribedRule } from '../../../lib/alerts/evaluate.js';

export interface AlertsRulesListResult {
  rules: DescribedRule[];
}

export default class AlertsRulesList extends BaseCommand {
  static override summary = 'List the alert rules stored in the database.';
  static override examples = [
    '<%= config.bin %> alerts rules list',
    '<%= config.bin %> alerts rules list --json',
  ];

  static override flags = { timeout: timeoutFlag() };

  async run(): Promise<AlertsRulesListResult> {
    const { flags } = await this.parse(AlertsRulesList);
    const stored = await this.withSession(flags, 'read', (s) => s.call(listStoredRules));
    const rules = describeRules(stored);
    if (!this.jsonEnabled()) {
      if (!rules.length) this.log('no alert rules stored: add some with `kcloud-log alerts rules add`');
      else
        this.log(
          table(
            ['name', 'kind', 'condition', 'labels', 'origin', 'updated'],
            rules.map((r) => [
              r.name,
              r.kind,
              r.condition ? cut(r.condition, 80) : chalk.red(cut(r.error, 80)),
              Object.entries(r.spec.labels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
              r.origin ?? '',
              r.updated_at,
            ]),
          ),
        );
    }
    return { rules };
  }
}
