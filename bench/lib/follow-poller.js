/**
 * Polls a kcloud-log store from another process: every --interval ms it opens
 * the DuckDB file read-only, reads max(seq) of events and closes it again, as
 * any reader (`kcloud-log events`, `sql`) does while `ingest --follow` runs.
 *
 *   node bench/lib/follow-poller.js --db DB --interval 100
 *
 * Like kcloud-log's own readers it holds back while a writer announces itself
 * in DB.writer-waiting, and retries while the writer holds the lock. A poll
 * that cannot read within --give-up ms (default 10000, kcloud-log's default
 * --lock-timeout), or fails otherwise, counts as failed.
 * Prints [completed_at_ms, max_seq] on stdout (one JSON line) whenever max_seq
 * changed; runs until SIGTERM, then prints a summary object as its last line.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';

const { values: a } = parseArgs({
  options: {
    db: { type: 'string' },
    interval: { type: 'string', default: '100' },
    'give-up': { type: 'string', default: '10000' },
  },
});
const interval = Number(a.interval);
const giveUp = Number(a['give-up']);
const LOCK_RE = /Could not set lock on file|Conflicting lock is held/i;

let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));

function writerWaiting() {
  const f = `${a.db}.writer-waiting`;
  try {
    const pid = Number.parseInt(fs.readFileSync(f, 'utf8'), 10);
    if (Date.now() - fs.statSync(f).mtimeMs > 60_000) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const stats = {
  polls: 0,
  ok: 0,
  failed: 0,
  lock_retries: 0,
  writer_waits: 0,
  not_yet: 0,
  errors: [],
  max_poll_ms: 0,
  poll_ms_sum: 0,
};
let last = -1;

/** One poll: max(seq), or undefined when the store has no events table yet. */
async function pollOnce() {
  const began = Date.now();
  let delay = 5;
  for (;;) {
    if (stopping && Date.now() - began > 1000) throw new Error('stopped');
    if (!fs.existsSync(a.db)) return { value: undefined };
    if (writerWaiting()) {
      stats.writer_waits++;
    } else {
      let instance;
      try {
        instance = await DuckDBInstance.create(a.db, {
          access_mode: 'READ_ONLY',
          autoinstall_known_extensions: 'false',
        });
        const conn = await instance.connect();
        try {
          const r = await conn.runAndReadAll('SELECT max(seq) FROM events');
          const v = r.getRows()[0][0];
          return { value: v === null ? 0 : Number(v) };
        } catch (e) {
          if (/Table with name events does not exist/i.test(String(e.message))) return { value: undefined };
          throw e;
        } finally {
          conn.closeSync();
        }
      } catch (e) {
        const msg = String(e?.message ?? e);
        if (!LOCK_RE.test(msg)) throw e;
        stats.lock_retries++;
      } finally {
        instance?.closeSync();
      }
    }
    if (Date.now() - began >= giveUp) throw new Error(`no read within ${giveUp} ms (lock)`);
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

while (!stopping) {
  const t = Date.now();
  stats.polls++;
  try {
    const { value } = await pollOnce();
    const done = Date.now();
    const ms = done - t;
    stats.poll_ms_sum += ms;
    stats.max_poll_ms = Math.max(stats.max_poll_ms, ms);
    if (value === undefined) stats.not_yet++;
    else {
      stats.ok++;
      if (value !== last) {
        process.stdout.write(JSON.stringify([done, value]) + '\n');
        last = value;
      }
    }
  } catch (e) {
    if (String(e?.message) === 'stopped') break;
    stats.failed++;
    if (stats.errors.length < 5) stats.errors.push(String(e?.message ?? e).split('\n')[0]);
  }
  const wait = interval - (Date.now() - t);
  if (wait > 0) await sleep(wait);
}
const answered = stats.ok + stats.not_yet;
stats.mean_poll_ms = answered ? Math.round(stats.poll_ms_sum / answered) : null;
delete stats.poll_ms_sum;
stats.last_max_seq = last;
process.stdout.write(JSON.stringify(stats) + '\n');
