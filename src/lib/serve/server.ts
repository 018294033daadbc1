/**
 * The service's HTTP API (fastify): `buildServer` makes the instance (tests drive it with
 * `inject`), run.ts listens. Every endpoint is a library call the CLI makes too, with the same
 * options (read from the query string like flags, query.ts) and the same result types.
 *
 * - writes (POSTed events, alert rules) go through the store's one writer (store/shared.ts) and
 *   are answered once committed;
 * - reads run on connections of their own, under a timeout;
 * - with a token, every request needs `Authorization: Bearer <token>` (compared in constant time);
 * - every error is `{error: {code, message}}` (errors.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { SloSet } from '../analyze/sla.js';
import type { FollowStatus } from '../ingest/follow.js';
import type { SharedStore } from '../store/shared.js';
import type { Store } from '../store/open.js';
import { errorBody, httpError } from './errors.js';
import { readInputFile } from '../input-file.js';
import { UsageError } from '../errors.js';
import { eventRoutes } from './routes/events.js';
import { readRoutes } from './routes/read.js';
import { alertRoutes } from './routes/alerts.js';
import { streamRoutes } from './routes/stream.js';
import { cliRoutes } from './routes/cli.js';
import { CLI_PREFIX } from '../session/wire.js';
import { Histogram, metricsText } from './metrics.js';
import { collectRoutes, HEALTH_DOC, METRICS_DOC, openApiRoute } from './openapi.js';

export const DEFAULT_BODY_LIMIT = 16 * 2 ** 20;
/** A read's limit (queries), and the report's (it reads the whole store), as the CLI's --timeout defaults. */
export const QUERY_TIMEOUT_MS = 30_000;
export const SCAN_TIMEOUT_MS = 600_000;

export interface ServerOptions {
  shared: SharedStore;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** The largest request body, bytes (default 16 MiB): larger ones get 413. */
  bodyLimit?: number;
  /** Reject events of unknown types (ingest --strict). */
  strict?: boolean;
  maxLineBytes?: number;
  /** The SLOs of the analyses, alerts and report. */
  slos: SloSet;
  /** kcloud-log's version, in reports and /health. */
  version: string;
  /** The follower's latest status (per-file lag), when the service follows files. */
  followStatus?: () => FollowStatus | undefined;
  queryTimeoutMs?: number;
  scanTimeoutMs?: number;
  /** The key of CLI calls (routes/cli.ts); without it the CLI cannot call. */
  cliKey?: string;
}

/** What every route module gets. */
export interface RouteContext extends ServerOptions {
  /** The open SSE streams, each by the function that ends it. */
  streams: Set<() => void>;
  /** Latency of the writer's writes, for /metrics. */
  commits: Histogram;
  /** Run a read with the query timeout (`scan`: the report's). */
  read<T>(fn: (s: Store) => Promise<T>, scan?: boolean): Promise<T>;
}

/** Equal tokens, in time that does not depend on where they differ (nor on their lengths). */
export function tokenMatches(given: string, token: string): boolean {
  const digest = (t: string) => createHash('sha256').update(t, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}

function authorize(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith(CLI_PREFIX)) return; // the CLI's calls carry the instance key instead
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (m && tokenMatches(m[1]!, token)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send(
        errorBody(
          'Unauthorized',
          m
            ? 'the bearer token is not the one this service was started with'
            : 'missing Authorization: Bearer <token>',
        ),
      );
  };
}

/** The path of a request, for messages (without its query, cut short). */
const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!.slice(0, 200);

/** A 415's message: what the request sent, and what the endpoint takes. */
function unsupportedType(req: FastifyRequest): string {
  const type = req.headers['content-type'];
  const sent = type ? `content type "${type.slice(0, 100)}"` : 'a body without a content type';
  const takes = pathOf(req).startsWith('/events')
    ? 'send application/json (one event or an array) or application/x-ndjson (one event per line)'
    : 'send application/json';
  return `${req.method} ${pathOf(req)} does not take ${sent}: ${takes}`;
}

export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Limits and timeouts, explicitly: a request's headers in 10 s and its whole body in 60 s, an
    // idle keep-alive connection closed after 5 s, any socket without traffic after 11 minutes
    // (longer than the longest read: the report's), headers of at most 16 KiB.
    connectionTimeout: 660_000,
    keepAliveTimeout: 5_000,
    requestTimeout: 60_000,
    http: { headersTimeout: 10_000, maxHeaderSize: 16 * 1024 },
    maxRequestsPerSocket: 10_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 512 },
  });
  const routes = collectRoutes(app); // for /openapi.json
  const commits = new Histogram();
  const unsubscribe = o.shared.subscribe((w) => commits.observe(w.ms / 1000));
  app.addHook('onClose', async () => unsubscribe());
  const ctx: RouteContext = {
    ...o,
    streams: new Set(),
    commits,
    read: (fn, scan = false) =>
      o.shared.read(fn, scan ? (o.scanTimeoutMs ?? SCAN_TIMEOUT_MS) : (o.queryTimeoutMs ?? QUERY_TIMEOUT_MS)),
  };
  if (o.token !== undefined) app.addHook('onRequest', authorize(o.token));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const e = httpError(err, o.shared.path);
    if (e.body.error.code === 'UnsupportedMediaType') e.body.error.message = unsupportedType(req);
    return reply.code(e.status).send(e.body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('NotFound', `no such endpoint: ${req.method} ${pathOf(req)}`)),
  );
  app.get('/health', { config: { doc: HEALTH_DOC } }, async () => ({
    ok: o.shared.open,
    store_open: o.shared.open,
    db: o.shared.path,
    version: o.version,
    follow: o.followStatus?.()?.files ?? [],
  }));
  await app.register(eventRoutes(ctx));
  await app.register(readRoutes(ctx));
  await app.register(alertRoutes(ctx));
  await app.register(streamRoutes(ctx));
  await app.register(cliRoutes(ctx));
  app.get('/metrics', { config: { doc: METRICS_DOC } }, async (_req, reply) => {
    const text = await ctx.read((s) =>
      metricsText(s, { commits, sseClients: ctx.streams.size, follow: o.followStatus?.() }),
    );
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  openApiRoute(app, routes, { version: o.version, token: o.token !== undefined, strict: o.strict ?? false });
  return app;
}

/** The shortest token taken: a short one could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/** The bearer token in `file` (its text, without surrounding whitespace). */
export function loadToken(file: string): string {
  const token = readInputFile(file, 4096, 'token file').toString('utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    throw new UsageError(
      `--token-file ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32 > ${file})`,
    );
  return token;
}
