/**
 * Writing the commit log (table `commits`): one record per write transaction, in the same
 * transaction, with the seq range and chain head it ended at, the lines it accounted for and a
 * digest of its rejects; each reject's hash goes into `reject_hashes` with the commit that wrote
 * it. integrity/commits.ts checks the store against it. Record #0 is the baseline: what the store
 * held when it was upgraded to schema 5 (nothing, for a store created since).
 */
import type { DuckDBConnection } from './duckdb.js';
import type { SourceProgress } from './writer.js';
import { REJECTS_DIGEST_AGG, REJECT_HASH_SQL, insertCommitSql } from './digests.js';

/** Per-line counts, as in `sources`. */
export const COUNTS = ['lines', 'stored', 'rejected', 'duplicates', 'skipped'] as const;
export type Counts = Record<(typeof COUNTS)[number], number>;

export interface CommitInput {
  firstSeq: number;
  lastSeq: number;
  headChain: string;
  sources: readonly SourceProgress[];
  perSource: ReadonlyMap<number, { stored: number; duplicates: number; rejected?: number }>;
}

/**
 * Record a commit in the commit log, inside the writer's open transaction.
 * The rejects this transaction wrote (those of its sources not hashed yet)
 * are hashed as part of it. A commit that read no line records nothing.
 */
export async function recordCommit(conn: DuckDBConnection, c: CommitInput): Promise<void> {
  let lines = 0;
  let skipped = 0;
  const rejecting: number[] = [];
  for (const s of c.sources) {
    lines += s.lines;
    skipped += s.skipped;
    if (s.rejected + (c.perSource.get(s.id)?.rejected ?? 0) > 0) rejecting.push(s.id);
  }
  let stored = 0;
  let duplicates = 0;
  for (const p of c.perSource.values()) {
    stored += p.stored;
    duplicates += p.duplicates;
  }
  if (lines === 0 && stored === 0) return;
  // An emptied commit log does not stop the writer (verify reports it).
  const next = '(SELECT coalesce(max(id) + 1, 0) FROM commits)';
  if (rejecting.length)
    await conn.run(
      `INSERT INTO reject_hashes SELECT ${next}, source_id, line, ${REJECT_HASH_SQL} FROM rejects r
       WHERE source_id IN (${rejecting.join(', ')})
         AND NOT EXISTS (SELECT 1 FROM reject_hashes h WHERE h.source_id = r.source_id AND h.line = r.line)`,
    );
  // Counted from the hashes just written, so the record says what the rejects table holds.
  const ofThisCommit = (agg: string, none: string) =>
    rejecting.length ? `(SELECT ${agg} FROM reject_hashes WHERE commit_id = n.id)` : none;
  await conn.run(
    insertCommitSql(`SELECT n.id, now()::TIMESTAMP AS committed_at, $1::BIGINT AS first_seq, $2::BIGINT AS last_seq,
        $3::VARCHAR AS head_chain, $4::BIGINT AS lines, $5::BIGINT AS stored, ${ofThisCommit('count(*)', '0')} AS rejected,
        $6::BIGINT AS duplicates, $7::BIGINT AS skipped, ${ofThisCommit(REJECTS_DIGEST_AGG, "sha256('')")} AS rejects_digest
      FROM (SELECT ${next} AS id) AS n`),
    [c.firstSeq, c.lastSeq, c.headChain, lines, stored, duplicates, skipped],
  );
}
