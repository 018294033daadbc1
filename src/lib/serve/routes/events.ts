/**
 * Events: POST them (one JSON event or an array, or NDJSON; by type or any type), list them
 * (`events`'s filters, a page at a time by seq), and a workload's trace.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors.js';
import { UsageError } from '../../errors.js';
import { checkTypes } from '../../query/filters.js';
import { countEvents, listedEvent, searchEvents, type ListedEvent } from '../../query/events.js';
import { traceWorkload } from '../../query/trace.js';
import { readCount } from '../../count.js';
import type { EventType } from '../../schema/columns.js';
import { HttpIngest } from '../post.js';
import type { BodyKind } from '../body.js';
import { paramName, Query, type RawQuery } from '../query.js';
import type { RouteContext } from '../server.js';

/** POST /events/<name>: the type each takes. */
export const TYPE_ENDPOINTS: Record<string, EventType> = {
  scheduling: 'scheduling_decision',
  relocation: 'workload_relocation',
  cluster: 'cluster_reconfiguration',
  inefficiency: 'inefficiency_detected',
  policy: 'policy_change',
};

/** The content types a POST of events takes, and how each is read. */
const BODY_TYPES: Record<string, BodyKind> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/** The most events one GET /events page lists. */
export const MAX_PAGE = 10_000;
const DEFAULT_PAGE = 50;

export interface EventsPage {
  /** Events matching the filters, in all (whatever the cursor). */
  total: number;
  /** This page, in seq order, each as `events --json` lists it. */
  events: ListedEvent[];
  /** The `after` of the next page; null when this is the last. */
  next: number | null;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: RawQuery }>;

export function eventRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    const ingest = new HttpIngest(ctx.shared, { strict: ctx.strict, maxLineBytes: ctx.maxLineBytes });
    // The body as bytes, whatever it holds: events are read by the ingester, not by fastify.
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser(Object.keys(BODY_TYPES), { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    const kindOf = (req: FastifyRequest): BodyKind => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      return BODY_TYPES[type] ?? 'json';
    };
    // 200 once committed, each event saying stored, duplicate or rejected; 422 when every one was
    // rejected (the rejects are kept all the same: retrying will not help).
    const post = (endpoint: string, type?: EventType) => async (req: Req, reply: FastifyReply) => {
      new Query(req.query).done();
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const result = await ingest.post(endpoint, body, kindOf(req), type);
      const refused = result.events.length > 0 && result.rejected === result.events.length;
      if (!refused) return result;
      const reason = result.events[0]!.reason ?? 'rejected';
      return reply.code(422).send({
        ...errorBody('EventsRejected', `every event was rejected; the first: ${reason}`),
        ...result,
      });
    };
    app.post('/events', post('POST /events'));
    for (const [name, type] of Object.entries(TYPE_ENDPOINTS))
      app.post(`/events/${name}`, post(`POST /events/${name}`, type));

    app.get('/events', async (req: Req) => listEvents(ctx, new Query(req.query)));
    app.get('/events/workload/:id', async (req: Req) => trace(ctx, req.params.id!, new Query(req.query)));
    app.get('/events/:type', async (req: Req) => {
      const t = req.params.type!;
      return listEvents(ctx, new Query(req.query), TYPE_ENDPOINTS[t] ?? t);
    });
  };
}

/** GET /events (and /events/:type): the filters of `events`, `limit`, and `after` (a seq). */
async function listEvents(ctx: RouteContext, q: Query, type?: string): Promise<EventsPage> {
  const filter = q.filter(type ? ['type'] : []);
  if (type) filter.types = [type];
  const limit = q.count('limit', 0, MAX_PAGE) ?? DEFAULT_PAGE;
  const after = q.count('after', 0);
  q.done();
  return ctx.read(async (store) => {
    await checkTypes(store, filter.types, paramName);
    const [rows, total] = await Promise.all([
      limit
        ? searchEvents(store, { ...filter, afterSeq: after }, { by: 'seq', order: 'asc', limit: limit + 1 })
        : [],
      countEvents(store, filter),
    ]);
    const page = rows.slice(0, limit);
    return {
      total,
      events: page.map(listedEvent),
      next: rows.length > limit ? page.at(-1)!.seq : null,
    };
  });
}

/** GET /events/workload/:id: `trace`, with its --since, --until, --raw and --limit. */
async function trace(ctx: RouteContext, workload: string, q: Query) {
  const f = q.timeRange('since', 'until');
  const withRaw = q.flag('raw');
  const limitText = q.one('limit');
  q.done();
  const limit =
    limitText === undefined
      ? undefined
      : limitText.trim() === 'all'
        ? Number.POSITIVE_INFINITY
        : readCount(limitText, paramName('limit'), 0);
  if (!workload.trim()) throw new UsageError('a workload id is needed: GET /events/workload/ID');
  return ctx.read((store) =>
    traceWorkload(store, workload, { since: f.since, until: f.until, withRaw, inefficiencyLimit: limit }),
  );
}
