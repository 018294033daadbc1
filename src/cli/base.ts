/**
 * What every command shares: `--db`, `--lock-timeout`, mapping library
 * errors to exit codes and one-line messages, colour only on a TTY.
 */
import { Command } from '@oclif/core/command';
import * as Errors from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';
import type { Interfaces } from '@oclif/core';
import chalk from 'chalk';
import { KcloudError } from '../lib/errors.js';
import { DEFAULT_LOCK_TIMEOUT_MS, openStore, resolveDbPath, type Store } from '../lib/store/open.js';

if (process.env.NO_COLOR || !process.stdout.isTTY) chalk.level = 0;

export const dbFlags = {
  db: Flags.string({
    description: 'DuckDB file (default: $KCLOUD_LOG_DB, else ./kcloud-log.duckdb)',
    helpValue: 'FILE',
  }),
  'lock-timeout': Flags.integer({
    description: 'seconds to wait while another process holds the database lock',
    default: DEFAULT_LOCK_TIMEOUT_MS / 1000,
    min: 0,
    helpValue: 'SECONDS',
  }),
};

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

export abstract class BaseCommand extends Command {
  static override baseFlags = { ...dbFlags };
  static override enableJsonFlag = true;

  /** How this process was started, for messages naming a lock holder (`kcloud-log ingest --follow logs/`). */
  protected commandLine(): string {
    return [this.config.bin, this.id?.replaceAll(':', ' '), ...this.argv]
      .filter(Boolean)
      .join(' ')
      .slice(0, 200);
  }

  /** Open the store read-only (queries) or read-write (ingest, rules). */
  protected async open(
    flags: { db?: string; 'lock-timeout': number },
    readOnly: boolean,
    config?: Record<string, string>,
  ): Promise<Store> {
    return openStore(resolveDbPath(flags.db), {
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

  /**
   * Every error ends the command with one line on stderr (` ›   Error: ...`, never wrapped, no
   * stack unless DEBUG) or, with --json, one small JSON object on stdout, and the same exit code
   * either way: the library's typed errors carry theirs, oclif's parse errors exit 2, anything
   * else is unexpected (1).
   */
  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    const e = describeError(err);
    process.exitCode = e.exit;
    if (process.env.DEBUG && !(err instanceof KcloudError)) process.stderr.write(`${err.stack ?? err}\n`);
    if (this.jsonEnabled()) this.logJson({ error: e });
    else process.stderr.write(` ›   Error: ${e.message}\n`);
    throw new Errors.ExitError(e.exit);
  }
}

/** What an error says to the user, under --json too. */
export interface ErrorJson {
  /** A stable name for scripts: the error class, or oclif's error code. */
  code: string;
  message: string;
  exit: number;
}

/** One line: the message's lines joined, nothing past 2,000 characters. */
const oneLine = (text: string): string => {
  const t = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return t.length > 2000 ? t.slice(0, 1997) + '...' : t;
};

export function describeError(
  err: Error & { exitCode?: number; oclif?: { exit?: number }; code?: unknown },
): ErrorJson {
  if (err instanceof KcloudError)
    return { code: err.name, message: oneLine(err.message), exit: err.exitCode };
  if (err.oclif) {
    const exit = err.oclif.exit ?? 2;
    return {
      code: typeof err.code === 'string' ? err.code : exit === 2 ? 'UsageError' : err.name,
      message: oneLine(err.message.replace(/\s*See more help with --help\s*$/, '')),
      exit,
    };
  }
  const first = (err.message ?? String(err)).split('\n')[0] ?? '';
  return {
    code: 'UnexpectedError',
    message: `unexpected error: ${first} (set DEBUG=* for details)`,
    exit: 1,
  };
}
