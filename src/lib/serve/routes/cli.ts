/**
 * `POST /cli/v1/call/{name}`: a CLI command's library call, run here on the store this service
 * keeps open (session/session.ts; the wire format is session/wire.ts).
 *
 * - Only from this machine (a loopback peer), and only with the key of `<db>.serve.json`, which
 *   only the service's own user can read: the key stands for that user, as a local socket's
 *   permissions would. It replaces the bearer token for these calls.
 * - Only the calls of the registry (session/ops.ts), each a read (a connection of its own,
 *   interrupted when the client goes away or after the client's --timeout) or a write (the one
 *   writer, finished even if the client goes away: what it committed stays committed).
 * - The answer streams: a streamed result (an export) is sent chunk by chunk as the client reads
 *   it, and a long call sends a `tick` every 20 s so that no idle timeout cuts it.
 */
import { once } from 'node:events';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { OPS } from '../../session/ops.js';
import {
  ARGS_TYPE,
  CLI_KEY_HEADER,
  CLI_PREFIX,
  CLI_TIMEOUT_HEADER,
  decodeArgs,
  encodeError,
  frame,
  FRAMES_TYPE,
  streamOf,
  type Frame,
} from '../../session/wire.js';
import { storeFailure } from '../../store/failure.js';
import type { Store } from '../../store/open.js';
import { tokenMatches, type RouteContext } from '../server.js';
import { errorBody } from '../errors.js';
import type { RouteDoc } from '../openapi.js';

/** The largest call (its arguments): rules and filters, never data. */
const ARGS_LIMIT = 4 * 2 ** 20;
const TICK_MS = 20_000;

/** Is `address` this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback)? */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/i, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

class ClientGone extends Error {}

/** Frames to `raw`, waiting while its buffer is full; ClientGone once the client has left. */
function framesTo(raw: ServerResponse) {
  let gone = false;
  const left = new AbortController();
  raw.on('close', () => {
    gone = !raw.writableFinished;
    if (gone) left.abort();
  });
  return {
    left: left.signal,
    get gone() {
      return gone;
    },
    async send(f: Frame): Promise<void> {
      if (gone) throw new ClientGone();
      if (raw.write(frame(f))) return;
      await once(raw, 'drain', { signal: left.signal }).catch(() => undefined);
      if (gone) throw new ClientGone();
    },
  };
}

/** The route in /openapi.json: there, but not an API for other clients (its formats are V8's and the CLI's). */
const CALL_DOC: RouteDoc = {
  tag: 'service',
  summary: "The CLI's own calls: a command's library call, run on the store this service keeps open",
  description: `For \`kcloud-log\` commands run beside the service (the CLI finds it by <db>.serve.json). From this machine only, with the key of that file in ${CLI_KEY_HEADER} (the bearer token is not asked for); the body and the answer are in V8's structured-clone format, so this is not an API for other clients: use the endpoints above.`,
  path: { name: 'the library function called (a registered one)' },
  body: {
    description: "the call's arguments, V8-serialized",
    content: { [ARGS_TYPE]: { type: 'string', contentEncoding: 'binary' } },
  },
  ok: {
    description:
      'length-prefixed V8-serialized frames: the result (or its stream, chunk by chunk), or the error',
    content: { [FRAMES_TYPE]: { type: 'string', contentEncoding: 'binary' } },
  },
  errors: {
    401: 'the key is missing or wrong',
    403: 'not from this machine',
    404: 'no such call',
  },
};

type CallReq = FastifyRequest<{ Params: { name: string }; Body: Buffer }>;

export function cliRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser(ARGS_TYPE, { parseAs: 'buffer', bodyLimit: ARGS_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    app.post(
      `${CLI_PREFIX}call/:name`,
      { config: { doc: CALL_DOC } },
      async (req: CallReq, reply: FastifyReply) => {
        const refused = refusal(ctx, req);
        if (refused) return reply.code(refused.status).send(errorBody(refused.code, refused.message));
        const op = OPS.get(req.params.name);
        if (!op)
          return reply
            .code(404)
            .send(
              errorBody(
                'NotFound',
                `no such call: ${req.params.name.slice(0, 100)} (a newer CLI than this service?)`,
              ),
            );
        const args = decodeArgs(req.body);
        const timeout = Number(req.headers[CLI_TIMEOUT_HEADER] ?? 0);
        const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : 0;

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': FRAMES_TYPE, 'cache-control': 'no-store' });
        const out = framesTo(raw);
        const tick = setInterval(() => void out.send({ t: 'tick' }).catch(() => undefined), TICK_MS);
        const run = async (store: Store) => {
          // a read stops when its client leaves; a write finishes (what it commits is kept)
          if (op.kind === 'read')
            out.left.addEventListener('abort', () => store.conn.interrupt(), { once: true });
          const result = await op.fn(store, ...args);
          const { at, stream, head } = streamOf(result);
          clearInterval(tick);
          await out.send({ t: 'head', v: head, stream: at });
          if (!stream) return;
          for await (const item of stream) await out.send({ t: 'item', v: item });
          await out.send({ t: 'end' });
        };
        try {
          // the service's own timeout is the client's, and a little: the client's fires first, with its message
          await (op.kind === 'write'
            ? ctx.shared.write(run)
            : ctx.shared.read(run, timeoutMs ? timeoutMs + 2_000 : 0));
        } catch (e) {
          if (!out.gone && !(e instanceof ClientGone))
            raw.write(frame({ t: 'error', e: encodeError(storeFailure(e, ctx.shared.path) ?? e) }));
        } finally {
          clearInterval(tick);
          raw.end();
        }
      },
    );
  };
}

function refusal(ctx: RouteContext, req: FastifyRequest) {
  if (!isLoopbackPeer(req.socket.remoteAddress))
    return { status: 403, code: 'Forbidden', message: 'CLI calls are taken from this machine only' };
  const given = req.headers[CLI_KEY_HEADER];
  if (!ctx.cliKey || typeof given !== 'string' || !tokenMatches(given, ctx.cliKey))
    return {
      status: 401,
      code: 'Unauthorized',
      message: `CLI calls need the key of the service's instance file (${CLI_KEY_HEADER})`,
    };
  return undefined;
}
