/**
 * The rows of a sorted query, streamed in bounded memory. DuckDB sorting whole rows holds them
 * (660 MB to sort 300k events with their raw JSON; with a memory limit it fails rather than
 * spill): instead DuckDB sorts only the rows' keys (an integer each), streamed in chunks, and
 * each chunk's rows are read whole on a second connection and put in the keys' order. Memory
 * holds the sorted keys (8 bytes a row, spilled by DuckDB when large) and one chunk of rows.
 */
import type { Store } from '../store/open.js';

export interface SortedQuery<T> {
  /** SELECT of one integer column, the key of each row, in the order wanted (WHERE, ORDER BY, LIMIT). */
  keys: string;
  params: (string | number)[];
  /** SELECT of the rows whose key is in `inList` (an SQL list of integers), with the key in column `key`. */
  rows: (inList: string, lo: number, hi: number) => string;
  /** A row from what DuckDB returned, and its key. */
  row: (o: Record<string, unknown>) => T;
  key: (o: Record<string, unknown>) => number;
}

export async function* streamSorted<T>(store: Store, q: SortedQuery<T>): AsyncGenerator<T[]> {
  const keys = await store.conn.stream(q.keys, q.params);
  const conn = await store.instance.connect();
  try {
    for await (const chunk of keys.yieldRowsJs()) {
      if (!chunk.length) continue;
      const ids = chunk.map((r) => Number(r[0]));
      let lo = ids[0]!;
      let hi = lo;
      for (const k of ids) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      // the keys are integers read from the store: safe to inline
      const found = new Map<number, T>();
      for (const o of (await conn.runAndReadAll(q.rows(ids.join(','), lo, hi))).getRowObjectsJS()) {
        const r = o as Record<string, unknown>;
        found.set(q.key(r), q.row(r));
      }
      yield ids.map((k) => found.get(k)!);
    }
  } finally {
    conn.closeSync();
  }
}
