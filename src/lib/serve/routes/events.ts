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
import type { EventType } from '../../schema/columns.js';
import { HttpIngest } from '../post.js';
import type { BodyKind } from '../body.js';
import { FILTER_PARAMS, omitParams, paramName, Query, type Params, type RawQuery } from '../query.js';
import { eventsBody, type RouteDoc } from '../openapi.js';
import { eventsPageShape, postResultShape, rejectedShape, traceShape } from '../shapes.js';
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

const PAGE_PARAMS = {
  limit: { kind: 'count', min: 0, max: MAX_PAGE, default: DEFAULT_PAGE, description: 'events per page' },
  after: { kind: 'count', min: 0, description: "only events with a greater seq (the last page's `next`)" },
} as const satisfies Params;
const LIST_PARAMS = { ...FILTER_PARAMS, ...PAGE_PARAMS } as const satisfies Params;
const TYPE_LIST_PARAMS = omitParams(LIST_PARAMS, 'type');
const TRACE_PARAMS = {
  since: { kind: 'time', description: 'only events at or after this time' },
  until: { kind: 'time', description: 'only events before this time' },
  raw: { kind: 'flag', default: false, description: "each timeline entry with the event's JSON as logged" },
  limit: {
    kind: 'count',
    min: 0,
    all: true,
    description: 'how many inefficiencies on its clusters to list (all are counted; default: all)',
  },
} as const satisfies Params;

const POSTED: RouteDoc['errors'] = {
  400: 'a JSON body that is not JSON (the message names the line and column) or is empty, or a query parameter (none is taken)',
  413: 'a body larger than the limit',
  415: 'a content type other than application/json or NDJSON',
  422: {
    description: 'every event was rejected (the rejects are kept all the same: retrying will not help)',
    content: { 'application/json': rejectedShape },
  },
};

const postDoc = (type?: EventType): RouteDoc => ({
  tag: 'events',
  summary: type ? `Store ${type} events` : 'Store events of any type',
  description:
    "Answered once the events are committed (durable), each as stored, duplicate (stored before: a retried POST stores nothing new) or rejected with the reason; rejected ones are kept in `rejects` as a file's lines are.",
  body: eventsBody(type),
  ok: { description: 'what became of each event', content: { 'application/json': postResultShape } },
  errors: POSTED,
});

const PAGE = { description: 'a page of events', content: { 'application/json': eventsPageShape } };
const LIST_DOC: RouteDoc = {
  tag: 'events',
  summary: 'List events (the filters of `events`), a page at a time in seq order',
  query: LIST_PARAMS,
  ok: PAGE,
};
const TYPE_LIST_DOC: RouteDoc = {
  tag: 'events',
  summary: 'List events of one type',
  path: {
    type: `an event type, by its endpoint name (${Object.keys(TYPE_ENDPOINTS).join(', ')}) or its event_type`,
  },
  query: TYPE_LIST_PARAMS,
  ok: PAGE,
};
const TRACE_DOC: RouteDoc = {
  tag: 'events',
  summary: "A workload's trace (`trace`)",
  path: { id: 'the workload id' },
  query: TRACE_PARAMS,
  ok: { description: 'the trace', content: { 'application/json': traceShape } },
  errors: { 404: 'no events for the workload (the message suggests close matches)' },
};

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
      new Query(req.query, {}).done();
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
    app.post('/events', { config: { doc: postDoc() } }, post('POST /events'));
    for (const [name, type] of Object.entries(TYPE_ENDPOINTS))
      app.post(`/events/${name}`, { config: { doc: postDoc(type) } }, post(`POST /events/${name}`, type));

    app.get('/events', { config: { doc: LIST_DOC } }, async (req: Req) =>
      listEvents(ctx, new Query(req.query, LIST_PARAMS)),
    );
    app.get('/events/workload/:id', { config: { doc: TRACE_DOC } }, async (req: Req) =>
      trace(ctx, req.params.id!, new Query(req.query, TRACE_PARAMS)),
    );
    app.get('/events/:type', { config: { doc: TYPE_LIST_DOC } }, async (req: Req) => {
      const t = req.params.type!;
      return listEvents(ctx, new Query(req.query, TYPE_LIST_PARAMS), TYPE_ENDPOINTS[t] ?? t);
    });
  };
}

/** GET /events (and /events/:type): the filters of `events`, `limit`, and `after` (a seq). */
async function listEvents(
  ctx: RouteContext,
  q: Query<typeof LIST_PARAMS | typeof TYPE_LIST_PARAMS>,
  type?: string,
): Promise<EventsPage> {
  const filter = q.filter();
  if (type) filter.types = [type];
  const limit = q.count('limit');
  const after = q.count('after');
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
async function trace(ctx: RouteContext, workload: string, q: Query<typeof TRACE_PARAMS>) {
  const f = q.timeRange('since', 'until');
  const withRaw = q.flag('raw');
  const limit = q.count('limit');
  q.done();
  if (!workload.trim()) throw new UsageError('a workload id is needed: GET /events/workload/ID');
  return ctx.read((store) =>
    traceWorkload(store, workload, { since: f.since, until: f.until, withRaw, inefficiencyLimit: limit }),
  );
}
