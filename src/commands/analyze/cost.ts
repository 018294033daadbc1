import * as Flags from '@oclif/core/flags';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { filterFlags, countFlag, durationFlag, intervalFlag } from '../../cli/flags.js';
import { displayable } from '../../cli/render.js';
import { checkTypes, filterFromFlags } from '../../lib/query/filters.js';
import { analyzeCost, HOURS_PER_MONTH, type CostResult } from '../../lib/analyze/cost.js';
import { parseWindowFlags } from '../../lib/analyze/window.js';
import { renderCost } from '../../cli/views/cost.js';
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
    const result = await this.withSession(flags, 'read', async (s) => {
      await s.call(checkTypes, filter.types);
      return s.call(analyzeCost, {
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
