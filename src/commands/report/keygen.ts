import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../../cli/base.js';
import { generateKeyPair, type KeygenResult } from '../../lib/integrity/sign.js';
import { resolveDbPath } from '../../lib/store/open.js';

export type ReportKeygenResult = KeygenResult;

export default class ReportKeygen extends BaseCommand {
  static override summary = 'Create an Ed25519 key pair for signing audit reports.';
  static override description = `Writes DIR/kcloud-log-report.key (PKCS#8 PEM private key, mode 0600: keep it secret) and DIR/kcloud-log-report.pub (SPKI PEM public key: give it to auditors). Sign with \`report audit --key DIR/kcloud-log-report.key\`; check with \`verify --report FILE --pub DIR/kcloud-log-report.pub\`. The key id printed is the SHA-256 of the public key (DER), as it appears in signed reports.`;

  static override examples = ['<%= config.bin %> report keygen --out keys'];

  static override flags = {
    out: Flags.string({ description: 'directory for the key files', default: '.', helpValue: 'DIR' }),
    force: Flags.boolean({ description: 'overwrite existing key files' }),
  };

  async run(): Promise<ReportKeygenResult> {
    const { flags } = await this.parse(ReportKeygen);
    const res = generateKeyPair(flags.out, flags.force, resolveDbPath(flags.db));
    if (!this.jsonEnabled())
      this.log(
        `private key ${res.private_key} (keep secret)\npublic key  ${res.public_key}\nkey id      ${res.key_id}`,
      );
    return res;
  }
}
