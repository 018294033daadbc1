/**
 * What every command shares: `--db`, `--lock-timeout`, mapping library
 * errors to exit codes and one-line messages, colour only on a TTY.
 */
import { Command } from '@oclif/core/command';
import * as Errors from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';
import type { Interfaces } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/interfaces';
import chalk from 'chalk';
import { EXIT, KcloudError, QueryTimeoutError, UsageError } from '../lib/errors.js';
import { readDuration } from '../lib/time.js';
import { escapeControls, terminalText } from './render.js';
import { DEFAULT_LOCK_TIMEOUT_MS, openStore, resolveDbPath, type Store } from '../lib/store/open.js';
import { storeFailure } from '../lib/store/failure.js';
import { localSession, type Session } from '../lib/session/session.js';
import { ServiceGoneError, findService, remoteSession, serviceGone } from '../lib/session/client.js';
import { countFlag } from './flags.js';
import { loadDisplayWidths } from './table.js';
import { PipeClosedError, stdout } from './stdout.js';
import type { OutputMode } from './output.js';

if (process.env.NO_COLOR || !process.stdout.isTTY) chalk.level = 0;

export const dbFlags = {
  db: Flags.string({
    description: 'DuckDB file (default: $KCLOUD_LOG_DB, else ./kcloud-log.duckdb)',
    helpValue: 'FILE',
  }),
  'lock-timeout': countFlag({
    description: 'seconds to wait while another process holds the database lock',
    default: DEFAULT_LOCK_TIMEOUT_MS / 1000,
    min: 0,
    max: 86_400,
    helpValue: 'SECONDS',
  }),
};

/** --timeout of the query commands; `verify` and `report audit` read the whole store and wait longer. */
export const DEFAULT_QUERY_TIMEOUT = '30s';
export const DEFAULT_SCAN_TIMEOUT = '10m';

/** `--timeout`: how long the command's queries may run before they are interrupted. */
export const timeoutFlag = (defaultValue = DEFAULT_QUERY_TIMEOUT) =>
  Flags.string({
    description:
      'interrupt the query after this long and fail (500ms, 30s, 5m; a number is seconds; 0: no limit)',
    default: defaultValue,
    helpValue: 'DURATION',
  });

/**
 * `--timeout` of the listing commands: a table or --json waits DEFAULT_QUERY_TIMEOUT, an export
 * (--output jsonl|csv), which reads every match, DEFAULT_SCAN_TIMEOUT (listingTimeout).
 */
export const listingTimeoutFlag = () =>
  Flags.string({
    description:
      'interrupt the query after this long and fail (500ms, 30s, 5m; a number is seconds; 0: no limit)',
    defaultHelp: async () => `${DEFAULT_QUERY_TIMEOUT}; ${DEFAULT_SCAN_TIMEOUT} for --output jsonl|csv`,
    helpValue: 'DURATION',
  });

/** The --timeout a listing command takes when none is given. */
export const listingTimeout = (mode: OutputMode): string =>
  mode === 'jsonl' || mode === 'csv' ? DEFAULT_SCAN_TIMEOUT : DEFAULT_QUERY_TIMEOUT;

/** A --timeout value in ms (0: none). */
export function parseTimeout(text: string): number {
  // the duration rule of every flag (time.ts readDuration); here a bare number is seconds
  const r = readDuration(text, { min: 1, zero: true, bare: 's' });
  if (!r.ok) throw new UsageError(`--timeout "${text}": ${r.reason}`);
  return r.ms;
}

export interface StoreFlags {
  db?: string;
  'lock-timeout': number;
  /** Commands with timeoutFlag(). */
  timeout?: string;
}

/** A command's --timeout in ms (0: none, or a command without the flag). */
const timeoutOf = (flags: StoreFlags): number =>
  flags.timeout === undefined ? 0 : parseTimeout(flags.timeout);

interface Deadline {
  expired: boolean;
  timer?: NodeJS.Timeout;
  text: string;
  ms: number;
  targets: Set<Interruptible>;
}

/** What a deadline stops: a store's connection, a session's calls in flight. */
interface Interruptible {
  interrupt(): void;
}

// oclif's FlagOutput/ArgOutput, which it does not export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Output = { [name: string]: any };

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

export abstract class BaseCommand extends Command {
  static override baseFlags = { ...dbFlags };
  static override enableJsonFlag = true;

  override async init(): Promise<void> {
    stdout.guard(); // before anything is written: a closed pipe is never an unhandled 'error'
    await super.init();
    if (!this.jsonEnabled()) await loadDisplayWidths(); // tables, cut text: not in a JSON document
  }

  /** `--output json` was given: the command prints what `--json` prints. */
  private outputJson = false;

  /**
   * The output mode of a listing command: `--json` or `--output json` (the same document),
   * else `--output`, else a table.
   */
  protected outputMode(output: string | undefined): OutputMode {
    if (output === 'json') this.outputJson = true;
    return this.jsonEnabled() ? 'json' : ((output ?? 'table') as OutputMode);
  }

  override jsonEnabled(): boolean {
    return this.outputJson || super.jsonEnabled();
  }

  /** How this process was started, for messages naming a lock holder (`kcloud-log ingest --follow logs/`). */
  protected commandLine(): string {
    return [this.config.bin, this.id?.replaceAll(':', ' '), ...this.argv]
      .filter(Boolean)
      .join(' ')
      .slice(0, 200);
  }

  /** Open the store read-only (queries) or read-write (ingest, rules). */
  protected async open(
    flags: StoreFlags,
    readOnly: boolean,
    config?: Record<string, string>,
  ): Promise<Store> {
    const timeoutMs = timeoutOf(flags);
    const db = resolveDbPath(flags.db);
    this.databases.add(db);
    const store = await openStore(db, {
      readOnly,
      lockTimeoutMs: flags['lock-timeout'] * 1000,
      config,
    });
    if (timeoutMs > 0) this.guardStore(store, timeoutMs, flags.timeout!);
    return store;
  }

  /**
   * --timeout: one deadline for the command, from its first open. When it passes, every open
   * connection is interrupted (again every 100 ms, so a query started later is stopped too) and
   * the command fails with QueryTimeoutError: a runaway query cannot hold the database (and a
   * follower's commits) for longer than that.
   */
  private deadline?: Deadline;

  private guard(target: Interruptible, ms: number, text: string): () => void {
    if (!this.deadline) {
      const d: Deadline = (this.deadline = { expired: false, text, ms, targets: new Set() });
      const interrupt = () => {
        d.expired = true;
        for (const t of d.targets) t.interrupt();
      };
      d.timer = setTimeout(() => {
        interrupt();
        d.timer = setInterval(interrupt, 100).unref();
      }, ms).unref();
    }
    const { targets } = this.deadline;
    targets.add(target);
    return () => targets.delete(target);
  }

  /** A store the library opened for this command (a baseline database): under its --timeout too. */
  protected underTimeout(store: Store, flags: StoreFlags): void {
    this.databases.add(store.path);
    const ms = timeoutOf(flags);
    if (ms > 0) this.guardStore(store, ms, flags.timeout!);
  }

  /** Put a store this command opened under its --timeout (closing it takes it out). */
  private guardStore(store: Store, ms: number, text: string): void {
    const unguard = this.guard({ interrupt: () => store.conn.interrupt() }, ms, text);
    const close = store.close.bind(store);
    store.close = () => {
      unguard();
      close();
    };
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    clearTimeout(this.deadline?.timer); // also clears the interval
    return super.finally(err);
  }

  /** The error to report: a query's failure after the deadline is the timeout. */
  private timedOut(err: Error): Error {
    const d = this.deadline;
    if (!d?.expired || err instanceof QueryTimeoutError) return err;
    const secs = d.ms / 1000;
    return new QueryTimeoutError(
      `query interrupted after ${secs} s (--timeout ${d.text}); narrow it (--since, --until, --limit) or raise --timeout (0: no limit)`,
    );
  }

  protected async withStore<T>(
    flags: StoreFlags,
    readOnly: boolean,
    fn: (s: Store) => Promise<T>,
    config?: Record<string, string>,
  ): Promise<T> {
    const store = await this.open(flags, readOnly, config);
    try {
      const result = await fn(store);
      // An interrupted stream can end as if its rows were all read: never a silent short export.
      if (this.deadline?.expired) throw this.timedOut(new Error('interrupted'));
      return result;
    } finally {
      store.close();
    }
  }

  /**
   * Run `fn` with a session on the store: through the service that keeps it open, when one runs
   * for it (its calls go there; the command renders their results as always), else on the store
   * opened here (read-only unless `access` is 'write'), as withStore. `config` (DuckDB settings for the open)
   * applies to the store opened here only: a service's settings are its own.
   */
  protected async withSession<T>(
    flags: StoreFlags,
    access: 'read' | 'write',
    fn: (s: Session) => Promise<T>,
    config?: Record<string, string>,
    retried = false,
  ): Promise<T> {
    const db = resolveDbPath(flags.db);
    const service = await findService(db);
    if (!service) return this.withStore(flags, access === 'read', (store) => fn(localSession(store)), config);
    this.databases.add(db);
    const timeoutMs = timeoutOf(flags);
    const session = remoteSession(service, { timeoutMs });
    const unguard = timeoutMs > 0 ? this.guard(session, timeoutMs, flags.timeout!) : undefined;
    try {
      const result = await fn(session);
      if (this.deadline?.expired) throw this.timedOut(new Error('interrupted'));
      return result;
    } catch (e) {
      // A service that stops (or was killed) just as the command starts: run again once it is
      // gone, without it (or through the one that replaced it), instead of failing.
      if (retried || !(e instanceof ServiceGoneError) || (!e.unstarted && access !== 'read')) throw e;
      if (!(await serviceGone(db, service.pid, flags['lock-timeout'] * 1000))) throw e;
      return this.withSession(flags, access, fn, config, true);
    } finally {
      unguard?.();
      session.interrupt(); // nothing should be in flight here; a stream left unread is
    }
  }

  /**
   * Human-readable output: control characters that came with the data are escaped here, so no
   * command can print a log line's ESC or BEL raw (see escapeControls). Exact output (jsonl,
   * csv, reports) goes through logData or process.stdout.
   */
  override log(message = '', ...args: unknown[]): void {
    super.log(terminalText(message), ...args);
  }

  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(terminalText(message), ...args);
  }

  override warn(input: Error | string): Error | string {
    return super.warn(typeof input === 'string' ? escapeControls(input) : input);
  }

  /** One line of machine-readable output (jsonl, csv): the data exactly as it is. */
  protected logData(line: string): void {
    super.log(line);
  }

  /** The databases this command works on, for naming them in errors (its --db, and any it opened). */
  private readonly databases = new Set<string>();

  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    let out: ParserOutput<F, B, A>;
    try {
      out = await super.parse(options, argv);
    } finally {
      this.parsed = true; // a refused command line was parsed too: no "did not parse" warning with it
    }
    this.databases.add(resolveDbPath((out.flags as { db?: string }).db));
    return out;
  }

  /**
   * A check failed (exit 3): one `kcloud-log: check failed: REASON` line on stderr per reason;
   * the command still prints (and returns, for --json) its full result.
   */
  protected checkFailed(...reasons: string[]): void {
    for (const r of reasons) process.stderr.write(`kcloud-log: check failed: ${escapeControls(r)}\n`);
    this.exitWith(EXIT.checkFailed);
  }

  /**
   * An input problem the result describes (a path that could not be read; its warning was
   * printed): exit 4 after the full result, the rest of the input having been read.
   */
  protected inputProblem(): void {
    this.exitWith(EXIT.input);
  }

  /** End with `code` once the command returns; of two outcomes the graver (higher) one wins. */
  private exitWith(code: number): void {
    const now = typeof process.exitCode === 'number' ? process.exitCode : 0;
    process.exitCode = Math.max(now, code);
  }

  /**
   * Every error ends the command with one line on stderr (` ›   Error: ...`, never wrapped, no
   * stack unless DEBUG) or, with --json, one small JSON object on stdout, and the same exit code
   * either way: the library's typed errors carry theirs, oclif's parse errors exit 2, anything
   * else is unexpected (1).
   */
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // The reader closed standard output (`| head`): it has what it wanted; exit 0 quietly.
    if (error instanceof PipeClosedError) return;
    const err = this.timedOut(error) as typeof error;
    if (err instanceof Errors.ExitError) throw err; // this.exit(): nothing to print
    const e = this.describeError(err);
    process.exitCode = e.exit;
    if (process.env.DEBUG && e.code === 'UnexpectedError') process.stderr.write(`${err.stack ?? err}\n`);
    if (this.jsonEnabled()) this.logJson({ error: e });
    else process.stderr.write(` ›   Error: ${escapeControls(e.message)}\n`);
    throw new Errors.ExitError(e.exit);
  }

  /** What an error says: the store's failures (corrupt, disk full) and typed errors, usage errors, or unexpected. */
  private describeError(err: Error & { oclif?: { exit?: number }; code?: unknown }): ErrorJson {
    const known =
      storeFailure(err, [...this.databases].join(' or ') || resolveDbPath()) ??
      (err instanceof KcloudError ? err : undefined);
    if (known) return { code: known.name, message: oneLine(known.message), exit: known.exitCode };
    // oclif's parse errors (a value not among a flag's options, a flag without its value, an
    // unexpected argument) are usage errors, whatever exit code oclif gave them.
    if ('parse' in err || /^Flag --[\w-]+ expects a value/.test(err.message ?? ''))
      return { code: 'UsageError', message: oneLine(err.message), exit: EXIT.usage };
    if (err.oclif?.exit !== undefined) {
      const exit = err.oclif.exit;
      const code = typeof err.code === 'string' ? err.code : exit === 2 ? 'UsageError' : err.name;
      return { code, message: oneLine(err.message), exit };
    }
    const first = (err.message ?? String(err)).split('\n')[0] ?? '';
    return {
      code: 'UnexpectedError',
      message: `unexpected error: ${first} (set DEBUG=* for details)`,
      exit: EXIT.unexpected,
    };
  }
}

/** What an error says to the user, under --json too. */
export interface ErrorJson {
  /** A stable name for scripts: the error class, or oclif's error code. */
  code: string;
  message: string;
  exit: number;
}

/**
 * A message on one line: oclif's `Parsing --flag \n\t...\nSee more help with --help` around a
 * flag's error becomes `--flag: ...`, other line breaks become "; ".
 */
export function oneLine(message: string): string {
  let text = message
    .replace(/\s*See more help with --help\s*$/, '')
    // oclif's wrapper around declared flag relationships (dependsOn, exclusive, ...)
    .replace(/^The following errors? occurred:\s*/, '');
  const m = /^Parsing (--[\w-]+)\s*\n\t([\s\S]*)$/.exec(text);
  if (m) text = m[2]!.startsWith(m[1]!) ? m[2]! : `${m[1]}: ${m[2]}`;
  const t = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ')
    .replace(/:; /g, ': ');
  return t.length > 2000 ? t.slice(0, 1997) + '...' : t;
}
