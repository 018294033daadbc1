import { Args, Flags } from '@oclif/core';
import chalk from 'chalk';
import { BaseCommand } from '../cli/base.js';
import { ingestPaths, type IngestResult } from '../lib/ingest/ingest.js';
import { InputError } from '../lib/errors.js';
import { progressBar } from '../cli/render.js';

export type IngestCommandResult = IngestResult;

export default class Ingest extends BaseCommand {
  static override summary = 'Validate log lines and store each event exactly once.';
  static override description = `Reads files, directories (recursively), globs and standard input (-) from their committed
offsets. Lines are decoded per line (plain JSONL, Fluent Bit file output, Docker json-file, CRI),
validated, and committed in batches together with the sources' new offsets, so a crash never
loses or repeats an event. Every line is counted: lines = stored + rejected + duplicates + skipped.`;

  static override examples = [
    '<%= config.bin %> ingest examples/logs',
    '<%= config.bin %> ingest "/var/log/kcloud/*.jsonl" --db /data/kcloud.duckdb',
    'kubectl logs -f deploy/meta-scheduler | <%= config.bin %> ingest -',
  ];

  static override strict = false;
  static override args = {
    path: Args.string({ description: 'file, directory, glob or - (standard input)', required: true }),
  };

  static override flags = {
    strict: Flags.boolean({
      description: 'reject events whose event_type is not one of the five known types',
    }),
    'batch-size': Flags.integer({ description: 'events per committed batch', default: 50_000, min: 1 }),
    'max-line-bytes': Flags.integer({
      description: 'longer lines become rejects',
      default: 1024 * 1024,
      min: 64,
    }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing but errors' }),
  };

  async run(): Promise<IngestCommandResult> {
    const { argv, flags } = await this.parse(Ingest);
    const paths = argv as string[];
    const tty = process.stderr.isTTY && !this.jsonEnabled() && !flags.quiet;
    const bar = tty ? progressBar() : undefined;
    const result = await this.withStore(flags, false, (store) =>
      ingestPaths(store, paths, {
        strict: flags.strict,
        batchSize: flags['batch-size'],
        maxLineBytes: flags['max-line-bytes'],
        onProgress: bar
          ? (p) => bar.update(p.bytesRead, p.bytesTotal, `${p.lines.toLocaleString()} lines`)
          : undefined,
      }),
    );
    bar?.done();
    for (const e of result.errors) this.warn(`${e.path}: ${e.reason}`);
    if (!this.jsonEnabled() && !flags.quiet) this.log(renderIngest(result));
    if (result.errors.length) {
      process.exitCode = new InputError('').exitCode;
    }
    return result;
  }
}

export function renderIngest(r: IngestResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines: string[] = [];
  for (const s of r.sources) {
    const extra = s.partial_bytes
      ? chalk.yellow(`  (${n(s.partial_bytes)} bytes of an unfinished last line wait for their newline)`)
      : '';
    const how = s.how === 'new' ? '' : chalk.dim(` [${s.how}]`);
    lines.push(
      `  ${s.path}${how}: ${n(s.lines)} lines, ${n(s.stored)} stored, ${n(s.rejected)} rejected, ${n(s.duplicates)} duplicates, ${n(s.skipped)} skipped${extra}`,
    );
  }
  const head = `${chalk.bold('ingest')} ${n(r.files)} file${r.files === 1 ? '' : 's'} into ${r.db} in ${r.seconds.toFixed(2)} s`;
  const totals = `${n(r.lines)} lines = ${chalk.green(n(r.stored) + ' stored')} + ${r.rejected ? chalk.red(n(r.rejected) + ' rejected') : '0 rejected'} + ${n(r.duplicates)} duplicates + ${n(r.skipped)} skipped`;
  const hint = r.rejected ? chalk.dim('\n  see why: kcloud-log rejects') : '';
  return [head, ...lines, totals + hint].join('\n');
}
