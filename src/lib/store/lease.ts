/**
 * One ingester per store: the writer lease.
 *
 * DuckDB's own lock keeps two processes from writing at the same moment,
 * but a follower opens the store only to commit, so two ingesters could take
 * turns and both read the same files: every event stored once (ids), yet the
 * lines counted twice. An ingester therefore holds `<db>.ingest.lock` for its
 * whole run: created exclusively, holding its pid, host, command and start
 * time; removed when it ends. A lease whose process is gone (kill -9) is
 * taken over. A second ingester waits up to its lock timeout, then is refused
 * with a message naming the holder. Taking a lease this process already holds
 * is a no-op (the command takes it before opening the store, the library
 * makes sure it is held).
 */
import fs from 'node:fs';
import os from 'node:os';
import { LockTimeoutError } from '../errors.js';
import { sleep } from '../sleep.js';

export interface LeaseHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface Lease {
  readonly path: string;
  release(): void;
}

export const leasePath = (db: string): string => `${db}.ingest.lock`;

/** Where a running service (`kcloud-log serve`) records its pid and address (serve/instance.ts). */
export const servePath = (db: string): string => `${db}.serve.json`;

/** Leases this process holds (by lease file), so that nested callers do not wait for themselves. */
const held = new Set<string>();

function readHolder(file: string): LeaseHolder | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LeaseHolder>;
    if (typeof o.pid === 'number' && typeof o.host === 'string')
      return { pid: o.pid, host: o.host, command: String(o.command ?? '?'), since: String(o.since ?? '?') };
  } catch {
    /* unreadable or half written */
  }
  return undefined;
}

/**
 * Is the process that wrote `h` gone (same host only: another host's pids cannot be checked)?
 * Also for the service's `<db>.serve.json` (serve/instance.ts).
 */
export function gone(h: Pick<LeaseHolder, 'pid' | 'host'>): boolean {
  if (h.host !== os.hostname()) return false;
  if (h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // The pid is taken: by our holder, or by an unrelated process after a reboot or a kill -9.
  try {
    return !fs.readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

export const describeHolder = (h: LeaseHolder): string =>
  `\`${h.command}\` (PID ${h.pid} on ${h.host}, since ${h.since})`;

/**
 * Take the lease of `db`, waiting up to `timeoutMs` while another live ingester holds it.
 * Throws LockTimeoutError naming the holder.
 */
export async function acquireLease(
  db: string,
  opts: { timeoutMs: number; command: string; signal?: AbortSignal },
): Promise<Lease> {
  const file = leasePath(db);
  if (held.has(file)) return { path: file, release: () => undefined }; // already ours
  const me: LeaseHolder = {
    pid: process.pid,
    host: os.hostname(),
    command: opts.command,
    since: new Date().toISOString(),
  };
  const started = Date.now();
  let delay = 20;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      return lease(file, me);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder ? gone(holder) : staleGarbage(file)) {
      // Taken over: remove it only if it is still the file we judged (another waiter may be first).
      takeOver(file, holder);
      continue;
    }
    if (Date.now() - started >= opts.timeoutMs || opts.signal?.aborted) {
      throw new LockTimeoutError(
        `database ${db} is already being ingested into by ${holder ? describeHolder(holder) : 'another process'}; one ingester per store: wait for it to end or stop it (waited ${((Date.now() - started) / 1000).toFixed(1)} s, --lock-timeout)`,
        holder ? describeHolder(holder) : undefined,
      );
    }
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 250);
  }
}

/** A lease file without a readable holder, older than a few seconds: left by a crash while writing it. */
function staleGarbage(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 5000;
  } catch {
    return false;
  }
}

function takeOver(file: string, judged: LeaseHolder | undefined): void {
  const now = readHolder(file);
  if (judged && (!now || now.pid !== judged.pid || now.since !== judged.since)) return;
  try {
    fs.rmSync(file);
  } catch {
    /* someone else took it over first */
  }
}

function lease(file: string, me: LeaseHolder): Lease {
  held.add(file);
  const release = () => {
    held.delete(file);
    process.removeListener('exit', release);
    const h = readHolder(file);
    if (h && h.pid === me.pid && h.since === me.since) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { path: file, release };
}
