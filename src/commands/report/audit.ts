import path from 'node:path';
import { createHash } from 'node:crypto';
import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, DEFAULT_SCAN_TIMEOUT, timeoutFlag } from '../../cli/base.js';
import { progressWanted, reportProgress } from '../../cli/progress.js';
import { checkOutputPath, writeOutputFile, type OutputOptions } from '../../lib/output-file.js';
import { resolveDbPath } from '../../lib/store/open.js';
import { formatDuration } from '../../lib/time.js';
import { countFlag, durationFlag, windowFlags } from '../../cli/flags.js';
import { parseWindowFlags } from '../../lib/analyze/window.js';
import { loadSlos } from '../../lib/analyze/sla.js';
import { loadRulesFile, type Rule, type RuleError } from '../../lib/alerts/rules.js';
import { loadStoredRules } from '../../lib/alerts/store.js';
import {
  buildAuditReport,
  AUTO_VERIFY_MAX_ROWS,
  DEFAULT_GAP_MS,
  DEFAULT_LIST_LIMIT,
  integrityFailure,
  type AuditReport,
} from '../../lib/report/audit.js';
import { parseAnchor } from '../../lib/integrity/anchors.js';
import { renderHtml, renderJson, renderMarkdown } from '../../lib/report/render.js';
import {
  keyId,
  loadPrivateKey,
  signReport,
  type ReportFormat,
  type SignatureBlock,
} from '../../lib/integrity/sign.js';

export interface ReportAuditResult {
  /** The file written; null for standard output. */
  out: string | null;
  format: ReportFormat;
  bytes: number;
  /** sha256 of the report without signature (what a signature covers). */
  digest: string;
  signature: SignatureBlock | null;
  report: AuditReport;
}

export default class ReportAudit extends BaseCommand {
  static override summary =
    'An audit report: completeness, decisions, relocations, policies, waste, SLAs, cost, alerts, integrity.';
  static override description = `Covers the window --since/--until (default: the whole store): scope and completeness (sources, lines read, stored, rejected by reason, duplicates, quiet gaps over --gap), scheduling decisions, relocations, cluster reconfigurations, every policy change, inefficiencies and the actions taken, SLA compliance (--slo), cost effects, alerts at the end of the window (stored rules, or --rules), and integrity: the hash-chain head and a verification of the chain. Each figure says how it was computed. The SLA and cost sections use the window rule of analyze sla and analyze cost (the window clipped to the stored data), so the same flags give the same figures there and here.

Verification: a full one runs for the report when the store has fewer than ${AUTO_VERIFY_MAX_ROWS.toLocaleString('en-US')} events or with --verify; otherwise (or with --no-verify) the report cites the latest \`kcloud-log verify\` run recorded in the store, and says which. Either way the report checks the anchors: the store's newest commit record and recorded verification, and each --anchor (SEQ:CHAIN, or a verify --json output or earlier report file) must still be in the chain. Exit 3 when the verification or an anchor failed (the report is still written).

Formats: md, html (one self-contained file with inline SVG charts, no network, printable), json. --key KEY signs the report (Ed25519): the signature of the sha256 of the unsigned report is appended to it (last line in md/html, last member "signature" in json); check it with \`kcloud-log verify --report FILE --pub KEY.pub\`. Create keys with \`kcloud-log report keygen\`.`;

  static override examples = [
    '<%= config.bin %> report audit --since 2025-01-01 --until 2025-02-01 --format html --out audit-2025-01.html',
    '<%= config.bin %> report audit --format json --out audit.json --key keys/kcloud-log-report.key',
    '<%= config.bin %> report audit --format md > audit.md',
  ];

  static override flags = {
    timeout: timeoutFlag(DEFAULT_SCAN_TIMEOUT),
    ...windowFlags,
    format: Flags.string({
      description: 'report format (default: from the --out extension, else md)',
      options: ['md', 'html', 'json'],
    }),
    out: Flags.string({
      char: 'O',
      description: 'write the report to FILE (default: standard output)',
      helpValue: 'FILE',
    }),
    key: Flags.string({ description: 'sign with this Ed25519 private key (PEM)', helpValue: 'KEY' }),
    slo: Flags.string({ description: 'SLO file (default: the built-in SLOs)', helpValue: 'FILE' }),
    rules: Flags.string({ description: 'alert rules file (default: the stored rules)', helpValue: 'FILE' }),
    gap: durationFlag({
      description: 'report quiet periods at least this long (1s to 3650d)',
      default: DEFAULT_GAP_MS,
      defaultHelp: async () => formatDuration(DEFAULT_GAP_MS),
      min: 1000,
    }),
    verify: Flags.boolean({
      description: 'verify the whole chain now (default: only below 1M events)',
      allowNo: true,
    }),
    anchor: Flags.string({
      description:
        'a head recorded earlier: SEQ:CHAIN, or a verify --json output or audit report file (repeatable)',
      helpValue: 'SEQ:CHAIN|FILE',
      multiple: true,
    }),
    limit: countFlag({
      description: 'rows per listing (counts are always complete)',
      default: DEFAULT_LIST_LIMIT,
      min: 1,
    }),
  };

  async run(): Promise<ReportAuditResult> {
    const { flags } = await this.parse(ReportAudit);
    const { since, until } = parseWindowFlags(flags);
    const ext = flags.out ? path.extname(flags.out).toLowerCase().replace(/^\./, '') : '';
    const format = (flags.format ??
      (ext === 'html' || ext === 'htm' ? 'html' : ext === 'json' ? 'json' : 'md')) as ReportFormat;
    const output: OutputOptions = {
      store: resolveDbPath(flags.db),
      inputs: [flags.key, flags.slo, flags.rules],
    };
    if (flags.out) checkOutputPath(flags.out, output); // before the work, not after it
    const key = flags.key ? loadPrivateKey(flags.key) : undefined;
    const slos = loadSlos(flags.slo);
    const fileRules = flags.rules ? loadRulesFile(flags.rules, slos) : undefined;
    // --verify: always verify now; --no-verify: cite the recorded verification; neither: automatic.
    const verifyFlag: boolean | undefined = flags.verify;
    const anchors = (flags.anchor ?? []).map(parseAnchor);

    const bar = progressWanted(this.jsonEnabled()) ? await reportProgress() : undefined;
    const report = await this.withSession(flags, 'read', async (s) => {
      let rules: Rule[];
      let errors: RuleError[] = [];
      if (fileRules) rules = fileRules;
      else ({ rules, errors } = await s.call(loadStoredRules, slos));
      return s.call(buildAuditReport, {
        since,
        until,
        gapMs: flags.gap,
        slos,
        rules,
        ruleErrors: errors,
        rulesSource: flags.rules ?? 'rules stored in the database',
        verify: verifyFlag,
        anchors,
        toolVersion: this.config.version,
        signingKeyId: key ? keyId(key) : undefined,
        listLimit: flags.limit,
        dbPath: s.db,
        onProgress: bar?.update,
      });
    }).finally(() => bar?.stop());

    const text =
      format === 'json'
        ? renderJson(report)
        : format === 'html'
          ? renderHtml(report)
          : renderMarkdown(report);
    const body = Buffer.from(text, 'utf8');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    let bytes: Buffer = body;
    let signature: SignatureBlock | null = null;
    if (key) {
      const s = signReport(body, format, key);
      bytes = s.signed;
      signature = s.block;
    }
    if (flags.out) {
      writeOutputFile(flags.out, bytes, output);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(bytes);
    }

    const v = report.integrity.verification;
    const failed = integrityFailure(report);
    if (flags.out && !this.jsonEnabled()) {
      this.log(
        `${chalk.green('wrote')} ${flags.out} (${format}, ${bytes.length.toLocaleString('en-US')} bytes, ${report.scope.events.toLocaleString('en-US')} events in scope)${signature ? `, signed with key ${signature.key_id.slice(0, 16)}…` : ''}`,
      );
      this.log(`  chain head seq ${report.integrity.chain_head.seq}: ${report.integrity.chain_head.chain}`);
      this.log(`  verification: ${v.mode}${v.ok === null ? '' : v.ok ? ' ok' : ' FAILED'} (${v.basis})`);
    }
    if (failed) this.checkFailed(failed);
    return { out: flags.out ?? null, format, bytes: bytes.length, digest, signature, report };
  }
}
