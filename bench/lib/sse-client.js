/**
 * Follows a kcloud-log service's `GET /stream/events` (Server-Sent Events) from another process,
 * as a dashboard would: the harness's measure of when a stored event becomes visible through
 * the service.
 *
 *   node bench/lib/sse-client.js --url http://127.0.0.1:PORT --after 0
 *
 * Prints [received_at_ms, last_id] on stdout (one JSON line) for every chunk that brought a
 * higher `id:` (an event's seq), the format of follow-poller.js, so the harness computes
 * write->visible the same way for both. The events' data is not parsed: only the ids are read.
 * Should the stream end, it reconnects with Last-Event-ID (counted). Runs until SIGTERM, then
 * prints a summary object as its last line.
 *
 * With --poll MS it asks `GET /events?limit=0` every MS ms on a keep-alive connection instead and
 * takes its `total` as the highest seq: true of a store that holds only the writer's lines
 * (bench_seq K is seq K+1, none rejected), which is what the harness gives it.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    after: { type: 'string', default: '0' },
    poll: { type: 'string' },
  },
});

let stopping = false;
let current;
const stop = () => {
  stopping = true;
  current?.destroy();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const stats = { connects: 0, reconnects: 0, chunks: 0, bytes: 0, errors: [] };
let last = Number(a.after);

/** One connection: resolves when the stream ends (or fails). */
function follow() {
  return new Promise((resolve) => {
    stats.connects++;
    const req = http.get(
      `${a.url}/stream/events?after=${last}`,
      { headers: { accept: 'text/event-stream', 'last-event-id': String(last) } },
      (res) => {
        if (res.statusCode !== 200) {
          if (stats.errors.length < 5) stats.errors.push(`HTTP ${res.statusCode}`);
          res.resume();
          res.on('end', resolve);
          return;
        }
        res.setEncoding('utf8');
        let tail = ''; // the part of a line cut by the chunk's end
        res.on('data', (chunk) => {
          const now = Date.now();
          stats.chunks++;
          stats.bytes += chunk.length;
          const text = tail + chunk;
          const cut = text.lastIndexOf('\n');
          tail = text.slice(cut + 1);
          // the last complete `id:` line of the chunk is the highest seq received
          const i = cut > 0 ? text.lastIndexOf('\nid: ', cut - 1) : -1;
          const at = i >= 0 ? i + 1 : cut > 0 && text.startsWith('id: ') ? 0 : -1;
          if (at < 0) return;
          const id = Number(text.slice(at + 4, text.indexOf('\n', at)));
          if (id > last) {
            last = id;
            process.stdout.write(JSON.stringify([now, id]) + '\n');
          }
        });
        res.on('end', resolve);
        res.on('error', resolve);
      },
    );
    current = req;
    req.on('error', (e) => {
      if (!stopping && stats.errors.length < 5) stats.errors.push(String(e.message));
      resolve();
    });
  });
}

/** --poll: the store's event count, every `ms` ms. */
async function poll(ms) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  stats.polls = 0;
  stats.failed = 0;
  while (!stopping) {
    const t = Date.now();
    stats.polls++;
    const total = await new Promise((resolve) => {
      const req = http.get(`${a.url}/events?limit=0`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(res.statusCode === 200 ? JSON.parse(body).total : undefined));
        res.on('error', () => resolve(undefined));
      });
      current = req;
      req.on('error', () => resolve(undefined));
    });
    if (total === undefined) stats.failed++;
    else if (total > last) {
      last = total;
      process.stdout.write(JSON.stringify([Date.now(), total]) + '\n');
    }
    const wait = ms - (Date.now() - t);
    if (wait > 0 && !stopping) await sleep(wait);
  }
  agent.destroy();
}

if (a.poll) await poll(Number(a.poll));
else
  while (!stopping) {
    await follow();
    if (stopping) break;
    stats.reconnects++;
    await sleep(100);
  }
stats.last_id = last;
process.stdout.write(JSON.stringify(stats) + '\n');
