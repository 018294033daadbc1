/**
 * The output of listing commands: one flag (`--output table|json|jsonl|csv`, flags.ts
 * outputFlag), one mode rule (BaseCommand.outputMode: `--json` and `--output json` print the same
 * document), and one exporter for jsonl and csv that streams rows in chunks through the stdout
 * writer (drain-aware, quiet on a closed pipe).
 *
 * jsonl and csv are the data exactly as stored (no escaping, no truncation); tables are for
 * people (src/cli/table.ts).
 */
import { csvLine } from './render.js';
import { stdout } from './stdout.js';
import { keepHeapSmall } from './heap.js';

export const OUTPUT_MODES = ['table', 'json', 'jsonl', 'csv'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/**
 * DuckDB settings of an export's connection. One thread: a parallel scan streamed in order
 * buffers the chunks of the other threads. 64 MB of buffers: the exports' queries need little
 * (their sorts are of keys: streamSorted), and DuckDB otherwise caches every block it read, up to
 * 80% of the machine's memory. No insertion order: a LIMIT then streams (kept, DuckDB's LIMIT holds
 * every row up to it: `sql "SELECT * FROM events LIMIT 300000" -o csv` ran out of the 64 MB); rows
 * still come in storage order, and ORDER BY still orders. With them the exports of a 1M-event store
 * peak at 250-280 MB (bench/README.md "Exports").
 */
export const EXPORT_DUCKDB: Record<string, string> = {
  threads: '1',
  memory_limit: '64MB',
  preserve_insertion_order: 'false',
};

/** A column of a csv export: its name (the header) and its value in a row. */
export interface Field<T> {
  name: string;
  value: (row: T) => unknown;
}

export interface Listing<T> {
  /** The csv columns. */
  fields: readonly Field<T>[];
  /** What one jsonl line holds (default: the row). */
  record?: (row: T) => unknown;
}

/**
 * How often an export collects the JavaScript heap: its rows are converted in chunks whose garbage
 * V8 would otherwise let grow by tens of MB a second (1M-event store, `sql "SELECT * FROM events" -o csv`: 352 MB peak collecting every 1 s, 279 MB every 100 ms).
 */
const EXPORT_GC_MS = 100;

/** Rows held in memory, in chunks of this many per write. */
const CHUNK = 1024;

/** An array as chunks (for exportRows). */
export function* chunks<T>(rows: readonly T[], size = CHUNK): Generator<readonly T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/**
 * Write rows as jsonl or csv, one write per chunk, waiting for the pipe to drain in between: memory
 * holds one chunk whatever the size of the export. Returns the rows written.
 */
export async function exportRows<T>(
  mode: 'jsonl' | 'csv',
  listing: Listing<T>,
  rows: AsyncIterable<readonly T[]> | Iterable<readonly T[]>,
): Promise<number> {
  const line =
    mode === 'jsonl'
      ? (r: T) => JSON.stringify(listing.record ? listing.record(r) : r)
      : (r: T) => csvLine(listing.fields.map((f) => f.value(r)));
  // V8 lets the garbage of the converted rows grow the heap by hundreds of MB: collect it.
  const stopHeapKeeper = keepHeapSmall(EXPORT_GC_MS);
  try {
    if (mode === 'csv') await stdout.write(csvLine(listing.fields.map((f) => f.name)) + '\n');
    let n = 0;
    for await (const chunk of rows) {
      if (!chunk.length) continue;
      await stdout.write(chunk.map(line).join('\n') + '\n');
      n += chunk.length;
    }
    return n;
  } finally {
    stopHeapKeeper();
  }
}

/** Is this mode an export (jsonl, csv)? */
export const isExport = (mode: OutputMode): mode is 'jsonl' | 'csv' => mode === 'jsonl' || mode === 'csv';
