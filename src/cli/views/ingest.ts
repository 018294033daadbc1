/** Human output of `kcloud-log ingest` (the command hands its result here). */
import chalk from 'chalk';
import { type IngestResult } from '../../lib/ingest/ingest.js';

export function renderIngest(r: IngestResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines: string[] = [];
  for (const s of r.sources) {
    const extra = s.partial_bytes
      ? chalk.yellow(`  (${n(s.partial_bytes)} bytes of an unfinished last line wait for their newline)`)
      : '';
    const how = s.how === 'new' ? '' : chalk.dim(` [${s.how}]`);
    const via = s.via_origin
      ? chalk.dim(` (+ ${n(s.via_origin)} lines before its offset, read through its origin)`)
      : '';
    lines.push(
      `  ${s.path}${how}: ${n(s.lines)} lines, ${n(s.stored)} stored, ${n(s.rejected)} rejected, ${n(s.duplicates)} duplicates, ${n(s.skipped)} skipped${via}${extra}`,
    );
  }
  const head = `${chalk.bold('ingest')} ${n(r.files)} file${r.files === 1 ? '' : 's'} into ${r.db} in ${r.seconds.toFixed(2)} s`;
  const totals = `${n(r.lines)} lines = ${chalk.green(n(r.stored) + ' stored')} + ${r.rejected ? chalk.red(n(r.rejected) + ' rejected') : '0 rejected'} + ${n(r.duplicates)} duplicates + ${n(r.skipped)} skipped`;
  const hint = r.rejected ? chalk.dim('\n  see why: kcloud-log rejects') : '';
  const binary = r.skipped_files.length
    ? [
        chalk.yellow(
          `  ${n(r.skipped_files.length)} binary file${r.skipped_files.length === 1 ? '' : 's'} skipped (not read)`,
        ),
      ]
    : [];
  return [head, ...lines, ...binary, totals + hint].join('\n');
}
