/**
 * Committing a batch: event rows, rejects and the new offsets of their
 * sources in one DuckDB transaction, so a crash leaves all of it or none.
 *
 * Duplicates (an event_id already stored, or twice in the batch) are found
 * first, so that sequence numbers and the hash chain cover exactly the rows
 * that are stored. Rows go in as a handful of packed column strings split by
 * DuckDB (one value per column per batch, not per row); the typed columns
 * are then derived from `raw` in SQL (store/derive.ts).
 */
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { Store } from './open.js';
import { deriveSelect } from './derive.js';
import { BASE_COLUMNS, EVENT_COLUMNS } from './schema.js';
import { GENESIS, eventHash, nextChain } from '../integrity/chain.js';

export interface PendingEvent {
  eventId: string;
  tsMicros: number;
  eventType: string;
  known: boolean;
  sourceId: number;
  line: number;
  tags: string;
  raw: string;
}

export interface PendingReject {
  sourceId: number;
  path: string;
  line: number;
  byteOffset: number;
  reason: string;
  raw: string;
  rawLength: number;
}

/** What a batch did to one source: its new offset and the counts to add. */
export interface SourceProgress {
  id: number;
  offset: number;
  size?: number;
  status?: string;
  lines: number;
  rejected: number;
  skipped: number;
}

export interface BatchResult {
  stored: number;
  duplicates: number;
  /** Per source id: stored and duplicates of this batch. */
  perSource: Map<number, { stored: number; duplicates: number }>;
}

const RS = '\x1e';
export const REJECT_RAW_LIMIT = 4096;

/** The chain head and last seq of the store. */
export async function readHead(store: Store): Promise<{ seq: number; chain: string }> {
  const r = await store.conn.runAndReadAll('SELECT seq, chain FROM events ORDER BY seq DESC LIMIT 1');
  const row = r.getRows()[0];
  return row ? { seq: Number(row[0]), chain: String(row[1]) } : { seq: 0, chain: GENESIS };
}

export class BatchWriter {
  constructor(private readonly store: Store) {}

  /**
   * The staging table the appender fills; typed columns are derived from it
   * in SQL. It lives for one batch: dropping it frees its memory (deleted
   * rows of a temp table would stay in memory until the process ends).
   */
  private async stage(): Promise<void> {
    await this.store.conn.run(
      `CREATE OR REPLACE TEMP TABLE stage (${BASE_COLUMNS.map(([n, t]) => `${n} ${t.replace(' NOT NULL', '')}`).join(', ')})`,
    );
  }

  private readonly insertSql = `INSERT INTO events (${EVENT_COLUMNS.join(', ')})
${deriveSelect(
  'temp.stage',
  BASE_COLUMNS.map(([n]) => n),
)}`;

  async commit(
    events: PendingEvent[],
    rejects: PendingReject[],
    sources: SourceProgress[],
  ): Promise<BatchResult> {
    const { conn } = this.store;
    const perSource = new Map<number, { stored: number; duplicates: number }>();
    const count = (id: number) => {
      let c = perSource.get(id);
      if (!c) perSource.set(id, (c = { stored: 0, duplicates: 0 }));
      return c;
    };

    // 1. duplicates: within the batch, then against the store
    const firstById = new Map<string, PendingEvent>();
    for (const e of events) {
      if (firstById.has(e.eventId)) count(e.sourceId).duplicates++;
      else firstById.set(e.eventId, e);
    }
    let unique = [...firstById.values()];
    if (unique.length) {
      const r = await conn.runAndReadAll(
        `SELECT DISTINCT event_id FROM events WHERE event_id IN (SELECT unnest(string_split($1, '${RS}')))`,
        [unique.map((e) => e.eventId).join(RS)],
      );
      const existing = new Set(r.getRows().map((row) => String(row[0])));
      if (existing.size) {
        unique = unique.filter((e) => {
          if (!existing.has(e.eventId)) return true;
          count(e.sourceId).duplicates++;
          return false;
        });
      }
    }

    // 2. one transaction: rows (with sequence numbers and the chain, in input order), rejects, offsets
    await conn.run('BEGIN TRANSACTION');
    // The head is read inside the transaction: another writer may have committed since our last batch.
    let { seq, chain } = await readHead(this.store);
    try {
      if (unique.length) {
        await this.stage();
        const app = await conn.createAppender('stage', 'main', 'temp');
        for (const e of unique) {
          seq++;
          chain = nextChain(chain, eventHash(e, seq));
          app.appendBigInt(BigInt(seq));
          app.appendVarchar(e.eventId);
          app.appendTimestamp(new DuckDBTimestampValue(BigInt(e.tsMicros)));
          app.appendVarchar(e.eventType);
          app.appendBoolean(e.known);
          app.appendInteger(e.sourceId);
          app.appendBigInt(BigInt(e.line));
          app.appendVarchar(e.tags);
          app.appendVarchar(e.raw);
          app.appendVarchar(chain);
          app.endRow();
          count(e.sourceId).stored++;
        }
        app.flushSync();
        app.closeSync();
        await conn.run(this.insertSql);
        await conn.run('DROP TABLE temp.stage');
      }
      if (rejects.length) {
        const app = await conn.createAppender('rejects');
        const at = new DuckDBTimestampValue(BigInt(Date.now()) * 1000n);
        for (const r of rejects) {
          app.appendInteger(r.sourceId);
          app.appendVarchar(r.path);
          app.appendBigInt(BigInt(r.line));
          app.appendBigInt(BigInt(r.byteOffset));
          app.appendVarchar(r.reason);
          app.appendVarchar(truncateUtf8(r.raw, REJECT_RAW_LIMIT));
          app.appendBigInt(BigInt(r.rawLength));
          app.appendTimestamp(at);
          app.endRow();
        }
        app.flushSync();
        app.closeSync();
      }
      for (const s of sources) {
        const c = perSource.get(s.id) ?? { stored: 0, duplicates: 0 };
        await conn.run(
          `UPDATE sources SET "offset" = $2, size = coalesce($3, size), status = coalesce($4, status),
             lines = lines + $5, stored = stored + $6, rejected = rejected + $7, duplicates = duplicates + $8,
             skipped = skipped + $9, last_read = now()::TIMESTAMP
           WHERE id = $1`,
          [
            s.id,
            s.offset,
            s.size ?? null,
            s.status ?? null,
            s.lines,
            c.stored,
            s.rejected,
            c.duplicates,
            s.skipped,
          ],
        );
      }
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
    const stored = unique.length;
    return { stored, duplicates: events.length - stored, perSource };
  }
}

/** The first `limit` bytes of `text` as UTF-8, cut on a character boundary. */
export function truncateUtf8(text: string, limit: number): string {
  if (text.length * 3 <= limit) return text;
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return text;
  let end = limit;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end);
}
