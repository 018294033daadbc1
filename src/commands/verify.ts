import chalk from 'chalk';
import { BaseCommand } from '../cli/base.js';
import { verifyStore, type VerifyResult } from '../lib/integrity/verify.js';

export type VerifyCommandResult = VerifyResult;

export default class Verify extends BaseCommand {
  static override summary = 'Check the store for tampering: hash chain, sequence and typed columns.';
  static override description = `Recomputes every event's SHA-256 hash and the chain in sequence order, and re-derives
the typed columns from each raw event. Exit 3 naming the first row that does not match.`;

  async run(): Promise<VerifyCommandResult> {
    const { flags } = await this.parse(Verify);
    const res = await this.withStore(flags, true, verifyStore);
    if (!this.jsonEnabled()) {
      if (res.ok)
        this.log(
          `${chalk.green('ok')}: ${res.rows.toLocaleString('en-US')} events verified in ${res.seconds} s; chain head ${res.head.chain} at seq ${res.head.seq}`,
        );
      else
        this.logToStderr(
          `${chalk.red('FAILED')}: first bad row seq ${res.first_bad!.seq} (event ${res.first_bad!.event_id}): ${res.first_bad!.reason}`,
        );
    }
    if (!res.ok) process.exitCode = 3;
    return res;
  }
}
