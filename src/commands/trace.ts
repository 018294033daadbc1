import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, timeoutFlag } from '../cli/base.js';
import { outputFlag, readCount, windowFlags } from '../cli/flags.js';
import { chunks, exportRows, isExport, type Listing } from '../cli/output.js';
import { filterFromFlags } from '../lib/query/filters.js';
import {
  DEFAULT_INEFFICIENCY_LIMIT,
  traceWorkload,
  type TraceEvent,
  type TraceResult,
} from '../lib/query/trace.js';
import { renderTrace, TIMELINE_SHOWN } from '../cli/views/trace.js';
export type TraceCommandResult = TraceResult;

/** --output jsonl|csv: the workload's events in time order (jsonl with --raw: each as logged). */
const EXPORT: Listing<TraceEvent> = {
  fields: (['seq', 'event_id', 'ts', 'event_type', 'cluster_id'] as const).map((name) => ({
    name,
    value: (e: TraceEvent) => e[name],
  })),
};

export default class Trace extends BaseCommand {
  static override summary = "A workload's story: placements, relocations, time and cost on each cluster.";
  static override description = `Every stored event of the workload in time order (any id form: workload.id, workload, workload_id; the table output draws the latest 200, --timeline N|all, and --json holds them all). For each placement: requirements, the chosen cluster, the reason, every alternative with its cost and the difference to the cheapest; for each relocation: trigger, from/to, estimated saving, migration and downtime, and whether from_cluster is where the workload was (per its previous placement or relocation; "inconsistent" when not). Then the time spent on each cluster and the estimated cost accrued there (hourly cost as logged x hours, until the next move, else --until or the newest stored event, whichever is earlier), and the inefficiencies detected on those clusters while the workload ran there. An unknown id exits 2 and suggests close matches.`;

  static override examples = [
    '<%= config.bin %> trace ml-training-job-123',
    '<%= config.bin %> trace inference-service-456 --since 7d --json',
    '<%= config.bin %> trace ml-training-job-123 --raw --output jsonl   # its events as logged',
  ];

  static override args = {
    workload: Args.string({ description: 'workload id', required: true }),
  };

  static override flags = {
    timeout: timeoutFlag(),
    output: outputFlag,
    ...windowFlags,
    raw: Flags.boolean({
      description: "include each event's stored JSON in --json output (events[].event); reads the raw column",
    }),
    limit: Flags.custom<number>({
      char: 'n',
      description: `how many inefficiencies on its clusters to list (all are counted): a number or "all"`,
      default: DEFAULT_INEFFICIENCY_LIMIT,
      helpValue: 'N|all',
      aliases: ['inefficiencies'],
      deprecateAliases: true,
      parse: async (input) =>
        input.trim() === 'all' ? Number.POSITIVE_INFINITY : readCount(input, '--limit', 0),
    })(),
    timeline: Flags.custom<number>({
      description: `how many of the latest timeline entries the table output draws (--json and -o jsonl|csv hold every event): a number or "all"`,
      default: TIMELINE_SHOWN,
      helpValue: 'N|all',
      parse: async (input) =>
        input.trim() === 'all' ? Number.POSITIVE_INFINITY : readCount(input, '--timeline', 0),
    })(),
  };

  async run(): Promise<TraceCommandResult> {
    const { args, flags } = await this.parse(Trace);
    const mode = this.outputMode(flags.output);
    const f = filterFromFlags({ since: flags.since, until: flags.until });
    const limit = flags.limit;
    const result = await this.withSession(flags, 'read', (s) =>
      s.call(traceWorkload, args.workload, {
        since: f.since,
        until: f.until,
        withRaw: flags.raw,
        inefficiencyLimit: limit,
      }),
    );
    if (isExport(mode)) await exportRows(mode, EXPORT, chunks(result.events));
    else if (mode === 'table') this.log(renderTrace(result, { timeline: flags.timeline }));
    return result;
  }
}
