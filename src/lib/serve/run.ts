/**
 * Running the service: claim the database (`<db>.serve.json`, the ingest lease), open the store
 * read-write once, serve HTTP, follow the given paths through the same writer, and on the stop
 * signal shut down in order: stop accepting (requests in flight are answered), let the follower
 * commit what is complete, close the store, remove `<db>.serve.json`.
 */
import net from 'node:net';
import { UsageError } from '../errors.js';
import { follow, type FollowOptions, type FollowResult, type FollowStatus } from '../ingest/follow.js';
import type { PathError } from '../ingest/paths.js';
import { acquireLease } from '../store/lease.js';
import type { OpenOptions } from '../store/open.js';
import { openSharedStore } from '../store/shared.js';
import { sandbox } from './sandbox.js';
import { claimInstance } from './instance.js';
import { buildServer, type ServerOptions } from './server.js';

export const DEFAULT_LISTEN = '127.0.0.1:8007';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[IPv6]:PORT`; a usage error naming --listen otherwise. */
export function parseListen(text: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65_535))
    throw new UsageError(
      `--listen "${text}": expected HOST:PORT (127.0.0.1:8007, [::1]:8007, 0.0.0.0:8007; port 0: any free port)`,
    );
  return { host: m[1]!, port };
}

/** Is `host` this machine's loopback (only local processes can connect)? */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v = net.isIP(host);
  if (v === 4) return host.startsWith('127.');
  if (v === 6) return host === '::1' || /^(0+:){7}0*1$/.test(host) || host === '::ffff:127.0.0.1';
  return false;
}

export interface RunOptions extends Omit<ServerOptions, 'shared' | 'followStatus'> {
  dbPath: string;
  listen: ListenAddress;
  open: OpenOptions;
  /** What the ingest lease says holds the store. */
  command: string;
  /** Paths to follow (files, directories, globs), with follow mode's options. */
  follow: readonly string[];
  followOptions: Omit<
    FollowOptions,
    'dbPath' | 'open' | 'writer' | 'signal' | 'onStatus' | 'onError' | 'onSkip'
  >;
  /** Aborted: shut down. */
  signal: AbortSignal;
  onListening?: (url: string) => void;
  onWarning?: (e: PathError) => void;
}

export interface ServeResult {
  db: string;
  url: string;
  elapsed_s: number;
  /** What the follower did, when paths were followed. */
  follow: FollowResult | null;
}

/** Serve until `signal` is aborted; resolves once everything is committed and closed. */
export async function runServer(o: RunOptions): Promise<ServeResult> {
  if (!isLoopback(o.listen.host) && o.token === undefined)
    throw new UsageError(
      `--listen ${o.listen.host}: not a loopback address; anyone who can reach it could write events, so --token-file is required`,
    );
  const started = Date.now();
  const instance = claimInstance(o.dbPath);
  const cleanup: (() => void | Promise<void>)[] = [() => instance.release()];
  const runCleanup = async () => {
    while (cleanup.length) await cleanup.pop()!();
  };
  try {
    const lease = await acquireLease(o.dbPath, {
      timeoutMs: o.open.lockTimeoutMs ?? 10_000,
      command: o.command,
      signal: o.signal,
    });
    cleanup.push(() => lease.release());
    const shared = await openSharedStore(o.dbPath, o.open);
    cleanup.push(() => shared.close());
    cleanup.push(await sandbox(shared.store)); // its stage directories go before the store closes
    let status: FollowStatus | undefined;
    const app = await buildServer({ ...o, shared, followStatus: () => status, cliKey: instance.key });
    cleanup.push(() => app.close());
    await app.listen({ host: o.listen.host, port: o.listen.port });
    const url = baseUrl(app.server.address());
    instance.publish(url);
    o.onListening?.(url);

    const stopFollow = new AbortController();
    const followed = o.follow.length
      ? follow(o.follow, {
          ...o.followOptions,
          dbPath: o.dbPath,
          open: o.open,
          writer: shared,
          signal: stopFollow.signal,
          onStatus: (s) => (status = s),
          onError: o.onWarning,
          onSkip: o.onWarning,
        })
      : undefined;
    try {
      await untilStopped(o.signal, followed);
    } finally {
      cleanup.pop(); // the server is closed here, before the follower's last commit
      await app.close();
      stopFollow.abort();
    }
    const result = followed ? await followed : null;
    await runCleanup();
    return {
      db: o.dbPath,
      url,
      elapsed_s: Math.round((Date.now() - started) / 100) / 10,
      follow: result,
    };
  } finally {
    await runCleanup();
  }
}

/** Until `signal` is aborted, or until the follower fails (the store failing: nothing more can be written). */
async function untilStopped(signal: AbortSignal, followed: Promise<unknown> | undefined): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // the follower ends only when stopped: its end is not a reason to stop, its failure is
  const failed = followed?.then(() => new Promise<never>(() => undefined));
  failed?.catch(() => undefined); // its error is the follower's, rethrown when it is awaited
  await Promise.race([stopped, ...(failed ? [failed] : [])]);
}

function baseUrl(addr: ReturnType<net.Server['address']>): string {
  if (!addr || typeof addr === 'string') return String(addr);
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}
