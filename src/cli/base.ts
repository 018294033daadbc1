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
import { escapeControls, terminalText } from './render.js';
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

  /** Library errors become one-line messages with their exit codes; unexpected ones too, without a stack unless DEBUG. */
  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (err instanceof KcloudError) {
      const e = new Errors.CLIError(escapeControls(err.message, { layout: true }), { exit: err.exitCode });
      (e as unknown as { exitCode: number }).exitCode = err.exitCode;
      return super.catch(e as never);
    }
    if (!err.oclif && !process.env.DEBUG) {
      const msg = escapeControls((err.message ?? String(err)).split('\n')[0]!);
      const e = new Errors.CLIError(`unexpected error: ${msg} (set DEBUG=* for details)`, { exit: 1 });
      return super.catch(e as never);
    }
    err.message = escapeControls(err.message ?? '', { layout: true });
    return super.catch(err as never);
  }
}
