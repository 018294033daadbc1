/**
 * The flags `ingest` and `serve` share: how lines are read, validated and committed, DuckDB's
 * limits while writing, and follow mode's. Kept apart from flags.ts so that only the commands
 * that write load the ingester's constants.
 */
import * as Flags from '@oclif/core/flags';
import { countFlag, durationFlag, sizeFlag } from './flags.js';
import { DEFAULT_BATCH, FLUSH_EVENTS } from '../lib/ingest/ingest.js';

/** The most events per commit --batch-size takes (a commit's rows are held until it is written). */
const MAX_BATCH = 10_000_000;

/** Reading, validating and committing lines. */
export const ingestFlags = {
  strict: Flags.boolean({
    description: 'reject events whose event_type is not one of the five known types',
  }),
  'batch-size': countFlag({
    description: `events per commit (default: two DuckDB row groups); with --follow, a commit also happens every min(batch-size, ${FLUSH_EVENTS}) events`,
    default: DEFAULT_BATCH,
    min: 1,
    max: MAX_BATCH,
  }),
  'max-line-bytes': sizeFlag({
    description: 'longer lines become rejects (bytes, or a size like 4KiB, 1MiB)',
    default: 1024 * 1024,
    defaultHelp: async () => '1MiB',
    min: 64,
    max: 64 * 2 ** 20,
    bare: true,
  }),
  exclude: Flags.string({
    char: 'x',
    description:
      'do not read what matches this pattern (repeatable): without a slash it matches file and directory names (*.gz, archive), with one the path (logs/old/**); also with --follow',
    multiple: true,
    helpValue: 'GLOB',
  }),
  'memory-limit': sizeFlag({
    description: "DuckDB's buffer memory while writing (it caches what it wrote up to this): 16MB to 1TB",
    default: 128e6,
    defaultHelp: async () => '128MB',
    min: 16e6,
    max: 1e12,
  }),
  'temp-limit': sizeFlag({
    description:
      'disk DuckDB may use beside the store (<db>.tmp/) for batches that do not fit in --memory-limit: 16MB to 1TB',
    default: 4e9,
    defaultHelp: async () => '4GB',
    min: 16e6,
    max: 1e12,
  }),
};

/** Follow mode: how often to commit, where new files start, watching, rotated files. */
export const followFlags = {
  'flush-interval': durationFlag({
    description:
      'with --follow: commit at least this often (ms, s, m; 10ms to 1h); a batch also commits at --batch-size events',
    default: 1000,
    defaultHelp: async () => '1s',
    min: 10,
    max: 3_600_000,
    bare: 'ms',
  }),
  from: Flags.string({
    description: 'with --follow: where files without a checkpoint start when first seen at start-up',
    options: ['beginning', 'end'],
    default: 'beginning',
  }),
  poll: Flags.boolean({
    description: 'with --follow: poll the file system (network file systems) instead of watching',
  }),
  'drain-grace': durationFlag({
    description:
      'with --follow: a rotated or deleted file is released after being quiet this long (1ms to 1d)',
    default: 5000,
    defaultHelp: async () => '5s',
    min: 1,
    max: 86_400_000,
    bare: 'ms',
  }),
};

/** DuckDB's memory and spill-space limits while writing. */
export const duckdbLimits = (f: {
  'memory-limit': number;
  'temp-limit': number;
}): Record<string, string> => ({
  memory_limit: `${f['memory-limit']}B`,
  max_temp_directory_size: `${f['temp-limit']}B`,
});
