import * as Flags from '@oclif/core/flags';
import { BaseCommand, timeoutFlag } from '../../cli/base.js';
import { displayable } from '../../cli/render.js';
import { windowFlags } from '../../cli/flags.js';
import { parseWindowFlags } from '../../lib/analyze/window.js';
import { analyzeSla, loadSlos, type SlaResult } from '../../lib/analyze/sla.js';
import { renderSla } from '../../cli/views/sla.js';
export type AnalyzeSlaResult = SlaResult;

export default class AnalyzeSla extends BaseCommand {
  static override summary = 'SLO compliance, error budgets and multiwindow burn rates.';
  static override description = `SLOs come from --slo FILE (YAML or JSON, see examples/slo.yaml), else the defaults, each over a 30-day period:

- decision-latency: 99% of scheduling decisions take at most 100 ms (execution_time_ms);
- relocation-availability: relocated workloads up 99.9% of the time (from downtime_seconds);
- decision-success: 99% of decisions end with outcome 'scheduled'.

SLIs: latency = decisions with execution_time_ms <= threshold / decisions with a latency; success = decisions with outcome 'scheduled' / decisions; availability = 1 - sum(downtime_seconds) / (distinct relocated workloads x window seconds).

Error budget: allowed = 1 - objective, consumed = (1 - SLI) / (1 - objective), remaining = 1 - consumed. Burn rate over 5m, 30m, 1h, 6h and 3d: (1 - SLI over the window) / (1 - objective). Burn alerts as in the SRE workbook: page when 1h and 5m burn >= 14.4, or 6h and 30m >= 6; ticket when 3d and 6h >= 1 (for a 30-day period; scaled to other periods).

Windows end at --until or just after the newest stored event, whichever is earlier; the compliance window starts at --since or the first stored event, whichever is later (without --since: one period before the end, not before the first event). The same rule as analyze cost and report audit: a window wider than the data changes no figure. --fail-on-breach exits 3 when an SLO with data is below its objective.`;

  static override examples = [
    '<%= config.bin %> analyze sla',
    '<%= config.bin %> analyze sla --slo examples/slo.yaml --since 7d --json',
    '<%= config.bin %> analyze sla --fail-on-breach',
  ];

  static override flags = {
    timeout: timeoutFlag(),
    slo: Flags.string({
      description: 'SLO file (YAML or JSON); default: the built-in SLOs',
      helpValue: 'FILE',
    }),
    ...windowFlags,
    'fail-on-breach': Flags.boolean({ description: 'exit 3 when any SLO is breached' }),
  };

  async run(): Promise<AnalyzeSlaResult> {
    const { flags } = await this.parse(AnalyzeSla);
    const slos = loadSlos(flags.slo);
    const { since, until } = parseWindowFlags(flags);
    const result = await this.withSession(flags, 'read', (s) => s.call(analyzeSla, slos, { since, until }));
    if (!this.jsonEnabled()) this.log(renderSla(displayable(result)));
    if (flags['fail-on-breach'] && result.breached.length)
      this.checkFailed(`SLO breached: ${result.breached.join(', ')}`);
    return result;
  }
}
