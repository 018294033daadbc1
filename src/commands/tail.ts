import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand } from '../cli/base.js';
import { countFlag, durationFlag, filterFlags } from '../cli/flags.js';
import { filterFromFlags } from '../lib/query/filters.js';
import { normalised, type EventRow } from '../lib/query/events.js';
import { tailEvents, tailStep } from '../lib/query/tail.js';
import { summarise } from '../cli/views/events.js';
import { escapeControls as esc } from '../cli/render.js';

export interface TailResult {
  /** Events shown. */
  events: number;
}

const COLOURS: Record<string, (s: string) => string> = {
  scheduling_decision: chalk.cyan,
  workload_relocation: chalk.magenta,
  cluster_reconfiguration: chalk.blue,
  inefficiency_detected: chalk.yellow,
  policy_change: chalk.green,
};
const SEVERITY: Record<string, (s: string) => string> = {
  critical: chalk.bgRed.white,
  high: chalk.red,
  medium: chalk.yellow,
  low: chalk.dim,
};

/** One coloured line for an event (the data in it with its control characters escaped). */
export function tailLine(r: EventRow): string {
  const colour = COLOURS[r.event_type] ?? chalk.white;
  const sev = r.severity ? ' ' + (SEVERITY[r.severity] ?? chalk.white)(esc(r.severity)) : '';
  const who = esc([r.workload_id, r.cluster_id].filter(Boolean).join(' @ '));
  return `${chalk.dim(r.ts)} ${colour(esc(r.event_type).padEnd(23))}${sev} ${who ? chalk.bold(who) + ' ' : ''}${esc(summarise(r))}`;
}

export default class Tail extends BaseCommand {
  static override summary = 'Show newly stored events as they arrive (while ingest --follow runs elsewhere).';
  static override description = `Polls the store read-only (a short open per poll, so the ingester can commit between polls) and prints one coloured line per new event, with the same filters as events. --output jsonl prints each event in its normalised form, for piping.`;

  static override examples = [
    '<%= config.bin %> tail',
    '<%= config.bin %> tail --type inefficiency_detected --severity high,critical',
    '<%= config.bin %> tail --output jsonl | jq .workload',
  ];

  static override enableJsonFlag = false;
  static override flags = {
    ...filterFlags,
    output: Flags.string({
      char: 'o',
      description: 'line format',
      options: ['line', 'jsonl'],
      default: 'line',
    }),
    last: countFlag({
      char: 'n',
      description: 'first show the last N matching events',
      default: 0,
      min: 0,
    }),
    interval: durationFlag({
      description: 'poll interval, 50ms to 1h (a duration with its unit, as everywhere: 500ms, 2s)',
      default: 500,
      defaultHelp: async () => '500ms',
      min: 50,
      max: 3_600_000,
    }),
    limit: countFlag({
      description: 'exit after this many events',
      min: 1,
      aliases: ['max'],
      deprecateAliases: true,
    }),
  };

  async run(): Promise<TailResult> {
    const { flags } = await this.parse(Tail);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const filter = filterFromFlags(flags);
    const events = await tailEvents({
      // each poll on its own: through the service while one runs, else a short read-only open
      poll: (after) => this.withSession(flags, 'read', (s) => s.call(tailStep, filter, after, flags.last)),
      intervalMs: flags.interval,
      max: flags.limit,
      signal: ac.signal,
      onEvents: (rows) => {
        const text =
          rows
            .map((r) => (flags.output === 'jsonl' ? JSON.stringify(normalised(r)) : tailLine(r)))
            .join('\n') + '\n';
        return new Promise<void>((resolve) =>
          process.stdout.write(text) ? resolve() : process.stdout.once('drain', resolve),
        );
      },
    });
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    return { events };
  }
}
