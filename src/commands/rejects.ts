import path from 'node:path';
import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, listingTimeout, listingTimeoutFlag } from '../cli/base.js';
import { outputFlag, countFlag } from '../cli/flags.js';
import { cut } from '../cli/render.js';
import { table } from '../cli/table.js';
import { EXPORT_DUCKDB, exportRows, isExport, type Listing } from '../cli/output.js';
import { listRejects, streamRejects, type RejectRow } from '../lib/query/sources.js';

export interface RejectsResult {
  total: number;
  rejects: RejectRow[];
}

/** A path relative to the working directory when it is below it. */
const relative = (p: string): string =>
  p.startsWith(process.cwd() + path.sep) ? p.slice(process.cwd().length + 1) : p;

/** jsonl: each reject as --json lists it; csv: these columns. */
const EXPORT: Listing<RejectRow> = {
  fields: (['path', 'line', 'byte_offset', 'reason', 'raw_length', 'raw'] as const).map((c) => ({
    name: c,
    value: (r: RejectRow) => r[c],
  })),
};

export default class Rejects extends BaseCommand {
  static override summary = 'Lines that could not be stored: where and why.';
  static override examples = [
    '<%= config.bin %> rejects',
    '<%= config.bin %> rejects --reason timestamp --output jsonl',
  ];
  static override flags = {
    timeout: listingTimeoutFlag(),
    source: Flags.string({
      description: 'only rejects from files whose path contains this',
      helpValue: 'TEXT',
    }),
    reason: Flags.string({ description: 'only rejects whose reason contains this', helpValue: 'TEXT' }),
    limit: countFlag({
      char: 'n',
      description: 'at most this many (default 100; all for --output jsonl|csv)',
      min: 0,
    }),
    output: outputFlag,
  };

  async run(): Promise<RejectsResult> {
    const { flags } = await this.parse(Rejects);
    const mode = this.outputMode(flags.output);
    flags.timeout ??= listingTimeout(mode);
    const query = { source: flags.source, reason: flags.reason };
    if (isExport(mode)) {
      await this.withSession(
        flags,
        'read',
        async (s) => exportRows(mode, EXPORT, await s.call(streamRejects, { ...query, limit: flags.limit })),
        EXPORT_DUCKDB,
      );
      return { total: 0, rejects: [] };
    }
    const res = await this.withSession(flags, 'read', (s) =>
      s.call(listRejects, { ...query, limit: flags.limit ?? 100 }),
    );
    if (mode === 'table') {
      if (!res.total) this.log(chalk.green('no rejects'));
      else {
        this.log(
          table(
            ['file:line', 'byte offset', 'reason', 'text'],
            res.rejects.map((r) => [
              `${relative(r.path)}:${r.line}`,
              r.byte_offset,
              r.reason,
              cut(r.raw, 32),
            ]),
          ),
        );
        if (res.total > res.rejects.length)
          this.log(chalk.dim(`showing ${res.rejects.length} of ${res.total}; use --limit`));
      }
    }
    return res;
  }
}
