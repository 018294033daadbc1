/** Newly stored events, polled: from another process (short read-only opens) or through a service. */
import { sleep } from '../sleep.js';
import type { Store } from '../store/open.js';
import { searchEvents, type EventRow } from './events.js';
import { checkTypes, type EventFilter } from './filters.js';

/** The most events one poll returns. */
export const TAIL_PAGE = 10_000;

/** One poll's events, and the seq to poll after next time. */
export interface TailPoll {
  rows: EventRow[];
  after: number;
}

const headSeq = async (store: Store): Promise<number> =>
  Number((await store.conn.runAndReadAll('SELECT coalesce(max(seq), 0) FROM events')).getRows()[0]![0]);

/**
 * One poll: with `after` undefined (the first), the head of the store and the `last` latest
 * matching events; else the matching events stored after `after` (at most TAIL_PAGE).
 */
export async function tailStep(
  store: Store,
  filter: EventFilter,
  after: number | undefined,
  last = 0,
): Promise<TailPoll> {
  if (after === undefined) {
    await checkTypes(store, filter.types);
    const head = await headSeq(store);
    const rows = last
      ? (
          await searchEvents(store, { ...filter, afterSeq: 0 }, { order: 'desc', limit: last, by: 'seq' })
        ).reverse()
      : [];
    return { rows, after: head };
  }
  const rows = await searchEvents(
    store,
    { ...filter, afterSeq: after },
    { order: 'asc', limit: TAIL_PAGE, by: 'seq' },
  );
  // seq grows by one per stored event, filtered or not: move past everything stored so far
  if (rows.length < TAIL_PAGE) return { rows, after: await headSeq(store) };
  return { rows, after: rows[rows.length - 1]!.seq };
}

export interface TailOptions {
  /** One poll (tailStep, on a store opened for it or through a service). */
  poll: (after: number | undefined) => Promise<TailPoll>;
  /** Poll interval (ms). */
  intervalMs?: number;
  /** Stop after this many events. */
  max?: number;
  signal?: AbortSignal;
  onEvents: (rows: EventRow[]) => void | Promise<void>;
}

/** Poll until aborted (or `max` events); returns how many events were delivered. */
export async function tailEvents(o: TailOptions): Promise<number> {
  let after: number | undefined;
  let delivered = 0;
  while (!o.signal?.aborted) {
    const polled = await o.poll(after);
    let rows = polled.rows;
    after = polled.after;
    if (rows.length) {
      if (o.max !== undefined) rows = rows.slice(0, o.max - delivered);
      await o.onEvents(rows);
      delivered += rows.length;
      if (o.max !== undefined && delivered >= o.max) break;
    }
    await sleep(o.intervalMs ?? 500, o.signal);
  }
  return delivered;
}
