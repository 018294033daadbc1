/**
 * Tables of the store and their forward-only migrations, run on open.
 * Each migration runs in a transaction and records its version.
 */
import { COMMIT_LOG_MIGRATION } from './digests.js';
import { COMMIT_CHAIN_FROM_KEY } from './chain.js';
import { ALTERNATIVES_FROM_RAW, ALTERNATIVES_TYPE, DERIVED_COLUMNS, QUANTITY_MACRO } from './derive.js';

/** meta key holding `hash('kcloud-log')` as computed when id_hash was last filled. */
export const ID_HASH_PROBE_KEY = 'id_hash_probe';
export const ID_HASH_PROBE_SQL = "hash('kcloud-log')::VARCHAR";

/** Columns of `events` written by the ingester (the rest are derived in SQL). */
export const BASE_COLUMNS = [
  ['seq', 'BIGINT NOT NULL'], // ingest order, 1-based, no gaps
  ['event_id', 'VARCHAR NOT NULL'], // the event's own id, else a hash of its canonical JSON
  ['ts', 'TIMESTAMP NOT NULL'], // event time, UTC, microseconds
  ['event_type', 'VARCHAR NOT NULL'],
  ['known', 'BOOLEAN NOT NULL'], // one of the five typed event types
  ['source_id', 'INTEGER NOT NULL'], // sources.id
  ['line', 'BIGINT NOT NULL'], // line number in that source
  ['tags', 'VARCHAR NOT NULL'], // JSON: file, host, fluentbit_tag, format, ingested_at
  // the original event JSON; ZSTD: a third of the file, and cheaper to write than DuckDB's default
  ['raw', 'VARCHAR NOT NULL USING COMPRESSION zstd'],
  ['chain', 'VARCHAR NOT NULL'], // the row's chain value (store/chain.ts), hex
] as const;

export const EVENT_COLUMNS: readonly string[] = [
  ...BASE_COLUMNS.map(([n]) => n),
  ...DERIVED_COLUMNS.map((c) => c.name),
];

export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, sources, rejects, chain',
    statements: [
      QUANTITY_MACRO,
      `CREATE TABLE events (
        ${[...BASE_COLUMNS.map(([n, t]) => `${n} ${t}`), ...DERIVED_COLUMNS.map((c) => `${c.name} ${c.type}`)].join(',\n        ')}
      )`,
      `CREATE TABLE sources (
        id INTEGER NOT NULL,
        path VARCHAR NOT NULL,       -- as given (absolute)
        kind VARCHAR NOT NULL,       -- file | gzip | stdin
        dev VARCHAR,                 -- device id
        ino VARCHAR,                 -- inode
        fingerprint VARCHAR,         -- sha256 of the first fp_len bytes
        fp_len INTEGER,
        origin INTEGER,              -- for a rotated or compressed copy of a known file: that source's id
        start_offset BIGINT NOT NULL DEFAULT 0,
        start_line BIGINT NOT NULL DEFAULT 0, -- line number before start_offset (copies continue their origin's numbering)
        "offset" BIGINT NOT NULL DEFAULT 0, -- committed byte offset (decompressed for gzip)
        size BIGINT,                 -- size last seen
        lines BIGINT NOT NULL DEFAULT 0,
        stored BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0,
        duplicates BIGINT NOT NULL DEFAULT 0,
        skipped BIGINT NOT NULL DEFAULT 0,
        status VARCHAR NOT NULL,     -- active | done | rotated | truncated | deleted
        host VARCHAR,
        first_seen TIMESTAMP NOT NULL,
        last_read TIMESTAMP
      )`,
      `CREATE TABLE rejects (
        source_id INTEGER NOT NULL,
        path VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        byte_offset BIGINT NOT NULL,
        reason VARCHAR NOT NULL,
        raw VARCHAR NOT NULL,        -- truncated past 4096 bytes
        raw_length BIGINT NOT NULL,  -- the line's full length in bytes
        rejected_at TIMESTAMP NOT NULL
      )`,
      `CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR)`,
    ],
  },
  {
    version: 2,
    description: 'alert rules, verification records',
    statements: [
      // Alert rules (`alerts rules add`): the validated rule as JSON; states are recomputed from events.
      `CREATE TABLE alert_rules (
        name VARCHAR NOT NULL PRIMARY KEY,
        kind VARCHAR NOT NULL,       -- event | threshold
        spec VARCHAR NOT NULL,       -- the rule as JSON (src/lib/alerts/rules.ts)
        origin VARCHAR,              -- file it was loaded from, or 'flags'
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
      )`,
      // One row per `verify` run, so reports can cite the latest result without re-verifying 10M rows.
      `CREATE TABLE verifications (
        id INTEGER NOT NULL,
        verified_at TIMESTAMP NOT NULL,
        ok BOOLEAN NOT NULL,
        rows_checked BIGINT NOT NULL,
        head_seq BIGINT NOT NULL,    -- chain head at the time (last good row when not ok)
        head_chain VARCHAR NOT NULL,
        first_bad_seq BIGINT,
        first_bad_event_id VARCHAR,
        reason VARCHAR,
        checks VARCHAR NOT NULL,     -- JSON array of what was checked
        seconds DOUBLE NOT NULL,
        tool_version VARCHAR
      )`,
    ],
  },
  {
    version: 3,
    description: 'id_hash for the duplicate check',
    statements: [
      // DuckDB's hash(event_id): the duplicate check scans this 8-byte column instead of every
      // event_id string, and reads event_id only where a hash matches. The probe records the hash
      // function's output, so a DuckDB upgrade that changes it is noticed and the column rebuilt.
      'ALTER TABLE events ADD COLUMN id_hash UBIGINT',
      'UPDATE events SET id_hash = hash(event_id)',
      `DELETE FROM meta WHERE key = '${ID_HASH_PROBE_KEY}'`,
      `INSERT INTO meta VALUES ('${ID_HASH_PROBE_KEY}', ${ID_HASH_PROBE_SQL})`,
    ],
  },
  {
    version: 4,
    description: "decisions' alternatives as a typed column",
    statements: [
      // Stores created since have the column from version 1 (it is one of DERIVED_COLUMNS).
      `ALTER TABLE events ADD COLUMN IF NOT EXISTS alternatives ${ALTERNATIVES_TYPE}`,
      `UPDATE events SET alternatives = ${ALTERNATIVES_FROM_RAW}
       WHERE event_type = 'scheduling_decision' AND alternatives IS NULL`,
    ],
  },
  {
    version: 5,
    description: 'commit log, reject hashes, verification digests',
    // store/digests.ts: the commit log that verify checks the rows against; the store as it
    // is becomes commit record #0, the baseline.
    statements: [...COMMIT_LOG_MIGRATION],
  },
  {
    version: 6,
    description: 'the window of bytes before each source offset',
    statements: [
      // sha256 of the window_len (<= 1 KiB) bytes just before "offset": a file is taken as a copy of
      // a source (continuing at its offset) only when these bytes match too, not only the first KiB.
      'ALTER TABLE sources ADD COLUMN IF NOT EXISTS window_hash VARCHAR',
      'ALTER TABLE sources ADD COLUMN IF NOT EXISTS window_len INTEGER',
    ],
  },
  {
    version: 7,
    description: 'the hash chain per commit',
    statements: [
      // Rows stored from now on are chained per commit (store/chain.ts); those already stored keep
      // the row-by-row chain they were written with, and verify checks each rule on its rows.
      // (Kept when present: running the migration again must not move the boundary.)
      `INSERT INTO meta SELECT '${COMMIT_CHAIN_FROM_KEY}', (coalesce(max(seq), 0) + 1)::VARCHAR FROM events
       WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = '${COMMIT_CHAIN_FROM_KEY}')`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
