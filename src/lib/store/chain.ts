/**
 * The hash chain over stored events (docs/design.md "Guarantees").
 *
 *   row_hash = sha256(event_id US ts_us US event_type US source_id US line US tags US raw)
 *
 * US is the unit separator (0x1f). Rows are chained per commit, as CloudTrail
 * chains its digest files: with H the chain head before a commit (the chain
 * of the last row stored before it; genesis = 64 zeros),
 *
 *   chain(row)      = sha256(H || seq || US || row_hash)               every row but the last
 *   chain(last row) = sha256(H || sha256(row_hash_1 || ... || row_hash_n))   the commit's new head
 *
 * (row hashes in seq order), so each row is bound to its seq and the history
 * before its commit, and the head to every row of the commit; a tampered row
 * is named by its own chain value. The ingester computes row hashes where the
 * event is parsed (`rowHash`, in the parse workers), DuckDB the chain at
 * commit (`rowChainSql`) and everything again in `verify` (`ROW_HASH_V2_SQL`).
 * Stores written before schema 7 chained row by row,
 * chain = sha256(prev_chain || sha256(seq US event_id US ... US raw)); their
 * rows keep that rule up to the meta key `commit_chain_from`
 * (integrity/verify.ts checks both).
 */
import crypto, { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);
const US = '\x1f';

export interface ChainRow {
  eventId: string;
  tsMicros: number;
  eventType: string;
  sourceId: number;
  line: number;
  tags: string;
  raw: string;
}

// One-shot `crypto.hash` (Node >= 20.12) is ~1 µs cheaper per call than a Hash object,
// and ingest hashes two or three times per event.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export const sha256Hex: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export function eventHash(r: Omit<ChainRow, 'seq'>, seq: number): string {
  return sha256Hex(
    `${seq}${US}${r.eventId}${US}${r.tsMicros}${US}${r.eventType}${US}${r.sourceId}${US}${r.line}${US}${r.tags}${US}${r.raw}`,
  );
}

/** A row's hash (the rule since schema 7), as `ROW_HASH_V2_SQL` computes it in DuckDB. */
export function rowHash(r: Omit<ChainRow, 'seq'>): string {
  return sha256Hex(
    `${r.eventId}${US}${r.tsMicros}${US}${r.eventType}${US}${r.sourceId}${US}${r.line}${US}${r.tags}${US}${r.raw}`,
  );
}

/** DuckDB expression computing `rowHash` of a row of `events`. */
export const ROW_HASH_V2_SQL =
  'sha256(concat_ws(chr(31), event_id, epoch_us(ts)::VARCHAR, event_type, source_id::VARCHAR, line::VARCHAR, tags, raw))';

/** The chain head after a commit whose rows' hashes, concatenated in seq order, have sha256 `digest`. */
export function commitHead(prev: string, digest: string): string {
  return sha256Hex(prev + digest);
}

/**
 * SQL of a row's chain value in its commit (rows with `seq` and `row_hash`): `prev`, `last` and
 * `head` are SQL for the head before the commit, its last seq and its new head.
 */
export const rowChainSql = (prev: string, last: string, head: string): string =>
  `CASE WHEN seq = ${last} THEN ${head} ELSE sha256(concat(${prev}, seq::VARCHAR, chr(31), row_hash)) END`;

/** meta key: the first seq chained per commit (earlier rows, of a store older than schema 7, row by row). */
export const COMMIT_CHAIN_FROM_KEY = 'commit_chain_from';

/** WHERE clause selecting the chain head (max(seq) then an equality: zone maps, not a top-N over 10M rows). */
export const HEAD_ROW = 'seq = (SELECT max(seq) FROM events)';

/** A chain value as printed in messages: its first 16 hex digits. */
export function shortChain(chain: string): string {
  return chain.length > 16 ? `${chain.slice(0, 16)}…` : chain;
}

export function nextChain(prev: string, hash: string): string {
  return sha256Hex(prev + hash);
}

/** DuckDB expression computing the row hash of the rule before schema 7 (seq included). */
export const ROW_HASH_SQL =
  'sha256(concat_ws(chr(31), seq::VARCHAR, event_id, epoch_us(ts)::VARCHAR, event_type, source_id::VARCHAR, line::VARCHAR, tags, raw))';

/**
 * The id of an event without one of its own: a hash (128 bits, hex) of its
 * JSON re-serialised, so the same event is one event whatever wrapper,
 * whitespace or escaping it arrived with (key order as logged).
 */
export function contentId(value: unknown): string {
  return sha256Hex(JSON.stringify(value)).slice(0, 32);
}
