/** Sources and rejects: where lines came from and what became of them. */
import type { Store } from '../store/open.js';
import { listSources, type SourceRow } from '../ingest/source.js';
import { microsToIso } from '../time.js';
import { streamSorted } from './sorted.js';
import fs from 'node:fs';

export interface SourceReport extends SourceRow {
  /** Bytes in the file beyond the committed offset (now); null when unknown (stdin, gone). */
  lag_bytes: number | null;
  /** lines = stored + rejected + duplicates + skipped */
  balanced: boolean;
  /**
   * For a copy (a rotated, compressed or re-emitted file continuing where its origin source
   * stopped): the lines before its start offset, read and accounted for through the origin. The
   * file's lines on disk are via_origin + lines.
   */
  via_origin: number;
}

export async function sourceReport(store: Store): Promise<SourceReport[]> {
  const rows = await listSources(store);
  return rows.map((r) => {
    let lag: number | null = null;
    if (r.kind === 'file' && r.status !== 'truncated') {
      try {
        const st = fs.statSync(r.path);
        if (String(st.ino) === r.ino) lag = Math.max(0, st.size - r.offset);
      } catch {
        lag = null;
      }
    } else if (r.kind === 'gzip' || r.kind === 'stdin') {
      lag = r.kind === 'gzip' ? 0 : null;
    }
    return {
      ...r,
      lag_bytes: lag,
      balanced: r.lines === r.stored + r.rejected + r.duplicates + r.skipped,
      via_origin: r.origin !== null ? r.start_line : 0,
    };
  });
}

export interface RejectRow {
  source_id: number;
  path: string;
  line: number;
  byte_offset: number;
  reason: string;
  raw: string;
  raw_length: number;
  rejected_at: string;
}

export interface RejectQuery {
  limit?: number;
  source?: string;
  reason?: string;
}

/** The SELECT of the rejects matching `q`, in file and line order. */
function rejectsQuery(q: RejectQuery): { where: string; params: (string | number)[]; order: string } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.source) {
    params.push(q.source);
    where.push(`contains(path, $${params.length})`);
  }
  if (q.reason) {
    params.push(q.reason);
    where.push(`contains(lower(reason), lower($${params.length}))`);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const lim = q.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
  return { where: w, params, order: `ORDER BY source_id, line ${lim}` };
}

const REJECT_COLUMNS =
  'source_id, path, line, byte_offset, reason, raw, raw_length, epoch_us(rejected_at) AS at_us';

const rejectRow = (o: Record<string, unknown>): RejectRow => ({
  source_id: Number(o.source_id),
  path: String(o.path),
  line: Number(o.line),
  byte_offset: Number(o.byte_offset),
  reason: String(o.reason),
  raw: String(o.raw),
  raw_length: Number(o.raw_length),
  rejected_at: microsToIso(Number(o.at_us)),
});

export async function listRejects(
  store: Store,
  q: RejectQuery = {},
): Promise<{ total: number; rejects: RejectRow[] }> {
  const { where, params, order } = rejectsQuery(q);
  const total = Number(
    (await store.conn.runAndReadAll(`SELECT count(*) FROM rejects ${where}`, params)).getRows()[0]![0],
  );
  const r = await store.conn.runAndReadAll(`SELECT ${REJECT_COLUMNS} FROM rejects ${where} ${order}`, params);
  return { total, rejects: r.getRowObjectsJS().map(rejectRow) };
}

/** The rejects matching `q` in chunks, in order, in bounded memory (for an export of any size). */
export function streamRejects(store: Store, q: RejectQuery = {}): AsyncGenerator<RejectRow[]> {
  const { where, params, order } = rejectsQuery(q);
  return streamSorted(store, {
    keys: `SELECT rowid FROM rejects ${where} ${order}`,
    params,
    rows: (ids, lo, hi) =>
      `SELECT ${REJECT_COLUMNS}, rowid AS row_id FROM rejects WHERE rowid BETWEEN ${lo} AND ${hi} AND rowid IN (${ids})`,
    row: rejectRow,
    key: (o) => Number(o.row_id),
  });
}
