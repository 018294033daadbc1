/**
 * One input source: identity (device + inode + fingerprint of the first
 * bytes), the committed offset, and reading lines from it.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import type { Store } from '../store/open.js';
import {
  createSource,
  listSources,
  setSourcePath,
  setSourceStatus,
  type SourceRow,
} from '../store/sources.js';

export { createSource, listSources, type SourceRow };

export const FINGERPRINT_BYTES = 1024;

export const isGzipName = (p: string): boolean => /\.gz$/i.test(p);

/** The first `n` bytes of a file (decompressed for gzip). */
export function readPrefix(path: string, n: number, gzip: boolean): Buffer {
  if (gzip) {
    const data = zlib.gunzipSync(fs.readFileSync(path), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return data.subarray(0, n);
  }
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

export const sha256OfBytes = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const fingerprintOf = sha256OfBytes;

export interface FileIdentity {
  dev: string;
  ino: string;
  size: number;
  fingerprint: string;
  fpLen: number;
  gzip: boolean;
}

export function identify(path: string): FileIdentity {
  const st = fs.statSync(path);
  const gzip = isGzipName(path);
  const prefix = readPrefix(path, FINGERPRINT_BYTES, gzip);
  return {
    dev: String(st.dev),
    ino: String(st.ino),
    size: st.size,
    fingerprint: fingerprintOf(prefix),
    fpLen: prefix.length,
    gzip,
  };
}

/** Does the file at `path` still begin with the bytes fingerprinted in `row`? */
export function prefixMatches(
  path: string,
  row: Pick<SourceRow, 'fingerprint' | 'fp_len'>,
  gzip: boolean,
): boolean {
  if (row.fingerprint === null || row.fp_len === null) return false;
  try {
    const prefix = readPrefix(path, row.fp_len, gzip);
    return prefix.length === row.fp_len && fingerprintOf(prefix) === row.fingerprint;
  } catch {
    return false;
  }
}

/**
 * Do the bytes just before `row.offset` in the file at `path` (decompressed for gzip) hash to the
 * window recorded for `row`? Undefined when no window was recorded.
 */
export function windowMatches(
  path: string,
  row: Pick<SourceRow, 'offset' | 'window_hash' | 'window_len'>,
  gzip: boolean,
): boolean | undefined {
  if (row.window_hash === null || row.window_len === null) return undefined;
  const from = row.offset - row.window_len;
  if (from < 0) return false;
  try {
    let bytes: Buffer;
    if (gzip) {
      const data = zlib.gunzipSync(fs.readFileSync(path), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      bytes = data.subarray(from, row.offset);
    } else {
      const fd = fs.openSync(path, 'r');
      try {
        bytes = Buffer.alloc(row.window_len);
        bytes = bytes.subarray(0, fs.readSync(fd, bytes, 0, row.window_len, from));
      } finally {
        fs.closeSync(fd);
      }
    }
    return bytes.length === row.window_len && sha256OfBytes(bytes) === row.window_hash;
  } catch {
    return false;
  }
}

export interface Resolution {
  row: SourceRow;
  /** Why this row: `new`, `resume`, `truncated` (the old content was replaced), `copy` (rotated/compressed copy of a known file). */
  how: 'new' | 'resume' | 'truncated' | 'copy';
}

/**
 * Find or create the source row for a file. Same device+inode and same
 * first bytes: the same file, resume. Same inode, other first bytes or
 * smaller than the committed offset: truncated or reused, start again. No
 * inode match but the first bytes of a known file that is gone from its
 * place (rotated, copytruncated) or a `.gz` archive: continue at that file's
 * offset. Otherwise a new source read from 0.
 */
export async function resolveSource(store: Store, path: string, id: FileIdentity): Promise<Resolution> {
  const sources = await listSources(store);
  const kind = id.gzip ? 'gzip' : 'file';
  const byInode = sources
    .filter((s) => s.dev === id.dev && s.ino === id.ino && s.kind === kind && s.status !== 'truncated')
    .sort((a, b) => b.id - a.id)[0];
  if (byInode) {
    // The same file: its first bytes and the bytes before our offset are still what we read.
    const same =
      prefixMatches(path, byInode, id.gzip) &&
      id.size >= (id.gzip ? 0 : byInode.offset) &&
      windowMatches(path, byInode, id.gzip) !== false;
    if (same) {
      if (byInode.path !== path || (byInode.fp_len ?? 0) < FINGERPRINT_BYTES) {
        await setSourcePath(store, byInode.id, path, id);
      }
      return { row: { ...byInode, path }, how: 'resume' };
    }
    await setSourceStatus(store, byInode.id, 'truncated');
    return { row: await createSource(store, path, kind, id, null, 0), how: 'truncated' };
  }
  const candidates = sources
    .filter((s) => s.kind !== 'stdin' && s.fingerprint !== null && (s.fp_len ?? 0) > 0)
    .sort((a, b) => b.offset - a.offset);
  for (const s of candidates) {
    if (!prefixMatches(path, s, id.gzip)) continue;
    // A plain copy of a file that is still in place is a different file.
    if (!id.gzip && s.kind === 'file' && stillInPlace(s)) continue;
    const continues = !(s.kind === 'gzip' && !id.gzip);
    // Proven, not guessed: the bytes before the source's offset must be in this file too.
    if (continues && s.offset > 0 && windowMatches(path, s, id.gzip) !== true) continue;
    const row = await createSource(
      store,
      path,
      kind,
      id,
      s.id,
      continues ? s.offset : 0,
      continues ? s.start_line + s.lines : 0,
    );
    return { row, how: 'copy' };
  }
  return { row: await createSource(store, path, kind, id, null, 0), how: 'new' };
}

function stillInPlace(s: SourceRow): boolean {
  try {
    const st = fs.statSync(s.path);
    return String(st.dev) === s.dev && String(st.ino) === s.ino && prefixMatches(s.path, s, false);
  } catch {
    return false;
  }
}
