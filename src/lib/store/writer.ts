/**
 * Committing events: event rows, rejects and the new offsets of their
 * sources in one DuckDB transaction, so a crash leaves all of it or none.
 *
 * Rows wait in a temp stage (outside the transaction) until commit, filled by
 * the appender (`append`) or, in bulk, by DuckDB reading a stage file that a
 * parse worker wrote (`appendStageFile`, ingest/blocks.ts). At commit,
 * everything else is SQL, in DuckDB's threads: duplicates (an event_id
 * already stored, or earlier in the stage) are dropped, the rest get their
 * sequence numbers in stage order, their row hashes and chain values, and are
 * written one event type at a time, each type's typed columns derived from
 * `raw` by that type's expressions only (store/derive.ts).
 */
import fs from 'node:fs';
import { DuckDBTimestampValue } from './duckdb.js';
import { isOutOfMemory, isStoreFailure } from './failure.js';
import type { Store } from './open.js';
import { DERIVED_COLUMNS, deriveSelect, deriveTypeSelect } from './derive.js';
import { BASE_COLUMNS } from './schema.js';
import { GENESIS, HEAD_ROW, commitHead, rowChainSql, rowHash } from './chain.js';
import { recordCommit } from './commit-log.js';
import { recordProgress, type SourceProgress } from './sources.js';
import {
  LARGE_COMMIT_BYTES,
  LARGE_EVENT_BYTES,
  REJECT_RAW_LIMIT,
  STAGE_COLUMNS,
  TYPE_GROUPS,
  typeGroup,
  truncateUtf8,
  type PendingEvent,
  type PendingReject,
} from './stage.js';

export {
  LARGE_COMMIT_BYTES,
  LARGE_EVENT_BYTES,
  REJECT_RAW_LIMIT,
  STAGE_COLUMNS,
  truncateUtf8,
  type PendingEvent,
  type PendingReject,
};

export type { SourceProgress };

export interface BatchResult {
  stored: number;
  duplicates: number;
  /** The seqs the commit stored: first..last (last = first - 1 when it stored none). */
  firstSeq: number;
  lastSeq: number;
  /** Per source id: stored, duplicates and rows DuckDB refused (rejected) of this batch. */
  perSource: Map<number, { stored: number; duplicates: number; rejected: number }>;
}

/**
 * Load stage files (their rows carry their stage positions) into the stage, in one read; each
 * file's tag indexes become the transaction's tag codes through `stage_tagmap`.
 */
const stageFilesSql = (group: number, files: readonly string[]) => {
  const columns = STAGE_COLUMNS.map(([n, t]) => `'${n}': '${t}'`).join(', ');
  const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
  const cols = STAGE_COLUMNS.map(([n]) => (n === 'tag' ? 'm.code' : `c.${n}`)).join(', ');
  return `INSERT INTO temp.stage_${group} SELECT ${cols}
    FROM read_csv([${list}], delim = '\x1f', quote = '', escape = '', header = false, new_line = '\\n',
      auto_detect = false, strict_mode = true, filename = true, columns = {${columns}}) AS c
    JOIN temp.stage_tagmap m ON m.filename = c.filename AND m.local = c.tag`;
};

/** Stage files are loaded at commit, or once this many wait. */
const STAGE_FILES_PER_LOAD = 64;

/** DuckDB's rows per row group. */
export const ROW_GROUP = 122_880;

const GROUPS = TYPE_GROUPS.map((_, g) => g);
const ALL_STAGES = (cols: string) =>
  `(${GROUPS.map((g) => `SELECT ${cols.replaceAll('%G%', String(g))} FROM temp.stage_${g}`).join(' UNION ALL ')})`;
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

const INSERT_COLUMNS = [...BASE_COLUMNS.map(([n]) => n), 'id_hash', ...DERIVED_COLUMNS.map((c) => c.name)];

/**
 * Which rows of the stage to store, and their numbers: one row per stage row, in each stage
 * table's own order (`marks_G` is read beside `stage_G` with a POSITIONAL JOIN, so no hash table
 * ever holds the events' text), `seq` set for the first of each event_id in stage position order
 * unless the store holds it already, NULL for a duplicate. The scan of the store reads its
 * 8-byte id_hash column; event_id is compared only where a hash matches.
 */
const MARKS_SQL = `CREATE OR REPLACE TEMP TABLE marks AS
  WITH st AS ${ALL_STAGES('%G% AS g, rowid AS r, pos, event_id')},
       firsts AS (SELECT event_id, min(pos) AS pos FROM st GROUP BY event_id),
       stored AS (SELECT event_id FROM events WHERE id_hash IN (SELECT hash(event_id) FROM firsts)),
       keep AS (SELECT pos, (row_number() OVER (ORDER BY pos) + $1)::BIGINT AS seq FROM firsts
                WHERE event_id NOT IN (SELECT event_id FROM stored))
  SELECT st.g, st.r, keep.seq FROM st LEFT JOIN keep USING (pos)`;
const groupMarksSql = (g: number) =>
  `CREATE OR REPLACE TEMP TABLE marks_${g} AS SELECT seq FROM temp.marks WHERE g = ${g} ORDER BY r`;

/**
 * The rows of stage table `g` to store, with the columns of `events` and each row's hash
 * (chain.ts, staged). The tags texts come from parameter $4 (TAGS_PARAM), by code; without `tags`
 * the column is left out (counting and hashing need no parameter).
 */
const keptRows = (
  g: number,
  tags = false,
) => `(SELECT m.seq, s.event_id, make_timestamp(s.ts_us::BIGINT) AS ts,
      s.event_type, s.known, s.source_id, s.line::BIGINT AS line,
      ${tags ? 'string_split($4, chr(30))[s.tag + 1]' : 'NULL::VARCHAR'} AS tags, s.raw, hash(s.event_id) AS id_hash, s.row_hash
    FROM temp.stage_${g} s POSITIONAL JOIN temp.marks_${g} m WHERE m.seq IS NOT NULL)`;
/** Separates the tags texts in the tags parameter (JSON text never holds it raw). */
const TAGS_SEPARATOR = '\x1e';
const allKept = (tags = false) =>
  `(${GROUPS.map((g) => `SELECT * FROM ${keptRows(g, tags)}`).join(' UNION ALL ')})`;

/**
 * One write transaction, filled by any number of `append` / `appendStageFile`
 * calls and ended by `commit` (or `rollback`). Batch ingest stages the events
 * of a few hundred thousand lines and commits (every two DuckDB row groups,
 * fewer when events are large: batches are cut by bytes too), so the
 * ingester holds little in memory. At commit, in one DuckDB transaction, the
 * rows are numbered and chained (chain.ts: each row's chain binds it to the
 * previous commit's head; the last row's is the commit's head, over the
 * digest of all its row hashes), written one event type at a time (the other
 * types first, then scheduling decisions, each in stage order, so a row group
 * holds few types and scans filtered on a type skip the others by their zone
 * maps; sorting a group by workload as well ran out of DuckDB's 128 MB at the
 * default batch, as the sort holds the events' text); then the rejects and the
 * sources' new offsets, and the commit record. Follow mode appends once and
 * commits at once.
 *
 * Should DuckDB refuse a row while deriving it (a value it cannot convert, JSON
 * it cannot read: what validation lets through by mistake), the transaction is
 * rolled back, the refused rows are found by bisecting the stage, become
 * rejects with DuckDB's reason, and the commit runs again (the numbering and
 * the chain are computed at commit, so nothing needs renumbering): one line
 * never stops a batch.
 */
export class Transaction {
  /** Rows staged in this transaction so far (duplicates are known at commit). */
  rows = 0;
  /** Bytes of the events and rejects appended so far. */
  bytes = 0;
  /** Bytes of the appended events larger than LARGE_EVENT_BYTES (see `needsCommit`). */
  largeBytes = 0;
  /** Stage files not loaded yet, per type group (stage.ts TYPE_GROUPS). */
  private stageFiles: string[][] = GROUPS.map(() => []);
  /** Their tag indexes' codes, per file. */
  private fileTags = new Map<string, number[]>();
  /** The code of each distinct tags text staged (their order: codes 0, 1, ...). */
  private readonly tagCodes = new Map<string, number>();
  private stageFileCount = 0;
  private startHead = { seq: 0, chain: GENESIS };
  private endHead = { seq: 0, chain: GENESIS };
  /** Per source: rows staged, rows refused by DuckDB (stored and duplicates are counted at commit). */
  private readonly staged = new Map<number, { rows: number; refused: number }>();
  private perSource = new Map<number, { stored: number; duplicates: number; rejected: number }>();
  private groupMinRows = ROW_GROUP;
  private stageCreated = false;
  private begun = false;

  private constructor(private readonly store: Store) {}

  /**
   * `groupMinRows`: a commit of at least this many rows is written grouped by event type
   * (default one row group; smaller commits cannot give a type row groups of its own).
   */
  static async begin(store: Store, opts: { groupMinRows?: number } = {}): Promise<Transaction> {
    const t = new Transaction(store);
    t.groupMinRows = opts.groupMinRows ?? ROW_GROUP;
    t.startHead = await readHead(store);
    await store.conn.run('CREATE OR REPLACE TEMP TABLE stage_rejects AS SELECT * FROM rejects LIMIT 0');
    return t;
  }

  /** The transaction should be committed before more is appended to it. */
  needsCommit(batchRows: number): boolean {
    return this.rows >= batchRows || this.largeBytes >= LARGE_COMMIT_BYTES;
  }

  private count(id: number) {
    let c = this.staged.get(id);
    if (!c) this.staged.set(id, (c = { rows: 0, refused: 0 }));
    return c;
  }

  private async createStage(): Promise<void> {
    if (this.stageCreated) return;
    for (const g of GROUPS) {
      await this.store.conn.run(
        `CREATE OR REPLACE TEMP TABLE stage_${g} (${STAGE_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`,
      );
    }
    this.tagCodes.clear();
    this.stageCreated = true;
  }

  /** The code of a tags text in this transaction. */
  private async tagCode(tags: string): Promise<number> {
    await this.createStage();
    let code = this.tagCodes.get(tags);
    if (code === undefined) {
      code = this.tagCodes.size;
      this.tagCodes.set(tags, code);
    }
    return code;
  }

  /** Account for `n` rows of source `sourceId` taking `bytes` bytes (`large` of them in large events). */
  private took(sourceId: number, n: number, bytes: number, large: number): void {
    this.count(sourceId).rows += n;
    this.rows += n;
    this.bytes += bytes;
    this.largeBytes += large;
  }

  /**
   * Stage the rows of a stage file (`STAGE_COLUMNS`, positions included) of one type group; it is
   * loaded with others at commit, and removed then. `perSource`: its rows, bytes and large-event
   * bytes per source.
   */
  async appendStageFile(
    file: string,
    group: number,
    tags: readonly string[],
    perSource: ReadonlyMap<number, { rows: number; bytes: number; large: number }>,
  ): Promise<void> {
    const codes: number[] = [];
    for (const t of tags) codes.push(await this.tagCode(t));
    this.fileTags.set(file, codes);
    this.stageFiles[group]!.push(file);
    this.stageFileCount++;
    for (const [id, c] of perSource) this.took(id, c.rows, c.bytes, c.large);
    if (this.stageFileCount >= STAGE_FILES_PER_LOAD) await this.loadStageFiles();
  }

  private async loadStageFiles(): Promise<void> {
    if (!this.stageFileCount) return;
    await this.createStage();
    const { conn } = this.store;
    await conn.run(
      'CREATE OR REPLACE TEMP TABLE stage_tagmap (filename VARCHAR, local INTEGER, code INTEGER)',
    );
    const map = await conn.createAppender('stage_tagmap', 'main', 'temp');
    for (const [file, codes] of this.fileTags) {
      codes.forEach((code, local) => {
        map.appendVarchar(file);
        map.appendInteger(local);
        map.appendInteger(code);
        map.endRow();
      });
    }
    map.flushSync();
    map.closeSync();
    this.fileTags.clear();
    for (const g of GROUPS) {
      const files = this.stageFiles[g]!;
      if (!files.length) continue;
      await this.store.conn.run(stageFilesSql(g, files));
      this.stageFiles[g] = [];
      for (const f of files) fs.rmSync(f, { force: true });
    }
    this.stageFileCount = 0;
  }

  /** Stage events (in input order, positions from `first` on) and rejects. */
  async append(events: PendingEvent[], rejects: PendingReject[], first = 0): Promise<void> {
    await this.appendAt(
      events.map((e, i) => ({ pos: first + i, e })),
      rejects,
    );
  }

  /** Append events of one type group to its stage table. */
  private async appendGroup(g: number, events: readonly { pos: number; e: PendingEvent }[]): Promise<void> {
    const codes = new Map<string, number>();
    for (const { e } of events) if (!codes.has(e.tags)) codes.set(e.tags, await this.tagCode(e.tags));
    const app = await this.store.conn.createAppender(`stage_${g}`, 'main', 'temp');
    for (const { pos, e } of events) {
      app.appendDouble(pos);
      app.appendVarchar(e.eventId);
      app.appendDouble(e.tsMicros);
      app.appendVarchar(e.eventType);
      app.appendBoolean(e.known);
      app.appendInteger(e.sourceId);
      app.appendDouble(e.line);
      app.appendInteger(codes.get(e.tags)!);
      app.appendVarchar(e.raw);
      app.appendDouble(e.byteOffset);
      app.appendDouble(e.bytes);
      app.appendVarchar(e.rowHash ?? rowHash(e));
      app.endRow();
      this.took(e.sourceId, 1, e.bytes, e.bytes > LARGE_EVENT_BYTES ? e.bytes : 0);
    }
    app.flushSync();
    app.closeSync();
  }

  /** Stage events at the positions given (blocks of BLOCK_POSITIONS, store/stage.ts), and rejects. */
  async appendAt(
    events: readonly { pos: number; e: PendingEvent }[],
    rejects: PendingReject[],
  ): Promise<void> {
    const { conn } = this.store;
    if (events.length) {
      await this.createStage();
      const byGroup = GROUPS.map(() => [] as { pos: number; e: PendingEvent }[]);
      for (const x of events) byGroup[typeGroup(x.e.eventType)]!.push(x);
      for (const g of GROUPS) if (byGroup[g]!.length) await this.appendGroup(g, byGroup[g]!);
    }
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
    await this.loadStageFiles();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.write(sources);
        break;
      } catch (e) {
        await this.rollback();
        // A refused row: take it out and try again (each attempt removes at least one row).
        if (isResourceError(e) || !this.stageCreated || attempt > 1000 || !(await this.removeRefused(e)))
          throw e;
      }
    }
    await this.dropStage();
    let stored = 0;
    let duplicates = 0;
    for (const c of this.perSource.values()) {
      stored += c.stored;
      duplicates += c.duplicates;
    }
    return {
      stored,
      duplicates,
      firstSeq: this.startHead.seq + 1,
      lastSeq: this.endHead.seq,
      perSource: this.perSource,
    };
  }

  /** Rows to store per source, with the staged and refused counts: stored and duplicates. */
  private async countKept(): Promise<void> {
    const r = await this.store.conn.runAndReadAll(
      `SELECT source_id, count(*) FROM ${allKept()} AS kept GROUP BY ALL`,
    );
    const stored = new Map(r.getRows().map((row) => [Number(row[0]), Number(row[1])]));
    this.perSource = new Map();
    for (const [id, c] of this.staged) {
      const s = stored.get(id) ?? 0;
      this.perSource.set(id, { stored: s, duplicates: c.rows - c.refused - s, rejected: c.refused });
    }
  }

  /** Number and chain the rows to store (chain.ts), and write them one type group at a time. */
  private async insertRows(): Promise<void> {
    const { conn } = this.store;
    await conn.run(MARKS_SQL, [this.startHead.seq]);
    for (const g of GROUPS) await conn.run(groupMarksSql(g));
    await this.countKept();
    const r = await conn.runAndReadAll(
      `SELECT count(*), coalesce(max(seq), 0), sha256(coalesce(string_agg(row_hash, '' ORDER BY seq), ''))
       FROM ${allKept()} AS kept`,
    );
    const [n, last, digest] = r.getRows()[0]!;
    if (!Number(n)) return;
    const head = commitHead(this.startHead.chain, String(digest));
    this.endHead = { seq: Number(last), chain: head };
    const chained = (rows: string) =>
      `(SELECT *, ${rowChainSql('$1', '$2', '$3')} AS chain FROM ${rows} AS kept) AS chained`;
    const params = [this.startHead.chain, Number(last), head, [...this.tagCodes.keys()].join(TAGS_SEPARATOR)];
    const pass = [...BASE_COLUMNS.map(([c]) => c), 'id_hash'];
    const insert = (g: number) =>
      `INSERT INTO events (${INSERT_COLUMNS.join(', ')})
       ${deriveTypeSelect(chained(keptRows(g, true)), TYPE_GROUPS[g]!, pass)}`;
    // Grouping pays off only when a commit fills row groups; small (follow mode) commits go in
    // with one statement, in stage order (type group, then read order). Not sorted by seq: the
    // sort held the whole commit, event text included, and ran out of the default 128MB from
    // ~35,000 events on. Readers order by seq; a commit's seqs are contiguous either way.
    if (Number(n) >= this.groupMinRows) {
      for (const g of GROUPS) await conn.run(insert(g), params);
    } else {
      await conn.run(
        `INSERT INTO events (${INSERT_COLUMNS.join(', ')})
         ${deriveSelect(chained(allKept(true)), pass)}`,
        params,
      );
    }
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
    this.endHead = this.startHead;
    this.perSource = new Map(
      [...this.staged].map(([id, c]) => [id, { stored: 0, duplicates: 0, rejected: c.refused }]),
    );
    if (this.stageCreated && this.rows) await this.insertRows();
    await conn.run('INSERT INTO rejects SELECT * FROM temp.stage_rejects');
    for (const s of sources) {
      const c = this.perSource.get(s.id) ?? { stored: 0, duplicates: 0, rejected: 0 };
      await recordProgress(conn, s, c);
    }
    await recordCommit(conn, {
      firstSeq: this.startHead.seq + 1,
      lastSeq: this.endHead.seq,
      headChain: this.endHead.chain,
      sources,
      perSource: this.perSource,
    });
    for (const t of ['marks', ...GROUPS.map((g) => `marks_${g}`)])
      await conn.run(`DROP TABLE IF EXISTS temp.${t}`);
    await conn.run('COMMIT');
    this.begun = false;
  }

  /**
   * After a failed commit: find the staged rows DuckDB cannot derive (bisecting by stage
   * position) and make them rejects. False when no single row is to blame.
   */
  private async removeRefused(cause: unknown): Promise<boolean> {
    const { conn } = this.store;
    const r0 = await conn.runAndReadAll(
      `SELECT coalesce(min(pos), 0), coalesce(max(pos), -1) FROM ${ALL_STAGES('pos')} AS st`,
    );
    const [lo, hi] = r0.getRows()[0]!.map(Number) as [number, number];
    const bad = await this.refusedRows(lo, hi, firstLine(cause));
    if (!bad.size) return false;
    for (const [pos, reason] of bad) {
      const r = await conn.runAndReadAll(
        `SELECT s.source_id, coalesce(src.path, '?') AS path, s.line, s.byte_offset, s.raw, s.bytes, s.event_type
         FROM ${ALL_STAGES('*')} s LEFT JOIN sources src ON src.id = s.source_id WHERE s.pos = $1`,
        [pos],
      );
      for (const o of r.getRowObjectsJS()) {
        await conn.run(
          `INSERT INTO temp.stage_rejects VALUES ($1, $2, $3, $4, $5, $6, $7, now()::TIMESTAMP)`,
          [
            Number(o.source_id),
            String(o.path),
            Number(o.line),
            Number(o.byte_offset),
            `${String(o.event_type)}: the store cannot hold this event: ${reason}`,
            truncateUtf8(String(o.raw), REJECT_RAW_LIMIT),
            Number(o.bytes),
          ],
        );
        this.count(Number(o.source_id)).refused++;
      }
      for (const g of GROUPS) await conn.run(`DELETE FROM temp.stage_${g} WHERE pos = $1`, [pos]);
    }
    return true;
  }

  /** Bisect stage positions lo..hi for the rows whose derivation DuckDB refuses. */
  private async refusedRows(lo: number, hi: number, reason: string, out = new Map<number, string>()) {
    if (lo > hi) return out;
    const { conn } = this.store;
    try {
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE probe AS ${deriveSelect(
          `(SELECT * FROM ${ALL_STAGES('*')} AS st WHERE pos BETWEEN ${lo} AND ${hi}) AS staged`,
          // what keptRows converts, then the derivation
          ['make_timestamp(ts_us::BIGINT) AS ts', 'line::BIGINT AS line_no', 'hash(event_id) AS id_hash'],
        )}`,
      );
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

  private async dropStage(): Promise<void> {
    // Dropping the stage frees its memory (deleted rows of a temp table stay until the process ends).
    if (this.stageCreated) {
      for (const t of [...GROUPS.map((g) => `stage_${g}`), 'stage_tagmap'])
        await this.store.conn.run(`DROP TABLE IF EXISTS temp.${t}`);
    }
    await this.store.conn.run('DROP TABLE IF EXISTS temp.stage_rejects');
    this.stageCreated = false;
  }

  async rollback(): Promise<void> {
    if (this.begun) await this.store.conn.run('ROLLBACK').catch(() => undefined);
    this.begun = false;
  }

  /** Give up the transaction: nothing appended is kept. */
  async abandon(): Promise<void> {
    for (const f of this.stageFiles.flat()) fs.rmSync(f, { force: true });
    this.stageFiles = GROUPS.map(() => []);
    this.fileTags.clear();
    this.stageFileCount = 0;
    await this.rollback();
    await this.dropStage().catch(() => undefined);
  }
}
