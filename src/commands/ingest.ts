import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import chalk from 'chalk';
import { BaseCommand, type BaseFlags } from '../cli/base.js';
import { countFlag, durationFlag } from '../cli/flags.js';
import { duckdbLimits, followFlags, ingestFlags } from '../cli/ingest-flags.js';
import { DEFAULT_WORKERS } from '../lib/ingest/blocks.js';
import { ingestPaths, type IngestResult } from '../lib/ingest/ingest.js';
import { displayable } from '../cli/render.js';
import { followLog, ingestProgress, progressWanted, statusLine, type LogFormat } from '../cli/progress.js';
import { keepHeapSmall } from '../cli/heap.js';
import type { FollowResult } from '../lib/ingest/follow.js';
import { resolveDbPath } from '../lib/store/open.js';
import { acquireLease } from '../lib/store/lease.js';
import { renderIngest } from '../cli/views/ingest.js';
import path from 'node:path';
import { StoreServedError } from '../lib/errors.js';
import { findService, type Service } from '../lib/session/client.js';
export type IngestCommandResult = IngestResult | FollowResult;

export default class Ingest extends BaseCommand {
  static override summary = 'Validate log lines and store each event exactly once.';
  static override description = `Reads files, directories (recursively), globs and standard input (-) from their committed offsets. Lines are decoded per line (plain JSONL, Fluent Bit file output, Docker json-file, CRI), validated, and committed in batches together with the sources' new offsets, so a crash never loses or repeats an event. Every line is counted: lines = stored + rejected + duplicates + skipped.

Ordinary log lines (plain text, JSON without event_type) are skipped; a line that looks like an event, JSON or a known format but does not decode is rejected, with the reason (kcloud-log rejects). A binary file is skipped whole, with one warning: it is not a source and none of its bytes are counted. --exclude leaves out what its patterns match; --fail-on-rejects exits 3 when anything was rejected (for CI).`;

  static override examples = [
    '<%= config.bin %> ingest examples/logs',
    '<%= config.bin %> ingest "/var/log/kcloud/*.jsonl" --db /data/kcloud.duckdb',
    'kubectl logs -f deploy/meta-scheduler | <%= config.bin %> ingest -',
    '<%= config.bin %> ingest examples/logs --exclude archive --exclude "*.gz"',
    '<%= config.bin %> ingest build/logs --fail-on-rejects --quiet',
    '<%= config.bin %> ingest --follow /var/log/kcloud /var/log/kcloud-log --exclude "*.tmp"',
  ];

  static override strict = false;
  static override args = {
    path: Args.string({ description: 'file, directory, glob or - (standard input)', required: true }),
  };

  static override flags = {
    ...ingestFlags,
    workers: countFlag({
      description:
        'threads that parse regular files of 4 MiB or more in parallel, and with --follow what followed files grow by (0: parse on the main thread); the stored result is the same',
      default: DEFAULT_WORKERS,
      min: 0,
      max: 16,
    }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing but errors' }),
    'fail-on-rejects': Flags.boolean({
      description:
        'exit 3 when this run rejected any line (for CI; the result is printed in full first); with --follow, checked when it stops',
    }),
    follow: Flags.boolean({
      char: 'f',
      description:
        'keep reading as files grow, rotate and appear; stop with Ctrl-C (SIGINT/SIGTERM commit what is complete)',
    }),
    ...followFlags,
    'status-interval': durationFlag({
      description:
        'with --follow and no terminal on stderr (or --log-format json): log a status line this often (1s to 1d; 0: never)',
      default: 60_000,
      defaultHelp: async () => '60s',
      min: 1000,
      max: 86_400_000,
      zero: true,
    }),
    'log-format': Flags.string({
      description: 'with --follow: status lines and warnings on stderr as text, or one JSON object per line',
      options: ['text', 'json'],
      default: 'text',
    }),
  };

  async run(): Promise<IngestCommandResult> {
    const stopHeapKeeper = keepHeapSmall();
    try {
      return await this.main();
    } finally {
      stopHeapKeeper();
    }
  }

  private async main(): Promise<IngestCommandResult> {
    const { argv, flags } = await this.parse(Ingest);
    const paths = argv as string[];
    const tty = process.stderr.isTTY && !this.jsonEnabled() && !flags.quiet;
    const service = await findService(resolveDbPath(flags.db));
    if (service) return this.throughService(service, paths, flags);
    if (flags.follow) return this.follow(paths, flags, tty);
    const bar = progressWanted(this.jsonEnabled() || flags.quiet) ? await ingestProgress() : undefined;
    // One ingester per store: the lease is taken before the store is opened, so waiting for it
    // never holds DuckDB's lock against the ingester that has it.
    const lease = await acquireLease(resolveDbPath(flags.db), {
      timeoutMs: flags['lock-timeout'] * 1000,
      command: this.commandLine(),
    });
    const result = await this.withStore(
      flags,
      false,
      (store) =>
        ingestPaths(store, paths, {
          ...this.ingestOptions(flags),
          onProgress: bar?.update,
        }),
      duckdbLimits(flags),
    ).finally(() => {
      bar?.stop();
      lease.release();
    });
    return this.report(result, flags);
  }

  /** What the flags say of how to ingest: the same for a batch, a follow and through a service. */
  private ingestOptions(flags: BaseFlags<typeof Ingest>) {
    return {
      strict: flags.strict,
      batchSize: flags['batch-size'],
      maxLineBytes: flags['max-line-bytes'],
      exclude: flags.exclude,
      workers: flags.workers,
    };
  }

  /** Warnings, the summary and the exit code of a batch ingest's result. */
  private report(result: IngestResult, flags: BaseFlags<typeof Ingest>): IngestResult {
    for (const e of [...result.errors, ...result.skipped_files]) this.warn(`${e.path}: ${e.reason}`);
    if (!this.jsonEnabled() && !flags.quiet) this.log(renderIngest(displayable(result)));
    this.setExit(result, flags['fail-on-rejects']);
    return result;
  }

  /**
   * A service keeps the store open: it ingests the files itself, with the same engine and the
   * same accounting (each file is a source with its offsets, as here), and this prints its result.
   * It reads the files where they are, so standard input and --follow cannot go that way.
   */
  private async throughService(
    service: Service,
    paths: string[],
    flags: BaseFlags<typeof Ingest>,
  ): Promise<IngestResult> {
    const to = `database ${service.db} is kept open by the service PID ${service.pid} at ${service.url}`;
    if (flags.follow)
      throw new StoreServedError(
        `${to}: it follows files itself (kcloud-log serve --follow PATH...); stop it to run ingest --follow here`,
      );
    if (paths.includes('-'))
      throw new StoreServedError(
        `${to}: send standard input to it instead (curl -H 'content-type: application/x-ndjson' --data-binary @- ${service.url}/events)`,
      );
    // the service resolves nothing against its own directory: the paths go as this process sees them
    const asGiven = new Map(paths.map((p) => [path.resolve(p), p]));
    const result = await this.withSession(flags, 'write', (s) =>
      s.call(ingestPaths, [...asGiven.keys()], {
        ...this.ingestOptions(flags),
        command: this.commandLine(),
      }),
    );
    for (const e of [...result.errors, ...result.skipped_files]) e.path = asGiven.get(e.path) ?? e.path;
    return this.report(result, flags);
  }

  private async follow(
    paths: string[],
    flags: BaseFlags<typeof Ingest>,
    tty: boolean,
  ): Promise<FollowResult> {
    // follow mode's own modules (chokidar, the tails) only for --follow
    const { follow } = await import('../lib/ingest/follow.js');
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let lastLine = 0;
    // A live line on a terminal; a status log line per --status-interval otherwise (or as JSON).
    const format = flags['log-format'] as LogFormat;
    const live = tty && format === 'text';
    const log = !flags.quiet && !live ? followLog(format, flags['status-interval']) : undefined;
    const result = await follow(paths, {
      dbPath: resolveDbPath(flags.db),
      open: {
        lockTimeoutMs: flags['lock-timeout'] * 1000,
        config: duckdbLimits(flags),
      },
      ...this.ingestOptions(flags),
      command: this.commandLine(),
      flushIntervalMs: flags['flush-interval'],
      drainGraceMs: flags['drain-grace'],
      from: flags.from as 'beginning' | 'end',
      poll: flags.poll,
      signal: ac.signal,
      onError: (e) =>
        format === 'json' && log ? log.warn(e.path, e.reason) : this.warn(`${e.path}: ${e.reason}`),
      onSkip: (e) =>
        format === 'json' && log ? log.warn(e.path, e.reason) : this.warn(`${e.path}: ${e.reason}`),
      onStatus: live
        ? (st) => {
            if (Date.now() - lastLine < 2000) return;
            lastLine = Date.now();
            process.stderr.write('\r\x1b[K' + statusLine(st));
          }
        : log?.status,
    });
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    if (live) process.stderr.write('\r\x1b[K');
    if (!this.jsonEnabled() && !flags.quiet) {
      const n = (v: number) => v.toLocaleString('en-US');
      this.log(
        `${chalk.bold('followed')} ${result.elapsed_s} s, ${n(result.commits)} commits: ${n(result.lines)} lines = ${n(result.stored)} stored + ${n(result.rejected)} rejected + ${n(result.duplicates)} duplicates + ${n(result.skipped)} skipped`,
      );
    }
    this.setExit(result, flags['fail-on-rejects']);
    return result;
  }

  /** Exit 4 when a path could not be read; else, with --fail-on-rejects, 3 when a line was rejected. */
  private setExit(r: { errors: unknown[]; rejected: number }, failOnRejects: boolean): void {
    if (r.errors.length) this.inputProblem();
    else if (failOnRejects && r.rejected > 0)
      this.checkFailed(
        `${r.rejected.toLocaleString('en-US')} line${r.rejected === 1 ? '' : 's'} rejected (--fail-on-rejects); see why: kcloud-log rejects`,
      );
  }
}
