/**
 * What the ingester stages for the writer (store/writer.ts): events and
 * rejects, and the stage file format parse workers write. No DuckDB here, so
 * the workers (ingest/parse-worker.ts) load none.
 */
import { EVENT_TYPES } from '../schema/columns.js';

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
  /** store/chain.ts rowHash, when already computed. */
  rowHash?: string;
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

/**
 * The stage, in the order of its columns in a stage file: `pos` orders the rows of the
 * transaction (the order they were read in); `byte_offset` and `bytes` are there for the reject
 * a row becomes should DuckDB refuse it. Numbers are DOUBLE (exact below 2^53) so the appender
 * needs no BigInt per value.
 */
export const STAGE_COLUMNS = [
  ['pos', 'DOUBLE'],
  ['event_id', 'VARCHAR'],
  ['ts_us', 'DOUBLE'],
  ['event_type', 'VARCHAR'],
  ['known', 'BOOLEAN'],
  ['source_id', 'INTEGER'],
  ['line', 'DOUBLE'],
  ['tag', 'INTEGER'], // the tags' code in the transaction's stage_tags (the text, once per distinct tags)
  ['raw', 'VARCHAR'],
  ['byte_offset', 'DOUBLE'],
  ['bytes', 'DOUBLE'],
  ['row_hash', 'VARCHAR'], // store/chain.ts rowHash
] as const;

/**
 * Stage positions: block number x BLOCK_POSITIONS + the row's index in its block, so that blocks
 * parsed in parallel number their rows without knowing how many rows the blocks before them have.
 * A block holds fewer rows than this (2 MiB of lines of at least 2 bytes).
 */
export const BLOCK_POSITIONS = 2 ** 21;

/**
 * A stage file: one row per line, fields separated by the unit separator (0x1f), no quoting.
 * A valid JSON text holds neither 0x1f nor a newline outside an escape, so the raw event goes in
 * as it is; a row whose fields hold either (or a carriage return) is appended instead
 * (`needsAppender`).
 */
export const STAGE_FIELD_SEPARATOR = '\x1f';
// eslint-disable-next-line no-control-regex
const STAGE_HAZARD = /[\x1f\n\r]/;
/** A field a stage file cannot carry as it is: empty (read back as NULL) or holding a separator. */
export const needsAppender = (field: string): boolean => field === '' || STAGE_HAZARD.test(field);

/**
 * DuckDB works on vectors of 2,048 rows and cannot spill part of one: the rows of a commit that
 * share a vector must fit in its memory together (2,048 events of 1 MiB would need 2 GiB). Events
 * up to LARGE_EVENT_BYTES make vectors of at most 4 MiB; a commit holding more than
 * LARGE_COMMIT_BYTES of larger events is committed before it grows, so no vector holds more than
 * ~12 MiB of event text, whatever the events' size (at the default 128MB --memory-limit).
 */
export const LARGE_EVENT_BYTES = 2048;
export const LARGE_COMMIT_BYTES = 8 << 20;

/** Rejects keep this many bytes of their line. */
export const REJECT_RAW_LIMIT = 4096;

/** The first `limit` bytes of `text` as UTF-8, cut on a character boundary. */
export function truncateUtf8(text: string, limit: number): string {
  if (text.length * 3 <= limit) return text;
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= limit) return text;
  let end = limit;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end);
}

/**
 * The groups rows are staged and written in, one stage table each: the less frequent types
 * first, then the types that are not known (null), then scheduling decisions (most rows). A
 * commit writes them in this order, so a row group holds few types and scans filtered on a type
 * skip the others by their zone maps.
 */
export const TYPE_GROUPS: readonly (string | null)[] = [
  ...EVENT_TYPES.filter((t) => t !== 'scheduling_decision'),
  null,
  'scheduling_decision',
];

const GROUP_OF = new Map(TYPE_GROUPS.map((t, i) => [t, i]));
const OTHER_GROUP = TYPE_GROUPS.indexOf(null);

/** The index in TYPE_GROUPS of an event type's group. */
export const typeGroup = (eventType: string): number => GROUP_OF.get(eventType) ?? OTHER_GROUP;
