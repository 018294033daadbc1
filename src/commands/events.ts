import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, listingTimeout, listingTimeoutFlag } from '../cli/base.js';
import { filterFlags, outputFlag, countFlag } from '../cli/flags.js';
import { cut } from '../cli/render.js';
import { table } from '../cli/table.js';
import { EXPORT_DUCKDB, exportRows, isExport, type Listing } from '../cli/output.js';
import { checkTypes, filterFromFlags } from '../lib/query/filters.js';
import { countEvents, normalised, searchEvents, streamEvents, type EventRow } from '../lib/query/events.js';
import type { JsonObject } from '../lib/schema/index.js';
import type { Store } from '../lib/store/open.js';

export interface EventsResult {
  /** Events matching the filters, in all. */
  total: number;
  /** The events returned, each in its normalised form with where it came from. */
  events: (JsonObject & { _seq: number; _source: string | null; _line: number })[];
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
    '<%= config.bin %> events --where decision.selected_cluster=gpu-cluster-01 --where execution_time_ms>200',
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
      const rows = (store: Store) => streamEvents(store, filter, { order, limit: flags.limit });
      const n = await this.withStore(
        flags,
        true,
        async (s) => {
          await checkTypes(s, filter.types);
          return exportRows(mode, EXPORT, rows(s));
        },
        EXPORT_DUCKDB,
      );
      return { total: n, events: [] };
    }
    return this.withStore(flags, true, async (store) => {
      await checkTypes(store, filter.types);
      const limit = flags.limit ?? 50;
      const [rows, total] = await Promise.all([
        searchEvents(store, filter, { order, limit }),
        countEvents(store, filter),
      ]);
      const result: EventsResult = {
        total,
        events: rows.map((r) => ({ ...normalised(r), _seq: r.seq, _source: r.source, _line: r.line })),
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

/** A logged saving per hour: a negative one costs more. */
const savingText = (v: unknown) =>
  typeof v === 'number' && v < 0 ? `costs $${-v}/h more` : `saves $${String(v)}/h`;

/** A short human summary of an event for the table view. */
export function summarise(r: EventRow): string {
  const e = normalised(r) as Record<string, unknown>;
  const g = (o: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
      (a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined),
      o,
    );
  switch (r.event_type) {
    case 'scheduling_decision':
      return `→ ${g(e, 'decision', 'selected_cluster')} $${g(e, 'decision', 'cost_calculation', 'estimated_cost_per_hour')}/h in ${g(e, 'execution_time_ms')} ms${g(e, 'decision', 'outcome') !== 'scheduled' ? ` (${g(e, 'decision', 'outcome')})` : ''}`;
    case 'workload_relocation':
      return `${g(e, 'migration', 'from_cluster')} → ${g(e, 'migration', 'to_cluster')} ${savingText(g(e, 'migration', 'cost_saving_per_hour'))} (${g(e, 'trigger')})`;
    case 'cluster_reconfiguration':
      return `${g(e, 'action')} ${g(e, 'cluster', 'name')} ×${g(e, 'cluster', 'node_count')} $${g(e, 'cluster', 'estimated_cost_per_hour')}/h`;
    case 'inefficiency_detected':
      return `${g(e, 'inefficiency', 'type')} ${g(e, 'inefficiency', 'utilization')}% wastes $${g(e, 'inefficiency', 'wasted_cost_estimate')} → ${g(e, 'recommended_action')}`;
    case 'policy_change':
      return `${g(e, 'action')} ${g(e, 'policy', 'id')}${g(e, 'actor') ? ` by ${g(e, 'actor')}` : ''}`;
    default:
      return cut(r.raw, 60);
  }
}
