/**
 * Scope: the window the report covers (--since/--until, else the whole store) and the events in it.
 * Every section reads the counts (`countScope`), so they are computed before the sections run.
 */
import type { Store } from '../../store/open.js';
import { numOrZero, queryRows } from '../../store/sql.js';
import { buildWhere, type EventFilter } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import type { WindowInfo } from '../../analyze/window.js';
import { int, type Section } from '../blocks.js';
import type { AuditReport, ReportSection } from '../types.js';

export interface Counted {
  key: string | null;
  count: number;
}

/** The events in the scope: how many, of which types, the first and the newest (epoch µs). */
export interface ScopeCounts {
  events: number;
  firstUs: number | null;
  lastUs: number | null;
  byType: Counted[];
}

export interface ScopePart {
  since: string | null;
  until: string | null;
  basis: string;
  first_event: string | null;
  last_event: string | null;
  /** The analysis window of the figures (the analyses' window rule): the scope clipped to the stored data. */
  window: WindowInfo;
  events: number;
  events_by_type: Counted[];
}

export async function countScope(store: Store, filter: EventFilter): Promise<ScopeCounts> {
  const w = buildWhere(filter);
  const byType = await queryRows(
    store,
    `SELECT event_type, count(*) AS n, epoch_us(min(ts)) AS f, epoch_us(max(ts)) AS l FROM events WHERE ${w.sql} GROUP BY event_type ORDER BY n DESC, event_type`,
    w.params,
  );
  return {
    events: byType.reduce((s, r) => s + numOrZero(r.n), 0),
    firstUs: byType.length ? Math.min(...byType.map((r) => numOrZero(r.f))) : null,
    lastUs: byType.length ? Math.max(...byType.map((r) => numOrZero(r.l))) : null,
    byType: byType.map((r) => ({ key: String(r.event_type), count: numOrZero(r.n) })),
  };
}

const iso = (us: number | null): string | null => (us === null ? null : microsToIso(us));

function render(r: AuditReport): Section {
  const sc = r.scope;
  return {
    id: 'scope',
    title: 'Scope',
    blocks: [
      {
        kind: 'kv',
        rows: [
          ['window', `${sc.since ?? '–'} → ${sc.until ?? '–'}`, sc.basis],
          ['events in scope', int(sc.events), 'rows of the events table whose timestamp is in the window'],
          ['first / newest event', `${sc.first_event ?? '–'} / ${sc.last_event ?? '–'}`, 'in the window'],
          ['database', r.database],
          [
            'generated',
            `${r.generated_at} by ${r.tool.name} ${r.tool.version}`,
            'the only figure that changes when the report is made again from the same store and window',
          ],
        ],
      },
      {
        kind: 'table',
        title: 'Events by type',
        head: ['event type', 'events'],
        rows: sc.events_by_type.map((t) => [t.key, int(t.count)]),
        numeric: [1],
      },
    ],
  };
}

export const scope: ReportSection<'scope'> = {
  key: 'scope',
  name: 'scope',
  compute: async (_store, { options: o, counts: c, window }) => ({
    since: o.since !== undefined ? microsToIso(o.since) : iso(c.firstUs),
    until: o.until !== undefined ? microsToIso(o.until) : iso(c.lastUs),
    basis: `${o.since !== undefined ? '--since (inclusive)' : 'the first stored event'} to ${o.until !== undefined ? '--until (exclusive)' : 'the newest stored event (inclusive)'}; events are selected by their own timestamp (UTC)`,
    first_event: iso(c.firstUs),
    last_event: iso(c.lastUs),
    window: window.info,
    events: c.events,
    events_by_type: c.byType,
  }),
  render,
};
