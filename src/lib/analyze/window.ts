/**
 * The analysis window: the one rule by which `analyze cost`, `analyze sla`
 * and `report audit` turn --since/--until into the span [start, end) their
 * figures cover, so the same store and flags give the same figures in each.
 *
 * The requested span is clipped to the stored data:
 *
 * - end = --until or just after the newest stored event, whichever is
 *   earlier (nothing is known after the newest event);
 * - start = --since or the first stored event, whichever is later (for SLOs
 *   without --since: one SLO period before the end, not before the first
 *   stored event).
 *
 * A window wider than the data therefore gives exactly the figures of the
 * data's extent; a window beside the data is empty (end = start). The
 * extent is the whole store's (every event type, no filter): the log's
 * first event and its "now".
 *
 * --since/--until values are parsed here as well (a duration counts back
 * from now), so this module is the one place where that base would change.
 */
import type { Store } from '../store/open.js';
import { num, queryRows } from '../store/sql.js';
import { microsToIso, parseTimeRange } from '../time.js';
import { flagName, type OptionName } from '../option-name.js';

/** Requested bounds, epoch µs: since inclusive, until exclusive. */
export interface TimeBounds {
  since?: number;
  until?: number;
}

/** First and newest stored event (epoch µs); null for an empty store. */
export interface DataExtent {
  firstUs: number | null;
  newestUs: number | null;
}

/** The window as results report it (ISO UTC). */
export interface WindowInfo {
  /** Start (inclusive). */
  since: string | null;
  /** End (exclusive). */
  until: string | null;
  minutes: number | null;
  basis: string;
  first_event: string | null;
  newest_event: string | null;
  /** The flags as given (null when absent). */
  requested: { since: string | null; until: string | null };
}

export interface ResolvedWindow {
  /** Null only for an empty store. */
  startUs: number | null;
  endUs: number | null;
  /** True when the window holds no time (empty store, or a window beside the data). */
  empty: boolean;
  /** Where the start and the end come from, in words. */
  startBasis: string;
  endBasis: string;
  info: WindowInfo;
}

/** The rule, in words (for the basis of every windowed result). */
export const WINDOW_RULE =
  'the requested --since/--until clipped to the stored data: it ends at --until or just after the newest stored event, whichever is earlier, and starts at --since or the first stored event, whichever is later; a window wider than the data gives the figures of the data';

/** Parse --since/--until (ISO, or a duration before now); --until must be after --since. */
export function parseWindowFlags(
  f: { since?: string; until?: string },
  nowMs = Date.now(),
  name: OptionName = flagName,
): TimeBounds {
  const { since, until } = parseTimeRange(f.since, f.until, [name('since'), name('until')], nowMs);
  return { since, until };
}

/** The store's first and newest event times. */
export async function dataExtent(store: Store): Promise<DataExtent> {
  const [r] = await queryRows(store, 'SELECT epoch_us(min(ts)) AS f, epoch_us(max(ts)) AS l FROM events');
  return { firstUs: num(r?.f), newestUs: num(r?.l) };
}

const iso = (us: number | null | undefined) => (us === null || us === undefined ? null : microsToIso(us));

/**
 * The window for the requested bounds over the stored data. `lookback`
 * (SLOs): without --since the window starts this long before its end.
 */
export function resolveWindow(
  b: TimeBounds,
  ext: DataExtent,
  lookback?: { us: number; label: string },
): ResolvedWindow {
  const requested = { since: iso(b.since), until: iso(b.until) };
  const info = (startUs: number | null, endUs: number | null, basis: string): WindowInfo => ({
    since: iso(startUs),
    until: iso(endUs),
    minutes: startUs !== null && endUs !== null ? (endUs - startUs) / 60e6 : null,
    basis,
    first_event: iso(ext.firstUs),
    newest_event: iso(ext.newestUs),
    requested,
  });
  if (ext.firstUs === null || ext.newestUs === null) {
    const none = 'the store has no events';
    return {
      startUs: null,
      endUs: null,
      empty: true,
      startBasis: none,
      endBasis: none,
      info: info(null, null, none),
    };
  }

  const dataEnd = ext.newestUs + 1;
  const endUs0 = Math.min(b.until ?? dataEnd, dataEnd);
  const fallback = lookback ? Math.max(endUs0 - lookback.us, ext.firstUs) : ext.firstUs;
  const startUs = Math.trunc(b.since !== undefined ? Math.max(b.since, ext.firstUs) : fallback);
  const endUs = Math.trunc(Math.max(endUs0, startUs));

  const from =
    b.since === undefined
      ? lookback
        ? `${lookback.label} before the end, not before the first stored event`
        : 'the first stored event'
      : b.since < ext.firstUs
        ? 'the first stored event (--since is earlier; nothing is stored before it)'
        : '--since';
  const to =
    b.until === undefined
      ? 'just after the newest stored event'
      : b.until > dataEnd
        ? 'just after the newest stored event (--until is later; nothing is stored after it)'
        : '--until (exclusive)';
  const empty = endUs <= startUs;
  const basis = `from ${from} to ${to}${empty ? '; the requested window holds no stored event' : ''}`;
  return { startUs, endUs, empty, startBasis: from, endBasis: to, info: info(startUs, endUs, basis) };
}
