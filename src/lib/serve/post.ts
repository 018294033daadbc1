/**
 * POSTed events: the same accounting as a file's lines (ingest/accounting.ts: decode, classify
 * with the zod schemas, reject with the reason), committed through the store's one writer, and
 * the answer per event read back from what the commit stored.
 *
 * Each endpoint is a source of its own (kind `http`, path `http:POST /events/scheduling`, ...):
 * its lines are numbered on from request to request and across restarts, so every event and
 * reject names its line, and `lines = stored + rejected + duplicates + skipped` holds for it as
 * for a file (blank NDJSON lines are skipped).
 */
import { Ingester, SourceState } from '../ingest/ingest.js';
import { DEFAULT_MAX_LINE_BYTES, type Line } from '../ingest/lines.js';
import { createSource, listSources } from '../store/sources.js';
import { queryRows } from '../store/sql.js';
import type { Store } from '../store/open.js';
import type { SharedStore } from '../store/shared.js';
import { bodyLines, type BodyKind } from './body.js';

export type ItemStatus = 'stored' | 'duplicate' | 'rejected';

/** What became of one event of the body (index: its position in the array, or its NDJSON line, from 0). */
export interface ItemResult {
  index: number;
  status: ItemStatus;
  event_id: string | null;
  /** The stored event's sequence number. */
  seq?: number;
  /** Why it was rejected. */
  reason?: string;
}

export interface PostResult {
  source: string;
  stored: number;
  duplicates: number;
  rejected: number;
  events: ItemResult[];
}

export interface PostOptions {
  strict?: boolean;
  maxLineBytes?: number;
}

/** What was read of one item before the commit. */
type Pending = { index: number; line: number } & ({ eventId: string } | { reason: string });

export class HttpIngest {
  /** The source state of each endpoint, kept between requests (dropped when a commit fails). */
  private readonly states = new Map<string, SourceState>();

  constructor(
    private readonly shared: SharedStore,
    private readonly opts: PostOptions = {},
  ) {}

  /**
   * Store the events of a body POSTed to `endpoint` (`POST /events`), only of `expectType` when
   * given. Resolves once they are committed (durable).
   */
  async post(endpoint: string, body: Buffer, kind: BodyKind, expectType?: string): Promise<PostResult> {
    const lines = bodyLines(body, kind); // a malformed JSON body is refused before the queue
    const path = `http:${endpoint}`;
    return this.shared.write(async (store) => {
      const state = await this.state(store, path);
      try {
        return { source: path, ...(await this.ingest(store, state, lines, expectType)) };
      } catch (e) {
        this.states.delete(path); // read the source's committed state again next time
        throw e;
      }
    });
  }

  /** Account for the lines as a file's (noting what each became), commit, and say what was stored. */
  private async ingest(
    store: Store,
    state: SourceState,
    lines: Buffer,
    expectType: string | undefined,
  ): Promise<Omit<PostResult, 'source'>> {
    const ing = new Ingester({ ...this.opts, eventsOnly: true, expectType });
    state.tagsCache.clear(); // each request's events carry its own ingested_at
    const pending: Pending[] = [];
    let index = 0;
    const onLine = (line: Line) => {
      const [events, rejects] = [ing.events.length, ing.rejects.length];
      ing.handleLine(state, line);
      if (ing.events.length > events)
        pending.push({ index, line: state.lineNo, eventId: ing.events.at(-1)!.eventId });
      else if (ing.rejects.length > rejects)
        pending.push({ index, line: state.lineNo, reason: ing.rejects.at(-1)!.reason });
      index++;
    };
    state.splitter.push(lines, onLine);
    state.splitter.flushFinal(onLine);
    await ing.commit(store);
    return outcome(store, state.row.id, pending);
  }

  /** The endpoint's source: found by its path, else created. */
  private async state(store: Store, path: string): Promise<SourceState> {
    let s = this.states.get(path);
    if (!s) {
      const found = (await listSources(store)).find((r) => r.kind === 'http' && r.path === path);
      const row = found ?? (await createSource(store, path, 'http', null, null, 0));
      s = new SourceState(row, found ? 'resume' : 'new', this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, {
        window: false,
      });
      this.states.set(path, s);
    }
    return s;
  }
}

/**
 * Each item's status from what the commit wrote: an event whose line is in `events` was stored
 * (by this request), one whose line is in `rejects` was refused by DuckDB at commit, any other
 * was a duplicate of an event stored before.
 */
async function outcome(
  store: Store,
  sourceId: number,
  pending: Pending[],
): Promise<Omit<PostResult, 'source'>> {
  const events: ItemResult[] = [];
  const counts = { stored: 0, duplicates: 0, rejected: 0 };
  if (!pending.length) return { ...counts, events };
  const range = [sourceId, pending[0]!.line, pending.at(-1)!.line];
  const seqs = new Map(
    (
      await queryRows(
        store,
        'SELECT line, seq FROM events WHERE source_id = $1 AND line BETWEEN $2 AND $3',
        range,
      )
    ).map((r) => [Number(r.line), Number(r.seq)]),
  );
  const late = new Map(
    (
      await queryRows(
        store,
        'SELECT line, reason FROM rejects WHERE source_id = $1 AND line BETWEEN $2 AND $3',
        range,
      )
    ).map((r) => [Number(r.line), String(r.reason)]),
  );
  for (const p of pending) {
    if ('reason' in p) {
      counts.rejected++;
      events.push({ index: p.index, status: 'rejected', event_id: null, reason: p.reason });
    } else if (seqs.has(p.line)) {
      counts.stored++;
      events.push({ index: p.index, status: 'stored', event_id: p.eventId, seq: seqs.get(p.line)! });
    } else if (late.has(p.line)) {
      counts.rejected++;
      events.push({ index: p.index, status: 'rejected', event_id: p.eventId, reason: late.get(p.line)! });
    } else {
      counts.duplicates++;
      events.push({ index: p.index, status: 'duplicate', event_id: p.eventId });
    }
  }
  return { ...counts, events };
}
