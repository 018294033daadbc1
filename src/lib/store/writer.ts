/**
 * Committing events: event rows, rejects and the new offsets of their
 * sources in one DuckDB transaction, so a crash leaves all of it or none.
 *
 * Duplicates (an event_id already stored, or twice in the transaction) are
 * found first, so that sequence numbers and the hash chain cover exactly the
 * rows that are stored. Rows go through the appender into a temp stage with
 * twelve values each; the typed columns are derived from `raw` in SQL at
 * commit (store/derive.ts).
 */
import { DuckDBTimestampValue } from './duckdb.js';
import { isOutOfMemory, isStoreFailure } from './failure.js';
import type { Store } from './open.js';
import { DERIVED_COLUMNS, deriveSelect } from './derive.js';
import { BASE_COLUMNS } from './schema.js';
import { GENESIS, HEAD_ROW, eventHash, nextChain } from './chain.js';
import { recordCommit } from './commit-log.js';
import { recordProgress, type SourceProgress } from './sources.js';
import { EVENT_TYPES } from '../schema/index.js';

export interface PendingEvent {
  eventId: string;
  tsMicros: number;
  eventType: string;
  known: boolean;
  sourceId: number;
  line: number;
  tags: string;
  raw: string;
  /** Where the line starts and its length in bytes, for the reject should DuckDB refuse the row. */
  byteOffset: number;
  bytes: number;
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

export type { SourceProgress };

export interface BatchResult {
  stored: number;
  duplicates: number;
  /** Per source id: stored, duplicates and rows DuckDB refused (rejected) of this batch. */
  perSource: Map<number, { stored: number; duplicates: number; rejected: number }>;
}

const RS = '\x1e';

/**
 * The staging table the appender fills; it lives outside the write transaction (a temp table of
 * the writing connection), so that a row DuckDB refuses at commit can be taken out and the
 * commit tried again without the events being read a second time. `byte_offset` and `bytes` are
 * there for the reject such a row becomes.
 */
const STAGE_COLUMNS =
  'seq DOUBLE, event_id VARCHAR, ts_us DOUBLE, event_type VARCHAR, known BOOLEAN, source_id INTEGER, line DOUBLE, tags VARCHAR, raw VARCHAR, chain VARCHAR, byte_offset DOUBLE, bytes DOUBLE';
const staged = (
  where: string,
) => `(SELECT seq::BIGINT AS seq, event_id, make_timestamp(ts_us::BIGINT) AS ts, event_type, known, source_id,
  line::BIGINT AS line, tags, raw, chain FROM temp.stage WHERE ${where}) AS staged`;

const deriveFrom = (where: string) =>
  deriveSelect(staged(where), [...BASE_COLUMNS.map(([n]) => n), 'hash(event_id) AS id_hash']);

/**
 * The order event types are written in at commit: the less frequent types
 * first, then any unknown type, then scheduling decisions (most rows), each
 * group in sequence order. One INSERT per group: no sort of the batch.
 */
const insertFrom = (where: string) =>
  `INSERT INTO events (${[...BASE_COLUMNS.map(([n]) => n), 'id_hash', ...DERIVED_COLUMNS.map((c) => c.name)].join(', ')})
${deriveFrom(where)}`;

/** DuckDB's rows per row group. */
export const ROW_GROUP = 122_880;

/**
 * DuckDB works on vectors of 2,048 rows and cannot spill part of one: the rows of a commit that
 * share a vector must fit in its memory together (2,048 events of 1 MiB would need 2 GiB). Events
 * up to LARGE_EVENT_BYTES make vectors of at most 4 MiB; a commit holding more than
 * LARGE_COMMIT_BYTES of larger events is committed before it grows, so no vector holds more than
 * ~12 MiB of event text, whatever the events' size (at the default 128MB --memory-limit).
 */
export const LARGE_EVENT_BYTES = 2048;
export const LARGE_COMMIT_BYTES = 8 << 20;

const TYPE_GROUPS = [
  ...EVENT_TYPES.filter((t) => t !== 'scheduling_decision').map((t) => `event_type = '${t}'`),
  `event_type NOT IN (${EVENT_TYPES.map((t) => `'${t}'`).join(', ')})`,
  `event_type = 'scheduling_decision'`,
];
export const REJECT_RAW_LIMIT = 4096;

/** The chain head and last seq of the store. */
export async function readHead(store: Store): Promise<{ seq: number; chain: string }> {
  const r = await store.conn.runAndReadAll(`SELECT seq, chain FROM events WHERE ${HEAD_ROW}`);
  const row = r.getRows()[0];
  return row ? { seq: Number(row[0]), chain: String(row[1]) } : { seq: 0, chain: GENESIS };
}

/** DuckDB failed for want of memory or disk, or the file is damaged: no row is to blame. */
export const isResourceError = (e: unknown): boolean => isStoreFailure(e) || isOutOfMemory(e);

/** The first line of a DuckDB error. */
const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim();

/**
 * One write transaction, filled by any number of `append` calls and ended by
 * `commit` (or `rollback`). Batch ingest appends sub-batches of a few
 * thousand events and commits every two DuckDB row groups (fewer when events
 * are large: batches are cut by bytes too), so the ingester holds little in
 * memory. Appended rows wait in a temp stage; at commit, in one DuckDB
 * transaction, one INSERT per event type derives their typed columns and
 * writes them grouped by type (the other types first, then scheduling
 * decisions; no sort), so a row group holds few types and scans filtered on a
 * type skip the others by their zone maps (on 3M events: analyze cost -43%,
 * report -36%, analyze sla -47%); then the rejects and the sources' new
 * offsets. Follow mode appends once and commits at once.
 *
 * Should DuckDB refuse a row while deriving it (a value it cannot convert, JSON
 * it cannot read: what validation lets through by mistake), the transaction is
 * rolled back, the refused rows are found by bisecting the stage, become
 * rejects with DuckDB's reason, the rows after them are renumbered and
 * re-chained, and the commit runs again: one line never stops a batch.
 */
export class Transaction {
  /** Rows stored in this transaction so far. */
  rows = 0;
  /** Bytes of the events and rejects appended so far. */
  bytes = 0;
  /** Bytes of the appended events larger than LARGE_EVENT_BYTES (see `needsCommit`). */
  largeBytes = 0;
  private seq = 0;
  private chain = GENESIS;
  private startHead = { seq: 0, chain: GENESIS };
  private readonly perSource = new Map<number, { stored: number; duplicates: number; rejected: number }>();
  private groupMinRows = ROW_GROUP;
  private staged = false;
  private begun = false;
  /** Ids stored by this transaction (the duplicate check's query sees only committed rows). */
  private readonly ids = new Set<string>();

  private constructor(private readonly store: Store) {}

  /**
   * `groupMinRows`: a commit of at least this many rows is written grouped by event type
   * (default one row group; smaller commits cannot give a type row groups of its own).
   */
  static async begin(store: Store, opts: { groupMinRows?: number } = {}): Promise<Transaction> {
    const t = new Transaction(store);
    t.groupMinRows = opts.groupMinRows ?? ROW_GROUP;
    t.startHead = await readHead(store);
    ({ seq: t.seq, chain: t.chain } = t.startHead);
    await store.conn.run('CREATE OR REPLACE TEMP TABLE stage_rejects AS SELECT * FROM rejects LIMIT 0');
    return t;
  }

  /** The transaction should be committed before more is appended to it. */
  needsCommit(batchRows: number): boolean {
    return this.rows >= batchRows || this.largeBytes >= LARGE_COMMIT_BYTES;
  }

  private count(id: number) {
    let c = this.perSource.get(id);
    if (!c) this.perSource.set(id, (c = { stored: 0, duplicates: 0, rejected: 0 }));
    return c;
  }

  private readonly insertSql = TYPE_GROUPS.map((where) => insertFrom(where));
  private readonly insertAllSql = insertFrom('TRUE');

  /**
   * Ids of `ids` already committed (this transaction's own ids are in `this.ids`). The scan
   * reads the 8-byte id_hash column; event_id is compared only for rows whose hash matches.
   */
  private async existing(ids: string[]): Promise<Set<string>> {
    const { conn } = this.store;
    const packed = ids.join(RS);
    const hit = await conn.runAndReadAll(
      `SELECT list(DISTINCT id_hash) FROM events
       WHERE id_hash IN (SELECT hash(unnest(string_split($1, '${RS}'))))`,
      [packed],
    );
    const hashes = (hit.getRows()[0]?.[0] as { items: unknown[] } | null | undefined)?.items;
    if (!hashes?.length) return new Set();
    const r = await conn.runAndReadAll(
      `SELECT DISTINCT event_id FROM events
       WHERE id_hash IN (SELECT unnest($2::UBIGINT[])) AND event_id IN (SELECT unnest(string_split($1, '${RS}')))`,
      [packed, `[${hashes.join(',')}]`],
    );
    return new Set(r.getRows().map((row) => String(row[0])));
  }

  /** Add events (duplicates dropped, sequence numbers and chain assigned in input order) and rejects. */
  async append(events: PendingEvent[], rejects: PendingReject[]): Promise<void> {
    const { conn } = this.store;
    // 1. duplicates: within the batch, then against the store (and this transaction)
    const firstById = new Map<string, PendingEvent>();
    for (const e of events) {
      if (firstById.has(e.eventId)) this.count(e.sourceId).duplicates++;
      else firstById.set(e.eventId, e);
    }
    let unique = [...firstById.values()];
    if (unique.length) {
      const existing = await this.existing(unique.map((e) => e.eventId));
      unique = unique.filter((e) => {
        if (!existing.has(e.eventId) && !this.ids.has(e.eventId)) return true;
        this.count(e.sourceId).duplicates++;
        return false;
      });
    }
    // 2. rows, with sequence numbers and the chain, in input order
    if (unique.length) {
      if (!this.staged) await conn.run(`CREATE OR REPLACE TEMP TABLE stage (${STAGE_COLUMNS})`);
      this.staged = true;
      const app = await conn.createAppender('stage', 'main', 'temp');
      let { seq, chain } = this;
      for (const e of unique) {
        seq++;
        chain = nextChain(chain, eventHash(e, seq));
        // Numbers go in as DOUBLE (exact below 2^53) and are cast in SQL: no BigInt per value.
        app.appendDouble(seq);
        app.appendVarchar(e.eventId);
        app.appendDouble(e.tsMicros);
        app.appendVarchar(e.eventType);
        app.appendBoolean(e.known);
        app.appendInteger(e.sourceId);
        app.appendDouble(e.line);
        app.appendVarchar(e.tags);
        app.appendVarchar(e.raw);
        app.appendVarchar(chain);
        app.appendDouble(e.byteOffset);
        app.appendDouble(e.bytes);
        app.endRow();
        this.count(e.sourceId).stored++;
        this.ids.add(e.eventId);
        this.bytes += e.bytes;
        if (e.bytes > LARGE_EVENT_BYTES) this.largeBytes += e.bytes;
      }
      app.flushSync();
      app.closeSync();
      this.seq = seq;
      this.chain = chain;
      this.rows += unique.length;
    }
    // 3. rejects
    if (rejects.length) {
      const app = await conn.createAppender('stage_rejects', 'main', 'temp');
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
        this.bytes += Math.min(r.rawLength, REJECT_RAW_LIMIT);
      }
      app.flushSync();
      app.closeSync();
    }
  }

  /** Record the sources' new offsets and counts, and commit everything appended. */
  async commit(sources: SourceProgress[]): Promise<BatchResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(sources);
        break;
      } catch (e) {
        await this.rollback();
        // A refused row: take it out and try again (each attempt removes at least one row).
        if (isResourceError(e) || !this.staged || attempt > 1000 || !(await this.removeRefused(e))) throw e;
      }
    }
    await this.dropStage();
    let duplicates = 0;
    for (const c of this.perSource.values()) duplicates += c.duplicates;
    return { stored: this.rows, duplicates, perSource: this.perSource };
  }

  private async write(sources: SourceProgress[]): Promise<void> {
    const { conn } = this.store;
    await conn.run('BEGIN TRANSACTION');
    this.begun = true;
    // One writer at a time (the writer lease), so nothing can have been committed since begin().
    const head = await readHead(this.store);
    if (head.seq !== this.startHead.seq || head.chain !== this.startHead.chain) {
      throw new Error(
        `the store was written by another process while this batch was prepared (seq ${this.startHead.seq} -> ${head.seq})`,
      );
    }
    if (this.staged && this.rows) {
      // Grouping pays off only when a commit fills row groups; small (follow mode) commits go in
      // with one statement, in sequence order.
      if (this.rows >= this.groupMinRows) for (const sql of this.insertSql) await conn.run(sql);
      else await conn.run(this.insertAllSql);
    }
    await conn.run('INSERT INTO rejects SELECT * FROM temp.stage_rejects');
    for (const s of sources) {
      const c = this.perSource.get(s.id) ?? { stored: 0, duplicates: 0, rejected: 0 };
      await recordProgress(conn, s, c);
    }
    await recordCommit(conn, {
      firstSeq: this.startHead.seq + 1,
      lastSeq: this.seq,
      headChain: this.chain,
      sources,
      perSource: this.perSource,
    });
    await conn.run('COMMIT');
    this.begun = false;
  }

  /**
   * After a failed commit: find the staged rows DuckDB cannot derive (bisecting by seq), make
   * them rejects, and renumber and re-chain the rows after the first of them. False when no
   * single row is to blame.
   */
  private async removeRefused(cause: unknown): Promise<boolean> {
    const { conn } = this.store;
    const first = this.startHead.seq + 1;
    const bad = await this.refusedRows(first, this.seq, firstLine(cause));
    if (!bad.size) return false;
    for (const [seq, reason] of bad) {
      const r = await conn.runAndReadAll(
        `SELECT s.source_id, coalesce(src.path, '?') AS path, s.line, s.byte_offset, s.raw, s.bytes, s.event_id, s.event_type
         FROM temp.stage s LEFT JOIN sources src ON src.id = s.source_id WHERE s.seq = $1`,
        [seq],
      );
      const o = r.getRowObjectsJS()[0]!;
      await conn.run(`INSERT INTO temp.stage_rejects VALUES ($1, $2, $3, $4, $5, $6, $7, now()::TIMESTAMP)`, [
        Number(o.source_id),
        String(o.path),
        Number(o.line),
        Number(o.byte_offset),
        `${String(o.event_type)}: the store cannot hold this event: ${reason}`,
        truncateUtf8(String(o.raw), REJECT_RAW_LIMIT),
        Number(o.bytes),
      ]);
      await conn.run('DELETE FROM temp.stage WHERE seq = $1', [seq]);
      const c = this.count(Number(o.source_id));
      c.stored--;
      c.rejected++;
      this.ids.delete(String(o.event_id));
      this.rows--;
    }
    await this.renumber(Math.min(...bad.keys()));
    return true;
  }

  /** Bisect seq lo..hi of the stage for the rows whose derivation DuckDB refuses. */
  private async refusedRows(lo: number, hi: number, reason: string, out = new Map<number, string>()) {
    if (lo > hi) return out;
    const { conn } = this.store;
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE probe AS ${deriveFrom(`seq BETWEEN ${lo} AND ${hi}`)}`);
      await conn.run('DROP TABLE IF EXISTS temp.probe');
      return out;
    } catch (e) {
      if (isResourceError(e)) throw e;
      if (lo === hi) {
        out.set(lo, firstLine(e) || reason);
        return out;
      }
    }
    const mid = Math.floor((lo + hi) / 2);
    await this.refusedRows(lo, mid, reason, out);
    await this.refusedRows(mid + 1, hi, reason, out);
    return out;
  }

  /** Give the staged rows from `from` on consecutive sequence numbers and their chain again. */
  private async renumber(from: number): Promise<void> {
    const { conn } = this.store;
    let seq = from - 1;
    let chain = this.startHead.chain;
    if (seq > this.startHead.seq) {
      const r = await conn.runAndReadAll('SELECT chain FROM temp.stage WHERE seq = $1', [seq]);
      chain = String(r.getRows()[0]![0]);
    }
    await conn.run('CREATE OR REPLACE TEMP TABLE renumbered (old DOUBLE, seq DOUBLE, chain VARCHAR)');
    const app = await conn.createAppender('renumbered', 'main', 'temp');
    const rows = await conn.stream(
      `SELECT seq, event_id, ts_us, event_type, source_id, line, tags, raw FROM temp.stage WHERE seq > $1 ORDER BY seq`,
      [from - 1],
    );
    for await (const chunk of rows.yieldRowsJs()) {
      for (const r of chunk) {
        seq++;
        const row = {
          eventId: String(r[1]),
          tsMicros: Number(r[2]),
          eventType: String(r[3]),
          sourceId: Number(r[4]),
          line: Number(r[5]),
          tags: String(r[6]),
          raw: String(r[7]),
        };
        chain = nextChain(chain, eventHash(row, seq));
        app.appendDouble(Number(r[0]));
        app.appendDouble(seq);
        app.appendVarchar(chain);
        app.endRow();
      }
    }
    app.flushSync();
    app.closeSync();
    await conn.run(
      'UPDATE temp.stage SET seq = n.seq, chain = n.chain FROM temp.renumbered n WHERE temp.stage.seq = n.old',
    );
    await conn.run('DROP TABLE temp.renumbered');
    this.seq = seq;
    this.chain = chain;
  }

  private async dropStage(): Promise<void> {
    // Dropping the stage frees its memory (deleted rows of a temp table stay until the process ends).
    if (this.staged) await this.store.conn.run('DROP TABLE IF EXISTS temp.stage');
    await this.store.conn.run('DROP TABLE IF EXISTS temp.stage_rejects');
    this.staged = false;
  }

  async rollback(): Promise<void> {
    if (this.begun) await this.store.conn.run('ROLLBACK').catch(() => undefined);
    this.begun = false;
  }

  /** Give up the transaction: nothing appended is kept. */
  async abandon(): Promise<void> {
    await this.rollback();
    await this.dropStage().catch(() => undefined);
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
