import chalk from 'chalk';
import { BaseCommand, timeoutFlag } from '../cli/base.js';
import { fmtNum, table } from '../cli/render.js';
import { sourceReport, type SourceReport } from '../lib/query/sources.js';

export interface SourcesResult {
  sources: SourceReport[];
}

export default class Sources extends BaseCommand {
  static override summary = 'Every file ever read: identity, committed offset, lag and line accounting.';
  static override description = `For each source: lines read = stored + rejected + duplicates + skipped. Lag is the bytes in the file beyond the committed offset right now. A copy of a known file (rotated, compressed, re-emitted) continues where that file's source stopped; "via origin" counts the lines before that point, read through the origin source.`;

  static override examples = ['<%= config.bin %> sources', '<%= config.bin %> sources --json'];

  static override flags = { timeout: timeoutFlag() };

  async run(): Promise<SourcesResult> {
    const { flags } = await this.parse(Sources);
    const sources = await this.withStore(flags, true, sourceReport);
    if (!this.jsonEnabled()) {
      const copies = sources.some((s) => s.via_origin > 0);
      if (!sources.length) this.log(chalk.dim('no sources yet: run kcloud-log ingest'));
      else
        this.log(
          table(
            [
              'id',
              'path',
              'kind',
              'status',
              'dev:ino',
              'offset',
              'lag',
              'lines',
              'stored',
              'rejected',
              'dup',
              'skipped',
              ...(copies ? ['via origin'] : []),
            ],
            sources.map((s) => [
              s.id,
              s.path,
              s.kind,
              s.status,
              s.dev ? `${s.dev}:${s.ino}` : '',
              fmtNum(s.offset, 0),
              s.lag_bytes === null ? '-' : s.lag_bytes ? chalk.yellow(fmtNum(s.lag_bytes, 0)) : '0',
              fmtNum(s.lines, 0),
              fmtNum(s.stored, 0),
              s.rejected ? chalk.red(fmtNum(s.rejected, 0)) : '0',
              fmtNum(s.duplicates, 0),
              fmtNum(s.skipped, 0),
              ...(copies ? [fmtNum(s.via_origin, 0)] : []),
            ]),
          ),
        );
    }
    return { sources };
  }
}
