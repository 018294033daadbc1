import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, DEFAULT_SCAN_TIMEOUT, timeoutFlag, type BaseFlags } from '../cli/base.js';
import { describeProblem, verifyStore, type VerifyResult } from '../lib/integrity/verify.js';
import { parseAnchor } from '../lib/integrity/anchors.js';
import { recordVerification } from '../lib/integrity/verifications.js';
import { DiskFullError, isDiskFull, storeFailure } from '../lib/store/failure.js';
import { resolveDbPath } from '../lib/store/open.js';
import { progressWanted, verifyProgress } from '../cli/progress.js';
import { loadPublicKey, verifyReport, type ReportVerifyResult } from '../lib/integrity/sign.js';

export type StoreVerifyResult = VerifyResult & {
  /** Id of the record kept in the store's `verifications` table; null when it could not be written. */
  recorded: number | null;
};
export type VerifyCommandResult = StoreVerifyResult | ReportVerifyResult;

export default class Verify extends BaseCommand {
  static override summary =
    'Check the store for tampering (hash chain, sequence, typed columns, commit log, sources, rejects), or a signed report.';
  static override description = `Recomputes every event's SHA-256 hash and the chain in sequence order, re-derives the typed columns from each raw event, and cross-checks what the store records about its rows: the commit log (each commit's seq range and chain head, so deleting the newest rows shows), each reject's hash and its commit's digest, each source's counts, and the recorded verifications. Exit 3 with one line naming what does not match (--json lists every problem). The result is recorded in the store (table verifications) so that audit reports can cite it; --no-record leaves the store untouched.

--anchor SEQ:CHAIN (or a file: the output of an earlier \`verify --json\`, or an audit report in md, html or json) checks that the row at SEQ is still stored with that chain value: kept outside the store, it catches a truncation that every table was edited to agree with.

With --report FILE --pub KEY: checks the Ed25519 signature of an audit report made with \`report audit --key\` instead (the store is not opened). Exit 3 when the report is unsigned, was signed with another key, or any byte of it changed since it was signed.`;

  static override examples = [
    '<%= config.bin %> verify',
    '<%= config.bin %> verify --json > head.json   # later: verify --anchor head.json',
    '<%= config.bin %> verify --report audit.html --pub keys/kcloud-log-report.pub',
  ];

  static override flags = {
    timeout: timeoutFlag(DEFAULT_SCAN_TIMEOUT),
    report: Flags.string({
      description: 'verify the signature of this audit report instead of the store',
      helpValue: 'FILE',
      dependsOn: ['pub'],
      exclusive: ['anchor'],
    }),
    pub: Flags.string({
      description: "with --report: the signer's Ed25519 public key (PEM)",
      helpValue: 'KEY',
      dependsOn: ['report'],
    }),
    record: Flags.boolean({ description: 'record the result in the store', default: true, allowNo: true }),
    anchor: Flags.string({
      description:
        'a head recorded earlier: SEQ:CHAIN, or a verify --json output or audit report file (repeatable)',
      helpValue: 'SEQ:CHAIN|FILE',
      multiple: true,
    }),
  };

  async run(): Promise<VerifyCommandResult> {
    const { flags } = await this.parse(Verify);
    if (flags.report && flags.pub) {
      const res = verifyReport(flags.report, loadPublicKey(flags.pub));
      if (res.ok && !this.jsonEnabled())
        this.log(`${chalk.green('ok')}: ${flags.report}: ${res.reason} (key ${res.key_id}, ${res.digest})`);
      if (!res.ok) this.checkFailed(`${flags.report}: ${res.reason}`);
      return res;
    }

    const anchors = (flags.anchor ?? []).map(parseAnchor);
    const bar = progressWanted(this.jsonEnabled()) ? await verifyProgress() : undefined;
    const res = await this.withSession(flags, 'read', (s) =>
      s.call(verifyStore, { anchors, onProgress: bar?.update }),
    ).finally(() => bar?.stop());
    if (res.ok && !this.jsonEnabled())
      this.log(
        `${chalk.green('ok')}: ${res.rows.toLocaleString('en-US')} events verified in ${res.seconds} s; chain head ${res.head.chain} at seq ${res.head.seq}; ${res.anchors.length} anchor${res.anchors.length === 1 ? '' : 's'} checked`,
      );
    const recorded = flags.record ? await this.record(flags, res) : null;
    if (!res.ok) {
      const more = res.problems.length - 1;
      this.checkFailed(
        `${describeProblem(res.first_bad!)}${more ? ` (and ${more} more problem${more > 1 ? 's' : ''}; --json lists them)` : ''}`,
      );
    }
    return { ...res, recorded };
  }

  /**
   * Keep the result in the store. A full disk ends the command (exit 4: the result the
   * audit report would cite is missing); another reason, e.g. a store the user may only
   * read, is a warning.
   */
  private async record(flags: BaseFlags<typeof Verify>, res: VerifyResult): Promise<number | null> {
    try {
      return await this.withSession(flags, 'write', (s) =>
        s.call(recordVerification, res, this.config.version),
      );
    } catch (e) {
      if (e instanceof DiskFullError || isDiskFull(e)) {
        const why =
          e instanceof DiskFullError ? e.message : storeFailure(e, resolveDbPath(flags.db))!.message;
        throw new DiskFullError(`the verification result was not recorded: ${why}`);
      }
      process.stderr.write(
        `kcloud-log: warning: verification not recorded in the store: ${(e as Error).message.split('\n')[0]}\n`,
      );
      return null;
    }
  }
}
