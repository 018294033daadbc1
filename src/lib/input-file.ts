/**
 * Reading a whole small file a user names (a rules or SLO file, a key, a report to verify):
 * only a regular file is read, and only up to a size, so a FIFO cannot hang the command and
 * /dev/zero cannot fill its memory. Errors are InputError (exit 4) naming the file.
 */
import fs from 'node:fs';
import { InputError } from './errors.js';

/** What a path is when it is not a regular file, or undefined. */
export function notRegular(st: fs.Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Default cap: far above any rules file, key or report. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** The bytes of `file`; `what` names it in messages (`key`: "cannot read key FILE: ..."). */
export function readInputFile(file: string, maxBytes = MAX_INPUT_BYTES, what = ''): Buffer {
  const fail = (why: string): never => {
    throw new InputError(`cannot read ${what ? `${what} ` : ''}${file}: ${why}`);
  };
  try {
    const st = fs.statSync(file);
    const kind = notRegular(st);
    if (kind) fail(`it is ${kind}, not a regular file`);
    if (st.size > maxBytes) fail(`${st.size} bytes, more than the ${maxBytes} this reads`);
    return fs.readFileSync(file);
  } catch (e) {
    if (e instanceof InputError) throw e;
    return fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
}
