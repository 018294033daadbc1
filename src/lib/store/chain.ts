/**
 * The hash chain over stored events (docs/design.md "Guarantees").
 *
 *   event_hash = sha256(seq US event_id US ts_us US event_type US source_id US line US tags US raw)
 *   chain      = sha256(prev_chain || event_hash)        (hex text, genesis = 64 zeros)
 *
 * US is the unit separator (0x1f). The same row text is computed by DuckDB in
 * `ROW_HASH_SQL`, so `verify` can hash rows in SQL and fold the chain here.
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

/** WHERE clause selecting the chain head (max(seq) then an equality: zone maps, not a top-N over 10M rows). */
export const HEAD_ROW = 'seq = (SELECT max(seq) FROM events)';

/** A chain value as printed in messages: its first 16 hex digits. */
export function shortChain(chain: string): string {
  return chain.length > 16 ? `${chain.slice(0, 16)}…` : chain;
}

export function nextChain(prev: string, hash: string): string {
  return sha256Hex(prev + hash);
}

/** DuckDB expression computing `event_hash` of a row of `events`. */
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
