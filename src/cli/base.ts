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
import { KcloudError } from '../lib/errors.js';
import { DEFAULT_LOCK_TIMEOUT_MS, openStore, resolveDbPath, type Store } from '../lib/store/open.js';
import { storeFailure } from '../lib/store/failure.js';
import { countFlag } from './flags.js';

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

// oclif's FlagOutput/ArgOutput, which it does not export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Output = { [name: string]: any };

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

export abstract class BaseCommand extends Command {
  static override baseFlags = { ...dbFlags };
  static override enableJsonFlag = true;

  /** Open the store read-only (queries) or read-write (ingest, rules). */
  protected async open(
    flags: { db?: string; 'lock-timeout': number },
    readOnly: boolean,
    config?: Record<string, string>,
  ): Promise<Store> {
    const db = resolveDbPath(flags.db);
    this.databases.add(db);
    return openStore(db, {
      readOnly,
      lockTimeoutMs: flags['lock-timeout'] * 1000,
      config,
    });
  }

  protected async withStore<T>(
    flags: { db?: string; 'lock-timeout': number },
    readOnly: boolean,
    fn: (s: Store) => Promise<T>,
    config?: Record<string, string>,
  ): Promise<T> {
    const store = await this.open(flags, readOnly, config);
    try {
      return await fn(store);
    } finally {
      store.close();
    }
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

  /** Every error ends as one line (no stack unless DEBUG) and its exit code, with --json too. */
  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err instanceof Errors.ExitError) return super.catch(err as never);
    const failure = this.failure(err);
    if (!failure) return super.catch(err as never); // DEBUG: oclif prints the stack
    process.exitCode = failure.code;
    const e = new Errors.CLIError(failure.message, { exit: failure.code });
    (e as unknown as { exitCode: number }).exitCode = failure.code;
    if (this.jsonEnabled()) return super.catch(e as never); // the error as one JSON document
    process.stderr.write(` ›   Error: ${failure.message}\n`);
    e.skipOclifErrorHandling = true; // printed: oclif would wrap it over several lines
    throw e;
  }

  /** The exit code and one-line message of an error; undefined: an unexpected one, with DEBUG set. */
  private failure(err: Error & { oclif?: { exit?: number } }): { code: number; message: string } | undefined {
    const known =
      storeFailure(err, [...this.databases].join(' or ') || resolveDbPath()) ??
      (err instanceof KcloudError ? err : undefined);
    if (known) return { code: known.exitCode, message: oneLine(known.message) };
    if (err.oclif?.exit !== undefined) return { code: err.oclif.exit, message: oneLine(err.message) };
    if (process.env.DEBUG) return undefined;
    const msg = (err.message ?? String(err)).split('\n')[0];
    return { code: 1, message: `unexpected error: ${msg} (set DEBUG=* for details)` };
  }
}

/**
 * A message on one line: oclif's `Parsing --flag \n\t...\nSee more help with --help` around a
 * flag's error becomes `--flag: ...`, other line breaks become "; ".
 */
export function oneLine(message: string): string {
  let text = message.replace(/\s*See more help with --help\s*$/, '');
  const m = /^Parsing (--[\w-]+)\s*\n\t([\s\S]*)$/.exec(text);
  if (m) text = m[2]!.startsWith(m[1]!) ? m[2]! : `${m[1]}: ${m[2]}`;
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ')
    .replace(/:; /g, ': ');
}
