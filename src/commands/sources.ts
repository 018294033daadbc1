import chalk from 'chalk';
import { BaseCommand, timeoutFlag } from '../cli/base.js';
import { outputFlag } from '../cli/flags.js';
import { fmtNum } from '../cli/render.js';
import { table, type Column } from '../cli/table.js';
import { chunks, exportRows, isExport, type Listing } from '../cli/output.js';
import { sourceReport, type SourceReport } from '../lib/query/sources.js';

export interface SourcesResult {
  sources: SourceReport[];
}

const right = (header: string): Column => ({ header, align: 'right' });
const COLUMNS: Column[] = [
  right('id'),
  'path',
  'kind',
  'status',
  'dev:ino',
  right('offset'),
  right('lag'),
  right('lines'),
  right('stored'),
  right('rejected'),
  right('dup'),
  right('skipped'),
];

/** jsonl: each source as in --json; csv: its fields, in that order. */
const EXPORT: Listing<SourceReport> = {
  fields: (
    [
      'id',
      'path',
      'kind',
      'status',
      'dev',
      'ino',
      'offset',
      'lag_bytes',
      'lines',
      'stored',
      'rejected',
      'duplicates',
      'skipped',
      'via_origin',
      'balanced',
    ] as const
  ).map((name) => ({ name, value: (s: SourceReport) => s[name] })),
};

export default class Sources extends BaseCommand {
  static override summary = 'Every file ever read: identity, committed offset, lag and line accounting.';
  static override description = `For each source: lines read = stored + rejected + duplicates + skipped. Lag is the bytes in the file beyond the committed offset right now. A copy of a known file (rotated, compressed, re-emitted) continues where that file's source stopped; "via origin" counts the lines before that point, read through the origin source.`;

  static override examples = [
    '<%= config.bin %> sources',
    '<%= config.bin %> sources --output csv > sources.csv',
  ];

  static override flags = { timeout: timeoutFlag(), output: outputFlag };

  async run(): Promise<SourcesResult> {
    const { flags } = await this.parse(Sources);
    const mode = this.outputMode(flags.output);
    const sources = await this.withSession(flags, 'read', (s) => s.call(sourceReport));
    if (isExport(mode)) await exportRows(mode, EXPORT, chunks(sources));
    else if (mode === 'table') {
      const copies = sources.some((s) => s.via_origin > 0);
      if (!sources.length) this.log(chalk.dim('no sources yet: run kcloud-log ingest'));
      else
        this.log(
          table(
            [...COLUMNS, ...(copies ? ['via origin'] : [])],
            sources.map((s) => [
              s.id,
              s.path,
              s.kind,
              s.status,
              s.dev ? `${s.dev}:${s.ino}` : '',
              s.offset,
              s.lag_bytes === null ? '-' : s.lag_bytes ? chalk.yellow(fmtNum(s.lag_bytes, 0)) : 0,
              s.lines,
              s.stored,
              s.rejected ? chalk.red(fmtNum(s.rejected, 0)) : 0,
              s.duplicates,
              s.skipped,
              ...(copies ? [s.via_origin] : []),
            ]),
          ),
        );
    }
    return { sources };
  }
}
