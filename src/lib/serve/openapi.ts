/**
 * GET /openapi.json: an OpenAPI 3.1 document of every route the server has, built from what
 * the routes themselves hold, so it cannot describe a service other than the one running:
 *
 * - the routes as fastify registered them (`collectRoutes`), each with the `doc` of its route
 *   options (a route without one is listed without a summary, which the tests refuse);
 * - the query parameters from the table the route reads them by (query.ts);
 * - the events from the zod schemas that validate them (schema/), converted by zod's
 *   `z.toJSONSchema`; the answers from shapes.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from '../zod.js';
import { EVENT_TYPES, TYPED_FIELDS, type EventType } from '../schema/columns.js';
import { eventShapes } from '../schema/index.js';
import { MAX_COUNT } from '../count.js';
import { durationRangeText } from '../time.js';
import type { Param, Params } from './query.js';
import { errorShape, healthShape, type JsonSchema } from './shapes.js';

export type { JsonSchema } from './shapes.js';

/** A schema in a route's doc: zod (converted) or JSON Schema as it is (a `ref`, say). */
export type Schema = z.ZodType | JsonSchema;

/** Media types and the schema of each. */
export type Content = Record<string, Schema>;

/** What the document says of one route. */
export interface RouteDoc {
  summary: string;
  description?: string;
  tag: string;
  /** The query parameters: the route's own table. */
  query?: Params;
  /** The path parameters, each by what it means. */
  path?: Record<string, string>;
  body?: { description: string; content: Content };
  /** The 200 answer. */
  ok: { description: string; content: Content };
  /** Other answers, by status: when they come (their body is the error shape unless `content`). */
  errors?: Record<number, string | { description: string; content: Content }>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route in /openapi.json. */
    doc?: RouteDoc;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  doc?: RouteDoc;
}

/** Every route registered on `app` from now on (but the HEAD routes fastify adds beside each GET). */
export function collectRoutes(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: r.url, doc: r.config?.doc });
  });
  return routes;
}

/** A reference to a schema of the document's components. */
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a zod schema, as its input is written. */
export function jsonSchema(s: Schema): JsonSchema {
  if (!(s instanceof z.ZodType)) return s;
  const { $schema: _, ...out } = z.toJSONSchema(s, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return out;
}

/** `scheduling_decision` -> `SchedulingDecision`. */
export const schemaName = (type: string) =>
  type.replace(/(?:^|_)([a-z])/g, (_m: string, c: string) => c.toUpperCase());

/** What every event has beside its type's fields (schema/index.ts: classify). */
const envelope = z.looseObject({
  timestamp: z.union([z.string(), z.number()]).meta({
    description:
      'when it happened: ISO 8601 (UTC without an offset), or epoch seconds (below 1e11) or milliseconds',
  }),
  event_id: z
    .union([z.string(), z.number()])
    .optional()
    .meta({ description: 'its own id (else `id`), kept as the stored event_id' }),
});

const KNOWN = EVENT_TYPES.join('|');
/** A type that is none of the five, without control characters, not blank (classify). */
const GENERIC_TYPE = new RegExp(`^(?!(?:${KNOWN})$)(?=[^\\x00-\\x1f]*\\S)[^\\x00-\\x1f]+$`);
const genericEvent = z.looseObject({
  event_type: z.string().regex(GENERIC_TYPE).meta({ description: 'any type but the five typed ones' }),
});

/** The events' schemas: each type's (its shapes, either one), a generic event's, and any event. */
function eventComponents(strict: boolean): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = { EventEnvelope: jsonSchema(envelope) };
  for (const type of EVENT_TYPES) {
    const shapes = eventShapes(type).map(jsonSchema);
    const probe = TYPED_FIELDS[type].nestedProbe?.slice(2);
    out[schemaName(type)] = {
      description: `a ${type} event${shapes.length > 1 ? `, in its nested shape (with ${probe}) or its flat one (without)` : ''}`,
      allOf: [ref('EventEnvelope'), shapes.length > 1 ? { anyOf: shapes } : shapes[0]!],
    };
  }
  const typed = EVENT_TYPES.map((t) => ref(schemaName(t)));
  if (!strict)
    out.GenericEvent = {
      description: 'an event of another type, stored as it is (this service does not run with --strict)',
      allOf: [ref('EventEnvelope'), jsonSchema(genericEvent)],
    };
  out.Event = { anyOf: strict ? typed : [...typed, ref('GenericEvent')] };
  return out;
}

/** The request body of a POST of events of `type` (any type without): one, an array, or NDJSON. */
export function eventsBody(type?: EventType): RouteDoc['body'] {
  const one = ref(type ? schemaName(type) : 'Event');
  const line = { ...one, description: 'one event per line (blank lines are skipped)' };
  return {
    description: `${type ? `${type} events` : 'events of any type'}: one JSON event or an array of them, or NDJSON (a malformed line is that line's reject)`,
    content: {
      'application/json': { oneOf: [one, { type: 'array', items: one }] },
      'application/x-ndjson': line,
      'application/ndjson': line,
      'application/jsonl': line,
    },
  };
}

/** JSON Schema of a query parameter's value, as the route reads it (query.ts). */
function paramSchema(p: Param): JsonSchema {
  switch (p.kind) {
    case 'text':
    case 'time':
      return { type: 'string' };
    case 'list':
      return { type: 'array', items: { type: 'string' } };
    case 'count': {
      const n = { type: 'integer', minimum: p.min, maximum: p.max ?? MAX_COUNT, default: p.default };
      return p.all ? { anyOf: [n, { const: 'all' }] } : n;
    }
    case 'number':
      return { type: 'number', minimum: p.range.min, maximum: p.range.max };
    case 'duration':
      return { type: 'string', default: p.default === undefined ? undefined : `${p.default}ms` };
    case 'option':
      return { type: 'string', enum: [...p.options], default: p.default };
    case 'flag':
      return { type: 'boolean', default: p.default };
  }
}

/** How the value is written, for the description. */
function paramForm(p: Param): string {
  switch (p.kind) {
    case 'list':
      return 'repeatable; commas separate values too';
    case 'time':
      return 'ISO 8601, UTC without an offset; a duration before now: 15m, 24h, 7d; or now';
    case 'count':
      return p.all ? 'a whole number or all' : '';
    case 'number':
      return [p.range.unit, p.range.percent ? 'a % after it allowed' : ''].filter(Boolean).join('; ');
    case 'duration':
      return `a duration (500ms, 30s, 5m, 1h, 7d) ${durationRangeText(p.range)}`;
    case 'flag':
      return 'true, 1 or empty; false or 0';
    default:
      return '';
  }
}

const dropUndefined = (o: JsonSchema): JsonSchema =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function parameters(doc: RouteDoc): JsonSchema[] {
  const path = Object.entries(doc.path ?? {}).map(([name, description]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }));
  const query = Object.entries(doc.query ?? {}).map(([name, p]) => {
    const form = paramForm(p);
    return {
      name,
      in: 'query',
      description: form ? `${p.description} (${form})` : p.description,
      schema: dropUndefined(paramSchema(p)),
      ...(p.kind === 'list' ? { style: 'form', explode: true } : {}),
    };
  });
  return [...path, ...query];
}

const media = (content: Content) =>
  Object.fromEntries(Object.entries(content).map(([type, s]) => [type, { schema: jsonSchema(s) }]));

const ERROR = { 'application/json': ref('Error') };

function operation(method: string, url: string, doc: RouteDoc | undefined, token: boolean): JsonSchema {
  const operationId = [method.toLowerCase(), ...url.split(/[^A-Za-z0-9]+/).filter(Boolean)]
    .map((w, i) => (i ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join('');
  const fallback = { description: 'an error', content: media(ERROR) };
  if (!doc) return { operationId, description: 'not documented', responses: { default: fallback } };
  const responses: JsonSchema = { 200: { description: doc.ok.description, content: media(doc.ok.content) } };
  const errors: NonNullable<RouteDoc['errors']> = {
    400: 'a query parameter the endpoint does not take, or a bad value (the message names it)',
    ...doc.errors,
  };
  if (token) errors[401] = 'no bearer token, or not the one the service was started with';
  for (const [status, e] of Object.entries(errors))
    responses[status] =
      typeof e === 'string'
        ? { description: e, content: media(ERROR) }
        : { description: e.description, content: media(e.content) };
  responses.default = {
    description:
      'any other failure (503: a read timed out or the service is stopping; 500: the store failed)',
    content: media(ERROR),
  };
  return dropUndefined({
    operationId,
    tags: [doc.tag],
    summary: doc.summary,
    description: doc.description,
    parameters: parameters(doc),
    requestBody: doc.body
      ? { description: doc.body.description, required: true, content: media(doc.body.content) }
      : undefined,
    responses,
  });
}

export interface DocumentOptions {
  version: string;
  /** Requests need `Authorization: Bearer` (the bearer scheme, required everywhere). */
  token: boolean;
  /** Events of unknown types are rejected (no generic events). */
  strict: boolean;
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: readonly RouteEntry[], o: DocumentOptions): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]\w*)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r.method, r.url, r.doc, o.token);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'kcloud-log service',
      version: o.version,
      description:
        'The platform event log over HTTP (`kcloud-log serve`): POST events, query them, the analyses, the audit report, alerts, a live stream. Query parameters are the flags of the matching CLI command, read the same way; every error is `{"error": {"code", "message"}}`. Every GET also answers HEAD.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorShape), ...eventComponents(o.strict) },
      ...(o.token ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
    ...(o.token ? { security: [{ bearer: [] }] } : {}),
  };
}

export const HEALTH_DOC: RouteDoc = {
  tag: 'service',
  summary: 'Liveness, whether the store is open, and the follow lag of each followed file',
  ok: { description: 'the service is up', content: { 'application/json': healthShape } },
};

export const METRICS_DOC: RouteDoc = {
  tag: 'service',
  summary: 'Metrics in the Prometheus text format',
  description:
    'Events stored, rejected and duplicated by type and source, line accounting per source, the commit latency histogram, follow lag bytes per source, SSE clients.',
  ok: { description: 'the metrics', content: { 'text/plain': { type: 'string' } } },
};

const OPENAPI_DOC: RouteDoc = {
  tag: 'service',
  summary: 'This document: OpenAPI 3.1, generated from the routes and the schemas the service validates by',
  ok: { description: 'the document', content: { 'application/json': { type: 'object' } } },
};

/** GET /openapi.json: the document of the routes on `app` (built at the first request, when all are registered). */
export function openApiRoute(app: FastifyInstance, routes: readonly RouteEntry[], o: DocumentOptions): void {
  let doc: JsonSchema | undefined;
  app.get(
    '/openapi.json',
    { config: { doc: OPENAPI_DOC } },
    async () => (doc ??= openApiDocument(routes, o)),
  );
}
