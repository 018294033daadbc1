/**
 * The CLI's side of a session with a running service (session.ts): finding the service of a
 * database (`<db>.serve.json`), and sending it library calls (wire.ts).
 */
import http from 'node:http';
import os from 'node:os';
import { InputError, LockTimeoutError } from '../errors.js';
import { sleep } from '../sleep.js';
import { gone } from '../store/lease.js';
import { readInstance, instancePath, type ServeInstance } from '../serve/instance.js';
import {
  ARGS_TYPE,
  CLI_KEY_HEADER,
  CLI_PREFIX,
  CLI_TIMEOUT_HEADER,
  decodeError,
  encodeArgs,
  readFrames,
  type Frame,
} from './wire.js';
import type { Session } from './session.js';

/** A service this process may call: live, on this machine, listening, with its key readable. */
export interface Service {
  db: string;
  pid: number;
  url: string;
  key: string;
}

/** How long to wait for a service that has started but is not listening yet. */
const START_WAIT_MS = 10_000;

/**
 * The service running for `db`, if there is one this process can talk to. A service that is
 * starting is waited for (up to 10 s); one whose file this user cannot read is an error (the
 * store is in use, and not by us).
 */
export async function findService(db: string): Promise<Service | undefined> {
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const inst = readInstance(db);
    if (!inst) return undefined;
    if (inst.pid === -1)
      throw new LockTimeoutError(
        `database ${db} is kept open by a service this user may not talk to (${instancePath(db)} is not readable)`,
      );
    if (inst.host !== os.hostname() || gone(inst)) return undefined; // another machine's file, or stale
    if (inst.url && inst.key) return { db, pid: inst.pid, url: localUrl(inst.url), key: inst.key };
    if (inst.url && !inst.key) return undefined; // an older service, without CLI calls: the lock decides
    if (Date.now() > deadline) throw notAnswering(db, inst, 'it has not started listening');
    await sleep(100);
  }
}

/**
 * Wait up to `waitMs` for the service PID `pid` of `db` to be gone (its file removed, or its
 * process dead, or another service in its place); false when it is still there.
 */
export async function serviceGone(db: string, pid: number, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const inst = readInstance(db);
    if (!inst || inst.pid !== pid || inst.host !== os.hostname() || gone(inst)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

/** A service listening on every address is called on loopback. */
function localUrl(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}

const notAnswering = (db: string, s: Pick<ServeInstance, 'pid' | 'url'>, why: string) =>
  new LockTimeoutError(
    `database ${db} is kept open by the service PID ${s.pid}${s.url ? ` at ${s.url}` : ''}, and ${why}`,
  );

/**
 * The service could not be reached, or refused the call because it is shutting down (503),
 * before it began the session's first call: the command may run again without it. `unstarted`:
 * the call certainly did not run (the connection was refused, or the answer was 503), so even a
 * write may go again; otherwise (the connection broke before any answer) only a read.
 */
export class ServiceGoneError extends LockTimeoutError {
  constructor(
    message: string,
    readonly unstarted: boolean,
  ) {
    super(message);
  }
}

/** A session whose calls the service runs; `interrupt()` abandons the calls in flight. */
export interface RemoteSession extends Session {
  interrupt(): void;
}

export function remoteSession(svc: Service, o: { timeoutMs?: number } = {}): RemoteSession {
  const inFlight = new Set<http.ClientRequest>();
  let answered = 0;
  const call = async (name: string, args: unknown[]): Promise<unknown> => {
    const first = answered === 0;
    const body = encodeArgs(args);
    const url = new URL(`${CLI_PREFIX}call/${encodeURIComponent(name)}`, svc.url);
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': ARGS_TYPE,
        'content-length': body.length,
        [CLI_KEY_HEADER]: svc.key,
        [CLI_TIMEOUT_HEADER]: String(o.timeoutMs ?? 0),
      },
    });
    inFlight.add(req);
    req.on('close', () => inFlight.delete(req));
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    }).catch((e: NodeJS.ErrnoException) => {
      if (req.destroyed && !e.code) throw e; // interrupted
      const why = `did not answer (${e.code ?? e.message})`;
      const err = notAnswering(svc.db, { pid: svc.pid, url: svc.url }, why);
      throw first ? new ServiceGoneError(err.message, e.code === 'ECONNREFUSED') : err;
    });
    if (res.statusCode === 503 && first) throw new ServiceGoneError((await refusal(svc, res)).message, true);
    if (res.statusCode !== 200) throw await refusal(svc, res);
    const result = await answer(readFrames(res), () => req.destroy());
    answered++;
    return result;
  };
  return {
    db: svc.db,
    call: (fn, ...args) => call(fn.name, args) as never,
    interrupt: () => {
      for (const r of inFlight) r.destroy(new Error('interrupted'));
    },
  };
}

/** A non-200 answer (the key refused, an unknown call): its `{error}` as an error of ours. */
async function refusal(svc: Service, res: http.IncomingMessage): Promise<Error> {
  let text = '';
  for await (const c of res) text += String(c);
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error: { message: string } }).error.message;
  } catch {
    /* not our JSON */
  }
  return new InputError(`the service of ${svc.db} (PID ${svc.pid}) refused the call: ${message}`);
}

/** The result in the frames: the head, and its stream (if any) as a generator of the items that follow. */
async function answer(frames: AsyncGenerator<Frame>, abandon: () => void): Promise<unknown> {
  const next = async (): Promise<Frame> => {
    for (;;) {
      const r = await frames.next();
      if (r.done) throw new Error('the service closed the connection before its answer was complete');
      if (r.value.t === 'error') throw decodeError(r.value.e);
      if (r.value.t !== 'tick') return r.value;
    }
  };
  const head = await next();
  if (head.t !== 'head') throw new Error(`the service answered out of order (${head.t})`);
  if (head.stream === null) {
    abandon();
    return head.v;
  }
  async function* items(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        const f = await next();
        if (f.t === 'end') return;
        if (f.t === 'item') yield f.v;
      }
    } finally {
      abandon(); // read to the end, or left early: either way the connection is done
    }
  }
  if (head.stream === '') return items();
  return { ...(head.v as object), [head.stream]: items() };
}
