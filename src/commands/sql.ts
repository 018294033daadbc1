import * as Args from '@oclif/core/args';
import { BaseCommand, listingTimeout, listingTimeoutFlag } from '../cli/base.js';
import { outputFlag, countFlag, sizeFlag } from '../cli/flags.js';
import { table, type Cell, type ColumnSpec } from '../cli/table.js';
import { EXPORT_DUCKDB, exportRows, isExport } from '../cli/output.js';
import { runReadOnlySql, streamReadOnlySql, SQL_SANDBOX, type SqlResult } from '../lib/query/sql.js';

export type SqlCommandResult = SqlResult;

/** A value of a numeric column as a number for the table (BIGINT and DECIMAL come as text). */
const numberCell = (v: unknown): Cell =>
  typeof v === 'string' ? (/^-?\d+$/.test(v) ? BigInt(v) : Number(v)) : (v as Cell);

export default class Sql extends BaseCommand {
  static override summary = 'Run a read-only SQL query over the store.';
  static override description = `Tables: events (one row per stored event, typed columns per type), sources, rejects, schema_version. The database is opened read-only without file access: writes, COPY, ATTACH and reading other files are refused.`;

  static override examples = [
    `<%= config.bin %> sql "SELECT event_type, count(*) FROM events GROUP BY ALL"`,
    `<%= config.bin %> sql "SELECT cluster_id, quantile_cont(exec_ms, 0.95) FROM events WHERE event_type='scheduling_decision' GROUP BY 1" --output csv`,
  ];

  static override args = { query: Args.string({ description: 'one SQL query', required: true }) };
  static override flags = {
    timeout: listingTimeoutFlag(),
    output: outputFlag,
    limit: countFlag({ char: 'n', description: 'at most this many rows', min: 0 }),
    'memory-limit': sizeFlag({
      description:
        "DuckDB's memory for the query, 16MB to 1TB (default: 64MB for --output jsonl|csv, which stream; else DuckDB's own, 80% of RAM)",
      min: 16e6,
      max: 1e12,
    }),
  };

  async run(): Promise<SqlCommandResult | undefined> {
    const { args, flags } = await this.parse(Sql);
    const mode = this.outputMode(flags.output);
    flags.timeout ??= listingTimeout(mode);
    const config: Record<string, string> = { ...SQL_SANDBOX, ...(isExport(mode) ? EXPORT_DUCKDB : {}) };
    if (flags['memory-limit'] !== undefined) config.memory_limit = `${flags['memory-limit']}B`;
    if (mode === 'json')
      return this.withSession(flags, 'read', (s) => s.call(runReadOnlySql, args.query, flags.limit), config);
    await this.withSession(
      flags,
      'read',
      async (s) => {
        const res = await s.call(streamReadOnlySql, args.query, flags.limit);
        if (isExport(mode)) {
          const fields = res.columns.map((c) => ({ name: c, value: (r: Record<string, unknown>) => r[c] }));
          await exportRows(mode, { fields }, res.chunks);
          return;
        }
        // A table is measured whole: its rows are held (use --limit for a large result on a terminal).
        const rows: Cell[][] = [];
        for await (const chunk of res.chunks)
          for (const r of chunk)
            rows.push(
              res.columns.map((c, i) => {
                const v = r[c];
                if (res.numeric[i]) return numberCell(v);
                return v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
              }),
            );
        const columns: ColumnSpec[] = res.columns.map((c, i) => ({
          header: c,
          grouping: false,
          ...(res.numeric[i] ? { align: 'right' as const } : {}),
        }));
        this.log(table(columns, rows));
        this.log(`${rows.length} row${rows.length === 1 ? '' : 's'}`);
      },
      config,
    );
    return undefined;
  }
}
