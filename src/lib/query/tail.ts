/** Newly stored events, polled from another process with short read-only opens. */
import { sleep } from '../sleep.js';
import { openStore, type OpenOptions } from '../store/open.js';
import { searchEvents, type EventRow } from './events.js';
import { checkTypes, type EventFilter } from './filters.js';

export interface TailOptions {
  dbPath: string;
  open?: OpenOptions;
  filter: EventFilter;
  /** Poll interval (ms). */
  intervalMs?: number;
  /** Show this many of the latest matching events first. */
  last?: number;
  /** Stop after this many events. */
  max?: number;
  signal?: AbortSignal;
  onEvents: (rows: EventRow[]) => void | Promise<void>;
}

/** Poll until aborted (or `max` events); returns how many events were delivered. */
export async function tailEvents(o: TailOptions): Promise<number> {
  let after: number | undefined;
  let delivered = 0;
  const page = 10_000;
  while (!o.signal?.aborted) {
    const store = await openStore(o.dbPath, { readOnly: true, ...o.open });
    let rows: EventRow[] = [];
    try {
      if (after === undefined) {
        await checkTypes(store, o.filter.types);
        const head = Number(
          (await store.conn.runAndReadAll('SELECT coalesce(max(seq), 0) FROM events')).getRows()[0]![0],
        );
        after = head;
        if (o.last) {
          rows = (
            await searchEvents(
              store,
              { ...o.filter, afterSeq: 0 },
              { order: 'desc', limit: o.last, by: 'seq' },
            )
          ).reverse();
        }
      } else {
        rows = await searchEvents(
          store,
          { ...o.filter, afterSeq: after },
          { order: 'asc', limit: page, by: 'seq' },
        );
        // seq grows by one per stored event, filtered or not: move past everything stored so far
        if (rows.length < page) {
          after = Number(
            (await store.conn.runAndReadAll('SELECT coalesce(max(seq), 0) FROM events')).getRows()[0]![0],
          );
        }
      }
    } finally {
      store.close();
    }
    if (rows.length) {
      if (o.max !== undefined) rows = rows.slice(0, o.max - delivered);
      if (rows.length === 10_000) after = rows[rows.length - 1]!.seq;
      await o.onEvents(rows);
      delivered += rows.length;
      if (o.max !== undefined && delivered >= o.max) break;
    }
    await sleep(o.intervalMs ?? 500, o.signal);
  }
  return delivered;
}
