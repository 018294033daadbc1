/**
 * Run a command class in-process (no built dist/ needed) and capture what it
 * prints; oclif writes through console.log/console.error, captured here with
 * process.stdout/stderr writes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Ran {
  error?: Error & { oclif?: { exit?: number }; exitCode?: number };
  /** process.exitCode set by the command, else the error's exit code, else 0. */
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
  /** The error message (from the --json error document, else the error), or ''. */
  message: string;
}

export async function runCmd(
  cmd: { run(argv: string[], opts: string): Promise<unknown> },
  argv: string[],
  opts: { json?: boolean } = {},
): Promise<Ran> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void stdout.push(a.map(String).join(' ')));
  const err = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void stderr.push(a.map(String).join(' ')));
  const wout = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: unknown) => (stdout.push(String(c)), true));
  const werr = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: unknown) => (stderr.push(String(c)), true));
  process.exitCode = undefined;
  let error: Ran['error'];
  try {
    await cmd.run([...argv, ...(opts.json === false ? [] : ['--json'])], ROOT);
  } catch (e) {
    error = e as Ran['error'];
  } finally {
    log.mockRestore();
    err.mockRestore();
    wout.mockRestore();
    werr.mockRestore();
  }
  const exit = process.exitCode;
  process.exitCode = undefined;
  const text = stdout.join('\n').trim();
  let json: Record<string, unknown> | undefined;
  if (opts.json !== false && text) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  const code = typeof exit === 'number' ? exit : error ? (error.oclif?.exit ?? error.exitCode ?? 1) : 0;
  const jsonErr = (json?.error as { message?: string } | undefined)?.message;
  // Without --json the command prints its one error line on stderr and ends with an ExitError.
  const errLine = /› {3}Error: (.*)/.exec(stderr.join(''))?.[1];
  const message = jsonErr ?? errLine ?? error?.message ?? '';
  return { error, code, stdout: text, stderr: stderr.join(''), json, message };
}
