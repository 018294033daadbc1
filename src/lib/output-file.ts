/**
 * Files the commands write (`report audit --out`, `report keygen --out`): never the store, its
 * WAL or any other DuckDB file, not even through a symlink, and never half written.
 *
 * The target is the path with every symlink resolved (also a dangling link, or a file that does
 * not exist yet in a directory reached through links); it is refused when it is the store, the
 * store's `.wal` or `.writer-waiting`, a DuckDB database (by its magic bytes, whatever its name)
 * or a DuckDB WAL next to one, a directory, a block device or socket, or one of the files the
 * command reads. The data goes to a temporary file in the target's directory, which is then
 * renamed over the target, so a reader sees the old file or the new one, never a part (a
 * terminal, /dev/null or a FIFO is written as it is).
 */
import { leasePath, servePath } from './store/lease.js';
import { writeFailure } from './store/failure.js';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, UsageError } from './errors.js';

export interface OutputOptions {
  /** The store of this command (refused with its WAL and writer marker). */
  store?: string;
  /** Files the command reads (a key, a rules file): not to be overwritten by its output. */
  inputs?: readonly (string | undefined)[];
  /** Mode of a new file (default 0o666, less the umask). */
  mode?: number;
  /** The flag the path came from, for messages (default `--out`). */
  flag?: string;
}

const MAX_LINKS = 40;

/** `dir` with its symlinks resolved, as far as it exists (the rest is created later). */
function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    const parent = path.dirname(dir);
    return parent === dir ? dir : path.join(realDir(parent), path.basename(dir));
  }
}

/** Where writing `file` lands: every symlink resolved, also a dangling one. */
export function resolveTarget(file: string): string {
  let cur = path.resolve(file);
  for (let i = 0; i < MAX_LINKS; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return path.join(realDir(path.dirname(cur)), path.basename(cur));
    }
    if (!st.isSymbolicLink()) return path.join(realDir(path.dirname(cur)), path.basename(cur));
    cur = path.resolve(path.dirname(cur), fs.readlinkSync(cur));
  }
  throw new UsageError(`${file}: too many levels of symbolic links`);
}

/** Is `file` a DuckDB database? (Its bytes 8..11 are "DUCK"; only regular files are opened.) */
export function isDuckDbFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(12);
      return fs.readSync(fd, b, 0, 12, 0) === 12 && b.toString('latin1', 8, 12) === 'DUCK';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The store's own files, resolved: the database, its WAL, the writer's marker, its spill
 * directory, the ingest lease.
 */
export function storeFiles(store: string): string[] {
  const s = resolveTarget(store);
  return [s, `${s}.wal`, `${s}.writer-waiting`, `${s}.tmp`, leasePath(s), servePath(s)];
}

/** Why `file` must not be written, or undefined. */
function refusal(file: string, target: string, opts: OutputOptions): string | undefined {
  if (opts.store) {
    const [db, wal, marker, tmp, lease, serve] = storeFiles(opts.store);
    if (target === db) return 'is the database';
    if (target === wal) return "is the database's write-ahead log";
    if (
      target === marker ||
      target === lease ||
      target === serve ||
      target === tmp ||
      target.startsWith(tmp + path.sep)
    )
      return 'belongs to the database';
  }
  if (isDuckDbFile(target)) return 'is a DuckDB database';
  if (target.endsWith('.wal') && isDuckDbFile(target.slice(0, -4)))
    return `is the write-ahead log of the DuckDB database ${target.slice(0, -4)}`;
  for (const input of opts.inputs ?? [])
    if (input && resolveTarget(input) === target) return `is ${input}, which this command reads`;
  const st = statOf(file);
  if (st?.isDirectory()) return 'is a directory';
  if (st?.isSocket()) return 'is a socket (leave out --out to write to standard output)';
  if (st?.isBlockDevice()) return 'is a block device';
  return undefined;
}

const statOf = (file: string): fs.Stats | undefined => {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
};

/**
 * A terminal, /dev/null or a FIFO given as the output: written as it is (no rename over a
 * device); a FIFO that nobody reads is an input error rather than a wait for ever.
 */
function writeStream(file: string, data: string | Buffer, fifo: boolean): void {
  const probe = fifo ? fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK) : undefined; // ENXIO: no reader
  try {
    fs.writeFileSync(file, data);
  } finally {
    if (probe !== undefined) fs.closeSync(probe);
  }
}

/**
 * Check that `file` may be written (UsageError naming it otherwise) and return where it lands.
 * Commands call it before their work, so a mistake costs nothing.
 */
export function checkOutputPath(file: string, opts: OutputOptions = {}): string {
  const target = resolveTarget(file);
  const why = refusal(file, target, opts);
  if (why) {
    const shown = target === path.resolve(file) ? '' : ` (${target})`;
    throw new UsageError(`${opts.flag ?? '--out'} ${file}${shown} ${why}; refusing to overwrite it`);
  }
  return target;
}

/** Write `data` to `file` atomically (temp file + rename), after checkOutputPath. Returns the target. */
export function writeOutputFile(file: string, data: string | Buffer, opts: OutputOptions = {}): string {
  const target = checkOutputPath(file, opts);
  const st = statOf(file);
  if (st && (st.isCharacterDevice() || st.isFIFO())) {
    try {
      writeStream(file, data, st.isFIFO());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(
        `cannot write ${file}: ${code === 'ENXIO' ? 'a FIFO that nobody reads' : (code ?? (e as Error).message)}`,
      );
    }
    return file;
  }
  const dir = path.dirname(target);
  const tmp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o666);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeFailure(file, e);
  }
  return target;
}
