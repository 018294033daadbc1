import * as Args from '@oclif/core/args';
import { BaseCommand, timeoutFlag } from '../cli/base.js';
import { outputFlag, countFlag } from '../cli/flags.js';
import { csvLine, table } from '../cli/render.js';
import { runReadOnlySql, SQL_SANDBOX, type SqlResult } from '../lib/query/sql.js';

export type SqlCommandResult = SqlResult;

export default class Sql extends BaseCommand {
  static override summary = 'Run a read-only SQL query over the store.';
  static override description = `Tables: events (one row per stored event, typed columns per type), sources, rejects, schema_version. The database is opened read-only without file access: writes, COPY, ATTACH and reading other files are refused.`;

  static override examples = [
    `<%= config.bin %> sql "SELECT event_type, count(*) FROM events GROUP BY ALL"`,
    `<%= config.bin %> sql "SELECT cluster_id, quantile_cont(exec_ms, 0.95) FROM events WHERE event_type='scheduling_decision' GROUP BY 1" --output csv`,
  ];

  static override args = { query: Args.string({ description: 'one SQL query', required: true }) };
  static override flags = {
    timeout: timeoutFlag(),
    output: outputFlag,
    limit: countFlag({ char: 'n', description: 'at most this many rows', min: 0 }),
  };

  async run(): Promise<SqlCommandResult> {
    const { args, flags } = await this.parse(Sql);
    const res = await this.withStore(
      flags,
      true,
      (s) => runReadOnlySql(s, args.query, flags.limit),
      SQL_SANDBOX,
    );
    if (this.jsonEnabled()) return res;
    const mode = flags.output ?? 'table';
    if (mode === 'jsonl') for (const r of res.rows) this.logData(JSON.stringify(r));
    else if (mode === 'csv') {
      this.logData(csvLine(res.columns));
      for (const r of res.rows) this.logData(csvLine(res.columns.map((c) => r[c])));
    } else {
      this.log(
        table(
          res.columns,
          res.rows.map((r) =>
            res.columns.map((c) =>
              r[c] !== null && typeof r[c] === 'object' ? JSON.stringify(r[c]) : (r[c] as string),
            ),
          ),
        ),
      );
      this.log(`${res.rows.length} row${res.rows.length === 1 ? '' : 's'}`);
    }
    return res;
  }
}
