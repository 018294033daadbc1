/**
 * Expanding `ingest` arguments into files: files as given, directories
 * recursively (log-like files only), globs (picomatch), `-` for stdin, a
 * FIFO (named pipe) as a stream.
 *
 * - An argument that exists is taken literally, before it is tried as a glob
 *   (a directory called `logs[1]` is that directory).
 * - Symlinks are followed; each real directory is walked once (a link loop
 *   ends) and each real file is one target, however many links reach it.
 * - The store's own files (the database, its `.wal`, `.writer-waiting`, the
 *   ingest lease, a running service's `.serve.json`, its
 *   spill directory) and any DuckDB database (by its magic bytes, whatever its
 *   name) are never read as logs: skipped in directories and globs, refused
 *   when named.
 * - A FIFO named explicitly is read as a stream, like `-`; one met while
 *   walking is skipped with a warning (opening it would wait for a writer).
 *   Devices and sockets are refused when named, ignored in directories.
 * - A binary file (NUL bytes, or mostly not UTF-8, in its first 8 KiB; of a
 *   `.gz` file, in what it decompresses to) is skipped whole, named or found:
 *   not a source, not read, one warning (`skipped`), instead of a reject per
 *   "line" of it.
 * - `--exclude` patterns drop what they match, named or found (see excluder).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import picomatch from 'picomatch';
import { isDuckDbFile, storeFiles } from '../output-file.js';
import { isGzipName } from './source.js';

export interface Target {
  /** `fifo`: a named pipe, read as a stream like stdin. */
  kind: 'file' | 'stdin' | 'fifo';
  path: string;
}

export interface PathError {
  path: string;
  reason: string;
}

export interface ExpandOptions {
  /** The database being written: its files are never read as logs. */
  store?: string;
  /** `--exclude` patterns: what they match is not read (see excluder). */
  exclude?: readonly string[];
  /** Files already being read (follow mode): not sniffed for binary content again. */
  known?: (path: string) => boolean;
}

export interface Expanded {
  targets: Target[];
  /** Paths that cannot be read (a warning each, and exit 4). */
  errors: PathError[];
  /** Files skipped whole because they are binary (a warning each; not an error). */
  skipped: PathError[];
}

/**
 * The `--exclude` test: a pattern without a slash matches a file's or a directory's name
 * (`*.gz`, `archive`), one with a slash the path, relative to the current directory or absolute
 * (`logs/archive/**`, `/var/log/kcloud/old/*.log`). picomatch syntax, dot files included.
 */
export function excluder(patterns: readonly string[] = []): (p: string) => boolean {
  if (!patterns.length) return () => false;
  const tests = patterns.map((raw) => {
    const pat = raw.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
    const m = picomatch(pat, { dot: true });
    return pat.includes('/')
      ? (abs: string) => m(abs) || m(path.relative(process.cwd(), abs))
      : (abs: string) => m(path.basename(abs));
  });
  return (p) => {
    const abs = path.resolve(p);
    return tests.some((t) => t(abs));
  };
}

/** Bytes of a file (decompressed, for gzip) looked at to tell text from binary. */
export const SNIFF_BYTES = 8192;
/** Compressed bytes read to get them from a `.gz` file. */
const SNIFF_GZIP_BYTES = 16384;

/** The number of bytes in `b` that are not part of a UTF-8 sequence (a sequence cut at the end is not counted). */
function nonUtf8Bytes(b: Buffer): number {
  let bad = 0;
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    let j = 1;
    while (n > 0 && j <= n && i + j < b.length && (b[i + j]! & 0xc0) === 0x80) j++;
    if (n < 0 || (j <= n && i + j < b.length)) {
      bad++;
      i++;
    } else i += j;
  }
  return bad;
}

/** Why the first bytes of a file are not text (binary), or undefined. */
export function sniffBinary(head: Buffer): string | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b)
    return 'gzip data without a .gz name (name it NAME.gz to have it read): skipped';
  if (head.includes(0)) return 'binary (NUL bytes in its first 8 KiB): skipped';
  const bad = nonUtf8Bytes(head);
  if (bad * 10 > head.length * 3)
    return `binary (${Math.round((bad * 100) / head.length)}% of its first 8 KiB is not UTF-8): skipped`;
  return undefined;
}

/** Why the file at `p` is binary, or undefined (text, empty, or unreadable: reported when read). */
export function binaryFile(p: string): string | undefined {
  let head: Buffer;
  try {
    const fd = fs.openSync(p, 'r');
    try {
      const gzip = isGzipName(p);
      const buf = Buffer.alloc(gzip ? SNIFF_GZIP_BYTES : SNIFF_BYTES);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
      if (gzip)
        head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, SNIFF_BYTES);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  return sniffBinary(head);
}

/** Files met while walking a directory that are not logs. */
const NOT_LOGS =
  /\.(conf|ya?ml|toml|ini|md|txt\.lock|duckdb|wal|tmp|swp|js|mjs|cjs|ts|py|sh|lock|pid|pos|db|sqlite|html|png|svg|pem|pub|key)$/i;

export function isLogName(name: string): boolean {
  return !name.startsWith('.') && !NOT_LOGS.test(name) && !name.includes('.duckdb');
}

/** Is `arg` a pattern to expand? Only when no file of that name exists. */
export function isPattern(arg: string): boolean {
  return !fs.existsSync(arg) && picomatch.scan(arg).isGlob;
}

/** The directory to walk (or watch) for an argument: a pattern's base, else the argument. */
export function watchRoot(arg: string): string {
  return path.resolve(isPattern(arg) ? picomatch.scan(arg).base || '.' : arg);
}

const FIFO_SKIPPED = 'a FIFO (named pipe): skipped; name it on its own to read it as a stream';

/** Why the store's or a DuckDB file is not read, or undefined for an ordinary file. */
function storeFile(real: string, store: string[]): string | undefined {
  const [db, wal, marker, tmp, lease, serve] = store;
  if (real === db) return 'is the database this ingest writes to, not a log';
  if (real === wal) return "is the database's write-ahead log, not a log";
  if (real === marker || real === lease || real === serve || (tmp && real.startsWith(tmp + path.sep)))
    return 'belongs to the database, not a log';
  if (isDuckDbFile(real)) return 'is a DuckDB database, not a log';
  if (real.endsWith('.wal') && isDuckDbFile(real.slice(0, -4)))
    return "is a DuckDB database's write-ahead log, not a log";
  return undefined;
}

interface Walk {
  errors: PathError[];
  store: string[];
  /** Real paths of the directories walked. */
  dirs: Set<string>;
  found: { path: string; real: string }[];
  filter?: (p: string) => boolean;
  excluded: (p: string) => boolean;
}

function walk(dir: string, w: Walk): void {
  let real: string;
  let entries: fs.Dirent[];
  try {
    real = fs.realpathSync(dir);
    if (w.dirs.has(real) || real === w.store[3]) return; // walked already (a link loop), or DuckDB's spill files
    w.dirs.add(real);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    w.errors.push({ path: dir, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (w.excluded(p)) continue;
    let st: fs.Stats | fs.Dirent = e;
    let realFile = path.join(real, e.name);
    if (e.isSymbolicLink()) {
      try {
        st = fs.statSync(p);
        realFile = fs.realpathSync(p);
      } catch {
        continue; // dangling link
      }
    }
    if (st.isDirectory()) {
      if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(p, w);
      continue;
    }
    if (!(w.filter ? w.filter(p) : isLogName(e.name))) continue;
    if (st.isFIFO()) w.errors.push({ path: p, reason: FIFO_SKIPPED });
    else if (st.isFile() && !storeFile(realFile, w.store)) w.found.push({ path: p, real: realFile });
  }
}

const errText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'ELOOP') return 'too many levels of symbolic links';
  return err.message ?? String(e);
};

/** Why a named path that is not a regular file, a directory or a FIFO cannot be read. */
const special = (st: fs.Stats): string | undefined =>
  st.isCharacterDevice()
    ? 'a character device, not a log file'
    : st.isBlockDevice()
      ? 'a block device, not a log file'
      : st.isSocket()
        ? 'a socket, not a log file (pipe it to `kcloud-log ingest -`)'
        : undefined;

export function expandTargets(args: readonly string[], opts: ExpandOptions = {}): Expanded {
  const targets: Target[] = [];
  const errors: PathError[] = [];
  const skipped: PathError[] = [];
  const store = opts.store ? storeFiles(opts.store) : [];
  const excluded = excluder(opts.exclude);
  const seen = new Set<string>(); // real paths
  const add = (kind: Target['kind'], p: string, real: string) => {
    if (seen.has(real)) return;
    seen.add(real);
    const abs = path.resolve(p);
    const binary = kind === 'file' && !opts.known?.(abs) ? binaryFile(abs) : undefined;
    if (binary) skipped.push({ path: abs, reason: binary });
    else targets.push({ kind, path: abs });
  };
  const walkFrom = (dir: string, filter?: (p: string) => boolean) => {
    const w: Walk = { errors, store, dirs: new Set(), found: [], filter, excluded };
    walk(dir, w);
    for (const f of w.found) add('file', f.path, f.real);
    return w.found.length;
  };
  for (const arg of args) {
    if (arg === '-') {
      targets.push({ kind: 'stdin', path: '-' });
      continue;
    }
    if (excluded(arg)) continue;
    if (isPattern(arg)) {
      const isMatch = picomatch(path.resolve(arg), { dot: false });
      if (!walkFrom(watchRoot(arg), (p) => isMatch(p)))
        errors.push({ path: arg, reason: 'no files match this pattern' });
      continue;
    }
    let st: fs.Stats;
    let real: string;
    try {
      st = fs.statSync(arg);
      real = fs.realpathSync(arg);
    } catch (e) {
      errors.push({ path: arg, reason: errText(e) });
      continue;
    }
    const refused = special(st) ?? (st.isFile() ? storeFile(real, store) : undefined);
    if (refused) errors.push({ path: arg, reason: refused });
    else if (st.isDirectory()) walkFrom(path.resolve(arg));
    else if (st.isFIFO()) add('fifo', arg, real);
    else {
      try {
        fs.accessSync(arg, fs.constants.R_OK);
        add('file', arg, real);
      } catch (e) {
        errors.push({ path: arg, reason: errText(e) });
      }
    }
  }
  return { targets, errors, skipped };
}
