/**
 * SQL digests of the store's own records, beside the hash chain over events
 * (chain.ts): each reject row, the rejects of one commit, a commit record,
 * a verification record. Each is computed by DuckDB from the row's columns
 * with one expression, used both when the row is written and by `verify`,
 * so the two cannot drift apart. Fields are joined with the unit separator
 * (0x1f), as the event hash is.
 */
import { GENESIS, HEAD_ROW } from './chain.js';

/** sha256 over the columns, each cast to text; NULL becomes ''. */
const digestOf = (cols: readonly string[]) =>
  `sha256(concat_ws(chr(31), ${cols.map((c) => `coalesce(${c}::VARCHAR, '')`).join(', ')}))`;

/** A reject's hash: every column written by the ingester. */
export const REJECT_HASH_SQL = digestOf([
  'source_id',
  'path',
  'line',
  'byte_offset',
  'reason',
  'raw',
  'raw_length',
  'epoch_us(rejected_at)',
]);

/** Aggregate: the digest of a set of rejects (their hashes sorted, so row order does not matter). */
export const REJECTS_DIGEST_AGG = "sha256(coalesce(string_agg(hash, '' ORDER BY hash), ''))";

/** Columns of a commit record (table `commits`), `digest` excluded. */
export const COMMIT_COLUMNS = [
  'id',
  'committed_at',
  'first_seq',
  'last_seq',
  'head_chain',
  'lines',
  'stored',
  'rejected',
  'duplicates',
  'skipped',
  'rejects_digest',
] as const;

export const COMMIT_DIGEST_SQL = digestOf(
  COMMIT_COLUMNS.map((c) => (c === 'committed_at' ? 'epoch_us(committed_at)' : c)),
);

/** Columns of a verification record (table `verifications`), `digest` excluded. */
export const VERIFICATION_COLUMNS = [
  'id',
  'verified_at',
  'ok',
  'rows_checked',
  'head_seq',
  'head_chain',
  'first_bad_seq',
  'first_bad_event_id',
  'reason',
  'checks',
  'seconds',
  'tool_version',
] as const;

export const VERIFICATION_DIGEST_SQL = digestOf(
  VERIFICATION_COLUMNS.map((c) => (c === 'verified_at' ? 'epoch_us(verified_at)' : c)),
);

/**
 * Migration to the commit log (schema 5). The existing tables keep their
 * columns (so anything that writes them as before still can); hashes go in
 * tables of their own. What the store holds at the upgrade becomes commit
 * record #0, the baseline (all zeros for a new store); its rejects are
 * hashed as part of it. Safe to run again on a store that has the log.
 */
export const COMMIT_LOG_MIGRATION: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS commits (
        id BIGINT NOT NULL,          -- 0: the baseline (the store at the upgrade to schema 5); then one per commit
        committed_at TIMESTAMP NOT NULL,
        first_seq BIGINT NOT NULL,   -- first event stored by the commit (last_seq + 1 when none)
        last_seq BIGINT NOT NULL,    -- the chain head after it
        head_chain VARCHAR NOT NULL,
        lines BIGINT NOT NULL,       -- lines read: stored + rejected + duplicates + skipped
        stored BIGINT NOT NULL,
        rejected BIGINT NOT NULL,    -- rejects written (their hashes in reject_hashes)
        duplicates BIGINT NOT NULL,
        skipped BIGINT NOT NULL,
        rejects_digest VARCHAR NOT NULL,
        digest VARCHAR NOT NULL      -- sha256 of the fields above
      )`,
  // Each reject's hash, by its key (a source's line numbers are unique), with the commit that wrote it.
  `CREATE TABLE IF NOT EXISTS reject_hashes (
        commit_id BIGINT NOT NULL,
        source_id INTEGER NOT NULL,
        line BIGINT NOT NULL,
        hash VARCHAR NOT NULL
      )`,
  // Each verification record's digest, written with it.
  'CREATE TABLE IF NOT EXISTS verification_hashes (id INTEGER NOT NULL, digest VARCHAR NOT NULL)',
  `INSERT INTO reject_hashes SELECT 0, source_id, line, ${REJECT_HASH_SQL} FROM rejects
     WHERE NOT EXISTS (SELECT 1 FROM commits)`,
  insertCommitSql(`SELECT * FROM (SELECT 0 AS id, now()::TIMESTAMP AS committed_at, 1 AS first_seq,
      coalesce((SELECT max(seq) FROM events), 0) AS last_seq,
      coalesce((SELECT chain FROM events WHERE ${HEAD_ROW}), '${GENESIS}') AS head_chain,
      coalesce(sum(lines), 0) AS lines, (SELECT count(*) FROM events) AS stored,
      (SELECT count(*) FROM reject_hashes) AS rejected,
      coalesce(sum(duplicates), 0) AS duplicates, coalesce(sum(skipped), 0) AS skipped,
      (SELECT ${REJECTS_DIGEST_AGG} FROM reject_hashes) AS rejects_digest
    FROM sources) WHERE NOT EXISTS (SELECT 1 FROM commits)`),
  `INSERT INTO verification_hashes SELECT id, ${VERIFICATION_DIGEST_SQL} FROM verifications
     WHERE id NOT IN (SELECT id FROM verification_hashes)`,
];

/** INSERT of one commit record from `select` (a SELECT of COMMIT_COLUMNS), with its digest. */
export function insertCommitSql(select: string): string {
  return `INSERT INTO commits (${COMMIT_COLUMNS.join(', ')}, digest)
    SELECT ${COMMIT_COLUMNS.join(', ')}, ${COMMIT_DIGEST_SQL} FROM (${select}) AS c`;
}
