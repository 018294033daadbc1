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
import type { BatchResult } from '../store/writer.js';
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

/** One POST waiting for its group's commit. */
interface Job {
  path: string;
  lines: Buffer;
  resolve: (r: PostResult) => void;
  reject: (e: unknown) => void;
}

/** A group's bodies are at most this many bytes; more POSTs wait for the next group. */
export const GROUP_BYTES = 64 << 20;

export class HttpIngest {
  /** The source state of each endpoint, kept between requests (dropped when a commit fails). */
  private readonly states = new Map<string, SourceState>();
  /** Per expected type ('' for any): the POSTs that will go in the next commit, not begun yet. */
  private readonly next = new Map<string, { jobs: Job[]; bytes: number }>();

  constructor(
    private readonly shared: SharedStore,
    private readonly opts: PostOptions = {},
  ) {}

  /**
   * Store the events of a body POSTed to `endpoint` (`POST /events`), only of `expectType` when
   * given. Resolves once they are committed (durable).
   *
   * Group commit: POSTs that arrive while the writer is busy (another group's commit, the
   * follower's) wait together and go in one commit when its turn comes, each with its own
   * lines and its own answer. A commit has a fixed cost of a few hundred milliseconds, so
   * concurrent clients share it instead of queueing one commit each. Should the commit fail,
   * every POST of the group fails (nothing of it was stored; clients retry).
   */
  async post(endpoint: string, body: Buffer, kind: BodyKind, expectType?: string): Promise<PostResult> {
    const lines = bodyLines(body, kind); // a malformed JSON body is refused before the queue
    const path = `http:${endpoint}`;
    return new Promise<PostResult>((resolve, reject) => {
      const key = expectType ?? '';
      let group = this.next.get(key);
      if (!group || group.bytes + lines.length > GROUP_BYTES) {
        const g = (group = { jobs: [] as Job[], bytes: 0 });
        this.next.set(key, g);
        this.shared
          .write(async (store) => {
            if (this.next.get(key) === g) this.next.delete(key); // begun: later POSTs start the next group
            await this.commitGroup(store, g.jobs, expectType);
          })
          .catch((e: unknown) => {
            for (const j of g.jobs) j.reject(e);
          });
      }
      group.jobs.push({ path, lines, resolve, reject });
      group.bytes += lines.length;
    });
  }

  /** Account for every POST's lines as a file's (noting what each became), commit once, answer each. */
  private async commitGroup(store: Store, jobs: Job[], expectType: string | undefined): Promise<void> {
    const ing = new Ingester({ ...this.opts, eventsOnly: true, expectType });
    const read: { job: Job; state: SourceState; pending: Pending[] }[] = [];
    const fresh = new Set<SourceState>();
    try {
      for (const job of jobs) {
        const state = await this.state(store, job.path);
        // the events of a commit carry its ingested_at
        if (!fresh.has(state)) state.tagsCache.clear();
        fresh.add(state);
        read.push({ job, state, pending: account(ing, state, job.lines) });
      }
      await ing.commit(store);
    } catch (e) {
      for (const j of jobs) this.states.delete(j.path); // read the sources' committed state again next time
      throw e;
    }
    const batch = ing.lastBatch;
    for (const { job, state, pending } of read) {
      try {
        job.resolve({ source: job.path, ...(await outcome(store, state.row.id, pending, batch)) });
      } catch (e) {
        job.reject(e); // committed, but its answer could not be read: the client retries, as duplicates
      }
    }
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

/** Account for a body's lines with `ing` as a file's lines, noting what each item became. */
function account(ing: Ingester, state: SourceState, lines: Buffer): Pending[] {
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
  return pending;
}

/**
 * Each item's status from what the commit wrote: an event whose line is in `events` was stored
 * (by this request), one whose line is in `rejects` was refused by DuckDB at commit, any other
 * was a duplicate of an event stored before. Only the commit's own seqs are read (`batch`: the
 * zone maps of seq skip every older row group, so a big store costs no more than a small one),
 * and `rejects` only when DuckDB refused a row of this source.
 */
async function outcome(
  store: Store,
  sourceId: number,
  pending: Pending[],
  batch: BatchResult | undefined,
): Promise<Omit<PostResult, 'source'>> {
  const events: ItemResult[] = [];
  const counts = { stored: 0, duplicates: 0, rejected: 0 };
  if (!pending.length) return { ...counts, events };
  const range = [sourceId, pending[0]!.line, pending.at(-1)!.line];
  const [first, last] = batch ? [batch.firstSeq, batch.lastSeq] : [0, Number.MAX_SAFE_INTEGER];
  const seqs = new Map(
    first > last
      ? []
      : (
          await queryRows(
            store,
            'SELECT line, seq FROM events WHERE seq BETWEEN $4 AND $5 AND source_id = $1 AND line BETWEEN $2 AND $3',
            [...range, first, last],
          )
        ).map((r) => [Number(r.line), Number(r.seq)]),
  );
  const refused = !batch || (batch.perSource.get(sourceId)?.rejected ?? 0) > 0;
  const late = new Map(
    refused
      ? (
          await queryRows(
            store,
            'SELECT line, reason FROM rejects WHERE source_id = $1 AND line BETWEEN $2 AND $3',
            range,
          )
        ).map((r) => [Number(r.line), String(r.reason)])
      : [],
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
