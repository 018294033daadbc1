import * as Args from '@oclif/core/args';
import { BaseCommand } from '../../../cli/base.js';
import { removeRules } from '../../../lib/alerts/store.js';

export interface AlertsRulesRemoveResult {
  removed: string[];
}

export default class AlertsRulesRemove extends BaseCommand {
  static override summary = 'Remove alert rules from the database by name.';
  static override examples = ['<%= config.bin %> alerts rules remove high-waste slow-decisions'];

  static override strict = false;
  static override args = {
    name: Args.string({ description: 'rule name(s)', required: true }),
  };

  async run(): Promise<AlertsRulesRemoveResult> {
    const { argv, flags } = await this.parse(AlertsRulesRemove);
    const names = [...new Set(argv as string[])];
    const removed = await this.withSession(flags, 'write', (s) => s.call(removeRules, names));
    if (!this.jsonEnabled()) this.log(`removed ${removed.join(', ')}`);
    return { removed };
  }
}
