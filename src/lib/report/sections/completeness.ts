/**
 * Completeness: every line read accounted for (the whole store: files are not split by time), the
 * rejects by reason, and the quiet gaps in the scope.
 */
import type { Store } from '../../store/open.js';
import { numOrZero, queryRows } from '../../store/sql.js';
import { buildWhere } from '../../query/filters.js';
import { microsToIso } from '../../time.js';
import { listSources } from '../../ingest/source.js';
import { formatDuration } from '../../time.js';
import { int, num, yes, type Block, type Section } from '../blocks.js';
import { DEFAULT_GAP_MS, type AuditContext, type AuditReport, type ReportSection } from '../types.js';
import type { Counted } from './scope.js';
import type { LineCounts } from '../../store/sources.js';

/** Reject reasons alike but for their quoted values and numbers (a timestamp's value, a JSON error's position). */
export interface RejectKind {
  /** The kind's most frequent reason, word for word. */
  example: string;
  /** Lines rejected with a reason of this kind. */
  count: number;
  /** Lines rejected with exactly `example`. */
  example_count: number;
  /** Distinct reasons of this kind. */
  variants: number;
}

export interface Gap {
  from: string;
  until: string;
  hours: number;
  /** `start`: before the first event (from --since); `end`: after the newest (to --until); `between`: between two events. */
  where: 'start' | 'between' | 'end';
}

export interface SourceLine extends LineCounts {
  id: number;
  path: string;
  kind: string;
  status: string;
  balanced: boolean;
  first_seen: string;
  last_read: string | null;
}

export interface RejectsPart {
  total: number;
  /** The most frequent reasons, word for word, with their lines. */
  by_reason: Counted[];
  /** Distinct reasons. */
  reasons: number;
  /** The most frequent kinds of reason (reasons alike but for quoted values and numbers). */
  by_kind: RejectKind[];
  /** Distinct kinds. */
  kinds: number;
  examples: { path: string; line: number; reason: string }[];
}

export interface CompletenessPart {
  store: LineCounts & {
    events: number;
    sources: number;
    /** lines = stored + rejected + duplicates + skipped for every source, and stored = events. */
    balanced: boolean;
  };
  sources: SourceLine[];
  rejects: RejectsPart;
  gaps: { threshold_hours: number; count: number; longest_hours: number | null; list: Gap[] };
  basis: Record<string, string>;
}

async function sourceLines(store: Store): Promise<SourceLine[]> {
  return (await listSources(store)).map((s) => ({
    id: s.id,
    path: s.path,
    kind: s.kind,
    status: s.status,
    lines: s.lines,
    stored: s.stored,
    rejected: s.rejected,
    duplicates: s.duplicates,
    skipped: s.skipped,
    balanced: s.lines === s.stored + s.rejected + s.duplicates + s.skipped,
    first_seen: s.first_seen,
    last_read: s.last_read,
  }));
}

/**
 * Reject reasons as logged: the most frequent, and the most frequent kinds. Reasons alike but for
 * their quoted values and numbers are one kind; the key that finds them is never shown, each kind
 * is shown by its most frequent reason.
 */
async function rejectReasons(store: Store, limit: number): Promise<Omit<RejectsPart, 'examples'>> {
  const kindKey = `regexp_replace(regexp_replace(regexp_replace(reason, '"[^"]*"', '""', 'g'), '''[^''\\s]{1,4}''', '''''', 'g'), '[0-9]+', '0', 'g')`;
  const exact = await queryRows(
    store,
    `SELECT reason, count(*) AS n, count(*) OVER () AS reasons, sum(count(*)) OVER () AS total
     FROM rejects GROUP BY reason ORDER BY n DESC, reason LIMIT ${limit}`,
  );
  const kinds = await queryRows(
    store,
    `WITH r AS (SELECT ${kindKey} AS k, reason, count(*) AS n FROM rejects GROUP BY k, reason),
     g AS (SELECT k, reason, n, row_number() OVER (PARTITION BY k ORDER BY n DESC, reason) AS i,
                  sum(n) OVER (PARTITION BY k) AS total, count(*) OVER (PARTITION BY k) AS variants FROM r)
     SELECT reason, n, total, variants, count(*) OVER () AS kinds FROM g WHERE i = 1
     ORDER BY total DESC, reason LIMIT ${limit}`,
  );
  return {
    total: numOrZero(exact[0]?.total),
    by_reason: exact.map((r) => ({ key: String(r.reason), count: numOrZero(r.n) })),
    reasons: numOrZero(exact[0]?.reasons),
    by_kind: kinds.map((r) => ({
      example: String(r.reason),
      count: numOrZero(r.total),
      example_count: numOrZero(r.n),
      variants: numOrZero(r.variants),
    })),
    kinds: numOrZero(kinds[0]?.kinds),
  };
}

async function rejectExamples(store: Store, limit: number): Promise<RejectsPart['examples']> {
  const rows = await queryRows(
    store,
    `SELECT path, line, reason FROM rejects ORDER BY source_id, line LIMIT ${Math.min(limit, 20)}`,
  );
  return rows.map((r) => ({ path: String(r.path), line: numOrZero(r.line), reason: String(r.reason) }));
}

/**
 * Quiet gaps: with buckets as wide as the threshold, a gap >= threshold lies between two
 * consecutive non-empty buckets (two events in one bucket are closer than its width), so
 * the newest event of one and the oldest of the next bound every such gap, exactly.
 */
async function quietGaps(store: Store, { options: o, filter }: AuditContext, gapMs: number): Promise<Gap[]> {
  const gapUs = gapMs * 1000;
  const w = buildWhere(filter);
  const rows = await queryRows(
    store,
    `SELECT epoch_us(ts) // ${gapUs} AS b, epoch_us(min(ts)) AS lo, epoch_us(max(ts)) AS hi FROM events WHERE ${w.sql} GROUP BY b ORDER BY b`,
    w.params,
  );
  const gaps: Gap[] = [];
  const gap = (a: number, b: number, where: Gap['where']) => {
    if (b - a >= gapUs)
      gaps.push({ from: microsToIso(a), until: microsToIso(b), hours: (b - a) / 3600e6, where });
  };
  const lo = (i: number) => numOrZero(rows[i]!.lo);
  const hi = (i: number) => numOrZero(rows[i]!.hi);
  if (o.since !== undefined && rows.length) gap(o.since, lo(0), 'start');
  for (let i = 1; i < rows.length; i++) gap(hi(i - 1), lo(i), 'between');
  if (o.until !== undefined && rows.length) gap(hi(rows.length - 1), o.until, 'end');
  if (!rows.length && o.since !== undefined && o.until !== undefined) gap(o.since, o.until, 'between');
  return gaps;
}

async function compute(store: Store, ctx: AuditContext): Promise<CompletenessPart> {
  const { limit, head } = ctx;
  const gapMs = ctx.options.gapMs ?? DEFAULT_GAP_MS;
  const sources = await sourceLines(store);
  const sum = (k: 'lines' | 'stored' | 'rejected' | 'duplicates' | 'skipped') =>
    sources.reduce((a, s) => a + s[k], 0);
  const rejects = { ...(await rejectReasons(store, limit)), examples: await rejectExamples(store, limit) };
  const gaps = await quietGaps(store, ctx, gapMs);
  return {
    store: {
      events: head.events,
      sources: sources.length,
      lines: sum('lines'),
      stored: sum('stored'),
      rejected: sum('rejected'),
      duplicates: sum('duplicates'),
      skipped: sum('skipped'),
      balanced: sources.every((s) => s.balanced) && sum('stored') === head.events,
    },
    sources: sources.slice(0, Math.max(limit, 200)),
    rejects,
    gaps: {
      threshold_hours: gapMs / 3_600_000,
      count: gaps.length,
      longest_hours: gaps.length ? Math.max(...gaps.map((g) => g.hours)) : null,
      list: gaps.slice(0, Math.max(limit, 100)),
    },
    basis: {
      store:
        'the whole store, every source ever read: lines read = stored + rejected + duplicates + skipped per source (the ingest accounting); events = rows of the events table',
      rejects: `rows of the rejects table; reasons alike but for their quoted values and numbers (a timestamp's value, a position in a line) are one kind, shown by its most frequent reason word for word, with the lines of exactly that reason and of the similar ones; the ${limit} most frequent kinds`,
      gaps: `periods of at least ${formatDuration(gapMs)} without any stored event in the scope (between consecutive events, and from --since / to --until when given)`,
    },
  };
}

/* ----------------------------------------------------------------------------------------------
 * Rendering
 * -------------------------------------------------------------------------------------------- */

function accountingBlocks(c: CompletenessPart): Block[] {
  return [
    {
      kind: 'status',
      level: c.store.balanced ? 'ok' : 'bad',
      text: c.store.balanced
        ? 'Every line read is accounted for: lines = stored + rejected + duplicates + skipped for every source, and the stored events equal the rows of the store.'
        : 'The line accounting does NOT balance for every source, or stored events differ from the rows of the store: see the sources table.',
    },
    {
      kind: 'kv',
      rows: [
        ['sources read', int(c.store.sources), 'files and streams ever read (the whole store)'],
        ['lines read', int(c.store.lines), c.basis.store],
        ['stored', int(c.store.stored), 'valid events stored the first time they were seen'],
        ['rejected', int(c.store.rejected), 'lines that could not be stored; each kept with its reason'],
        ['duplicates', int(c.store.duplicates), 'valid events already stored (same event id or content)'],
        ['skipped', int(c.store.skipped), 'blank lines and ordinary log lines without event_type'],
        ['events in store', int(c.store.events), 'rows of the events table (all time)'],
      ],
    },
    {
      kind: 'table',
      title: 'Sources',
      head: ['source', 'kind', 'status', 'lines', 'stored', 'rejected', 'duplicates', 'skipped', 'balanced'],
      rows: c.sources.map((x) => [
        x.path,
        x.kind,
        x.status,
        int(x.lines),
        int(x.stored),
        int(x.rejected),
        int(x.duplicates),
        int(x.skipped),
        yes(x.balanced),
      ]),
      numeric: [3, 4, 5, 6, 7],
    },
  ];
}

/** Rejects by kind of reason, each shown by its most frequent reason word for word. */
function rejectsTable(rj: RejectsPart, basis: string): Block {
  const listed = rj.by_kind.reduce((a, k) => a + k.count, 0);
  const left = rj.kinds - rj.by_kind.length;
  return {
    kind: 'table',
    title: `Rejected lines by reason (${int(rj.total)} in all, ${int(rj.reasons)} distinct reason${rj.reasons === 1 ? '' : 's'})`,
    head: ['reason', 'lines', 'exactly this reason', 'a similar reason'],
    rows: rj.by_kind.map((k) => [
      k.example,
      int(k.count),
      int(k.example_count),
      int(k.count - k.example_count),
    ]),
    note: basis,
    numeric: [1, 2, 3],
    more:
      left > 0
        ? `and ${int(left)} more kind${left === 1 ? '' : 's'} of reason (${int(rj.total - listed)} lines): kcloud-log rejects lists every line`
        : undefined,
  };
}

function render(r: AuditReport): Section {
  const c = r.completeness;
  return {
    id: 'completeness',
    title: 'Completeness',
    blocks: [
      ...accountingBlocks(c),
      rejectsTable(c.rejects, c.basis.rejects!),
      ...(c.rejects.examples.length
        ? [
            {
              kind: 'table' as const,
              title: 'First rejected lines',
              head: ['file', 'line', 'reason'],
              rows: c.rejects.examples.map((x) => [x.path, int(x.line), x.reason]),
            },
          ]
        : []),
      {
        kind: 'table',
        title: `Quiet gaps of ${num(c.gaps.threshold_hours)} h or more: ${int(c.gaps.count)}${c.gaps.longest_hours !== null ? `, longest ${num(c.gaps.longest_hours)} h` : ''}`,
        head: ['from', 'until', 'hours', 'where'],
        rows: c.gaps.list.map((g) => [g.from, g.until, num(g.hours), g.where]),
        note: c.basis.gaps,
        numeric: [2],
      },
    ],
  };
}

export const completeness: ReportSection<'completeness'> = {
  key: 'completeness',
  name: 'completeness',
  compute,
  render,
};
