/**
 * `<db>.serve.json`: a running service's pid, host, address and start time, next to its
 * database, so that a second `serve` (and, later, the CLI) finds it. Created exclusively at
 * start, its address filled in once listening, removed when the service ends; one left by a
 * process that is gone (kill -9) is replaced.
 *
 * It also holds the key the CLI's calls carry (session/client.ts): the file is readable by its
 * owner only (0600), so only whoever may read it (the service's own user, root) can make the
 * service run library calls for them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { InputError } from '../errors.js';
import { gone, servePath } from '../store/lease.js';

export const instancePath = servePath;

export interface ServeInstance {
  pid: number;
  host: string;
  /** The service's base URL; null while it starts. */
  url: string | null;
  started_at: string;
  /** What a CLI call must carry (absent in files of older versions). */
  key: string | null;
}

export interface InstanceClaim {
  readonly path: string;
  /** The key CLI calls must carry. */
  readonly key: string;
  /** Record the address the service listens on. */
  publish(url: string): void;
  /** Remove the file (if it is still ours). */
  release(): void;
}

/** The instance recorded for `db`, if the file is there and readable. */
export function readInstance(db: string): ServeInstance | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(instancePath(db), 'utf8')) as Partial<ServeInstance>;
    if (typeof o.pid === 'number' && typeof o.host === 'string')
      return {
        pid: o.pid,
        host: o.host,
        url: typeof o.url === 'string' ? o.url : null,
        started_at: String(o.started_at ?? '?'),
        key: typeof o.key === 'string' ? o.key : null,
      };
  } catch (e) {
    // absent, or half written; unreadable (another user's service): there, but not ours to use
    if ((e as NodeJS.ErrnoException).code === 'EACCES')
      return { pid: -1, host: '?', url: null, started_at: '?', key: null };
  }
  return undefined;
}

/** Claim `db` for this process's service; refused (InputError) while another live service has it. */
export function claimInstance(db: string): InstanceClaim {
  const file = instancePath(db);
  const me: ServeInstance = {
    pid: process.pid,
    host: os.hostname(),
    url: null,
    started_at: new Date().toISOString(),
    key: randomBytes(32).toString('hex'),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      return claim(file, me);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 5) throw e;
    }
    const other = readInstance(db);
    if (other?.pid === -1)
      throw new InputError(
        `database ${db} is served by a service this user may not talk to (${file} is not readable)`,
      );
    if (other && !gone(other))
      throw new InputError(
        `database ${db} is already served by PID ${other.pid} on ${other.host}${other.url ? ` at ${other.url}` : ''} (since ${other.started_at}; ${file}); stop it first, or talk to it`,
      );
    fs.rmSync(file, { force: true }); // stale (its process is gone) or half written: replaced
  }
}

function claim(file: string, me: ServeInstance): InstanceClaim {
  const ours = () => {
    try {
      const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ServeInstance>;
      return o.pid === me.pid && o.started_at === me.started_at;
    } catch {
      return false;
    }
  };
  const release = () => {
    process.removeListener('exit', release);
    if (ours()) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return {
    path: file,
    key: me.key!,
    publish(url: string) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ ...me, url }), { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    release,
  };
}
