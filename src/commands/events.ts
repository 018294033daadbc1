import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, listingTimeout, listingTimeoutFlag } from '../cli/base.js';
import { filterFlags, outputFlag, countFlag } from '../cli/flags.js';
import { cut } from '../cli/render.js';
import { table } from '../cli/table.js';
import { EXPORT_DUCKDB, exportRows, isExport, type Listing } from '../cli/output.js';
import { checkTypes, filterFromFlags } from '../lib/query/filters.js';
import {
  countEvents,
  listedEvent,
  normalised,
  searchEvents,
  streamEvents,
  type EventRow,
  type ListedEvent,
} from '../lib/query/events.js';
import { summarise } from '../cli/views/events.js';
export interface EventsResult {
  /** Events matching the filters, in all. */
  total: number;
  /** The events returned, each in its normalised form with where it came from. */
  events: ListedEvent[];
}

export const CSV_COLUMNS = [
  'seq',
  'ts',
  'event_type',
  'workload_id',
  'cluster_id',
  'severity',
  'event_id',
  'source',
  'line',
] as const;

/** jsonl: each event in its normalised form; csv: the columns above. */
const EXPORT: Listing<EventRow> = {
  fields: CSV_COLUMNS.map((c) => ({ name: c, value: (r: EventRow) => r[c] })),
  record: normalised,
};

export default class Events extends BaseCommand {
  static override summary = 'Search stored events.';
  static override description = `Filters combine with AND. Output: a table on a terminal, --json (one document), or --output jsonl|csv for piping (jsonl: one stored event per line in its normalised form). Listings are in time order; --limit (default 50) applies to the table and --json, while --output jsonl|csv exports every match unless --limit is given.`;

  static override examples = [
    '<%= config.bin %> events --type scheduling_decision --since 24h',
    '<%= config.bin %> events --workload ml-training-job-123 --output jsonl',
    "<%= config.bin %> events --where decision.selected_cluster=gpu-cluster-01 --where 'execution_time_ms>200'",
    '<%= config.bin %> events --grep 전력 --order desc --limit 10',
  ];

  static override flags = {
    timeout: listingTimeoutFlag(),
    ...filterFlags,
    limit: countFlag({
      char: 'n',
      description: 'at most this many events (default 50; all for --output jsonl|csv); 0 counts them only',
      min: 0,
    }),
    order: Flags.string({ description: 'time order', options: ['asc', 'desc'], default: 'asc' }),
    output: outputFlag,
  };

  async run(): Promise<EventsResult> {
    const { flags } = await this.parse(Events);
    const filter = filterFromFlags(flags);
    const order = flags.order as 'asc' | 'desc';
    const mode = this.outputMode(flags.output);
    flags.timeout ??= listingTimeout(mode);
    if (isExport(mode)) {
      const n = await this.withSession(
        flags,
        'read',
        async (s) => {
          await s.call(checkTypes, filter.types);
          return exportRows(mode, EXPORT, await s.call(streamEvents, filter, { order, limit: flags.limit }));
        },
        EXPORT_DUCKDB,
      );
      return { total: n, events: [] };
    }
    return this.withSession(flags, 'read', async (s) => {
      await s.call(checkTypes, filter.types);
      const limit = flags.limit ?? 50;
      const [rows, total] = await Promise.all([
        s.call(searchEvents, filter, { order, limit }),
        s.call(countEvents, filter),
      ]);
      const result: EventsResult = {
        total,
        events: rows.map(listedEvent),
      };
      if (mode === 'table') {
        if (!rows.length)
          this.log(
            chalk.dim(
              total
                ? `showing 0 of ${total.toLocaleString('en-US')} matching events (--limit 0)`
                : 'no events match',
            ),
          );
        else {
          this.log(
            table(
              ['time (UTC)', 'type', 'workload', 'cluster', 'sev', 'summary'],
              rows.map((r) => [
                r.ts,
                r.event_type,
                cut(r.workload_id, 28),
                cut(r.cluster_id, 22),
                r.severity ?? '',
                cut(summarise(r), 60),
              ]),
            ),
          );
          if (total > rows.length)
            this.log(
              chalk.dim(`showing ${rows.length} of ${total} matching events; use --limit or --output jsonl`),
            );
        }
      }
      return result;
    });
  }
}
