/**
 * The `sources` table: every SQL statement on it is here (creating a source,
 * reading them, its path, status and start, and the progress each commit
 * records). src/lib/ingest/source.ts decides which row a file is; the writer
 * records progress through `recordProgress`.
 */
import os from 'node:os';
import type { DuckDBConnection } from './duckdb.js';
import type { Store } from './open.js';

/** The line accounting of a source, a file, a run or a store: lines = stored + rejected + duplicates + skipped. */
export interface LineCounts {
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
}

export interface SourceRow {
  id: number;
  path: string;
  kind: 'file' | 'gzip' | 'stdin' | 'http';
  dev: string | null;
  ino: string | null;
  fingerprint: string | null;
  fp_len: number | null;
  origin: number | null;
  start_offset: number;
  start_line: number;
  offset: number;
  size: number | null;
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
  status: string;
  host: string | null;
  first_seen: string;
  last_read: string | null;
  /** sha256 of the window_len bytes just before `offset` (null: not known, e.g. a store from before v6). */
  window_hash: string | null;
  window_len: number | null;
}

/** What identifies a file when its source is created (ingest/source.ts `identify`). */
export interface SourceIdentity {
  dev: string;
  ino: string;
  size: number;
  fingerprint: string;
  fpLen: number;
}

const toRow = (o: Record<string, unknown>): SourceRow =>
  ({
    ...o,
    id: Number(o.id),
    fp_len: o.fp_len === null ? null : Number(o.fp_len),
    origin: o.origin === null ? null : Number(o.origin),
    start_offset: Number(o.start_offset),
    start_line: Number(o.start_line),
    offset: Number(o.offset),
    size: o.size === null ? null : Number(o.size),
    lines: Number(o.lines),
    stored: Number(o.stored),
    rejected: Number(o.rejected),
    duplicates: Number(o.duplicates),
    skipped: Number(o.skipped),
    first_seen: String(o.first_seen),
    last_read: o.last_read === null ? null : String(o.last_read),
    window_hash: o.window_hash === null || o.window_hash === undefined ? null : String(o.window_hash),
    window_len: o.window_len === null || o.window_len === undefined ? null : Number(o.window_len),
  }) as SourceRow;

/** Every source, oldest first. */
export async function listSources(store: Store): Promise<SourceRow[]> {
  const r = await store.conn.runAndReadAll(
    `SELECT * REPLACE (strftime(first_seen, '%Y-%m-%dT%H:%M:%S.%gZ') AS first_seen, strftime(last_read, '%Y-%m-%dT%H:%M:%S.%gZ') AS last_read)
     FROM sources ORDER BY id`,
  );
  return r.getRowObjectsJS().map((o) => toRow(o as Record<string, unknown>));
}

export async function createSource(
  store: Store,
  path: string,
  kind: SourceRow['kind'],
  id: SourceIdentity | null,
  origin: number | null,
  startOffset: number,
  startLine = 0,
): Promise<SourceRow> {
  const r = await store.conn.runAndReadAll(
    `INSERT INTO sources (id, path, kind, dev, ino, fingerprint, fp_len, origin, start_offset, start_line, "offset", size, status, host, first_seen)
     SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $11, $8, $9, 'active', $10, now()::TIMESTAMP FROM sources
     RETURNING *`,
    [
      path,
      kind,
      id?.dev ?? null,
      id?.ino ?? null,
      id?.fingerprint ?? null,
      id?.fpLen ?? null,
      origin,
      startOffset,
      id?.size ?? null,
      os.hostname(),
      startLine,
    ],
  );
  return toRow(r.getRowObjectsJS()[0] as Record<string, unknown>);
}

/** A source's file has a new name (rotated, renamed); with its first bytes, when they were re-read. */
export async function setSourcePath(
  store: Store,
  id: number,
  path: string,
  fingerprint?: { fingerprint: string; fpLen: number },
): Promise<void> {
  if (fingerprint)
    await store.conn.run('UPDATE sources SET path = $2, fingerprint = $3, fp_len = $4 WHERE id = $1', [
      id,
      path,
      fingerprint.fingerprint,
      fingerprint.fpLen,
    ]);
  else await store.conn.run('UPDATE sources SET path = $2 WHERE id = $1', [id, path]);
}

/** active | done | rotated | truncated | deleted */
export async function setSourceStatus(store: Store, id: number, status: string): Promise<void> {
  await store.conn.run('UPDATE sources SET status = $2 WHERE id = $1', [id, status]);
}

/** Start a new source at `offset` instead of 0 (`--from end`: what is there at start-up is skipped). */
export async function setSourceStart(store: Store, id: number, offset: number): Promise<void> {
  await store.conn.run('UPDATE sources SET start_offset = $2, "offset" = $2 WHERE id = $1', [id, offset]);
}

/** What one commit did to a source: its new offset (and the window before it) and the counts to add. */
export interface SourceProgress {
  id: number;
  offset: number;
  /** sha256 of the bytes just before `offset` and how many (null: unknown). */
  window?: { hash: string; len: number } | null;
  size?: number;
  status?: string;
  lines: number;
  rejected: number;
  skipped: number;
}

/** Record a commit's progress on a source, inside the writer's transaction. */
export async function recordProgress(
  conn: DuckDBConnection,
  s: SourceProgress,
  c: { stored: number; duplicates: number; rejected: number },
): Promise<void> {
  await conn.run(
    `UPDATE sources SET "offset" = $2, size = coalesce($3, size), status = coalesce($4, status),
       lines = lines + $5, stored = stored + $6, rejected = rejected + $7, duplicates = duplicates + $8,
       skipped = skipped + $9, last_read = now()::TIMESTAMP,
       window_hash = CASE WHEN $10 THEN $11 ELSE window_hash END,
       window_len = CASE WHEN $10 THEN $12 ELSE window_len END
     WHERE id = $1`,
    [
      s.id,
      s.offset,
      s.size ?? null,
      s.status ?? null,
      s.lines,
      c.stored,
      s.rejected + c.rejected,
      c.duplicates,
      s.skipped,
      s.window !== undefined,
      s.window?.hash ?? null,
      s.window?.len ?? null,
    ],
  );
}
