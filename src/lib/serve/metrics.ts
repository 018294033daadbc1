/**
 * GET /metrics in the Prometheus text format (0.0.4): what the store holds per source and type
 * (read at each scrape from `sources` and `events`, so the figures survive restarts), the
 * latency of the writer's commits (a histogram, since start), the follower's lag per file and
 * the SSE clients connected.
 */
import type { FollowStatus } from '../ingest/follow.js';
import type { Store } from '../store/open.js';
import { queryRows } from '../store/sql.js';

/** Upper bounds of the commit latency buckets, seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Histogram {
  private readonly counts = BUCKETS.map(() => 0);
  private count = 0;
  private sum = 0;

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.counts[i]!++;
    });
  }

  lines(name: string): string[] {
    return [
      ...BUCKETS.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${round(this.sum)}`,
      `${name}_count ${this.count}`,
    ];
  }
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** A label value, escaped as the format wants (backslash, double quote, line feed). */
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export interface MetricsInput {
  commits: Histogram;
  sseClients: number;
  follow: FollowStatus | undefined;
}

/** The metrics text, from the store (read on `store`, a reader) and the process's own counters. */
export async function metricsText(store: Store, m: MetricsInput): Promise<string> {
  const sources = await queryRows(
    store,
    'SELECT path, kind, lines, stored, rejected, duplicates, skipped FROM sources ORDER BY id',
  );
  const byType = await queryRows(
    store,
    `SELECT e.event_type, s.path, count(*) AS n FROM events e LEFT JOIN sources s ON s.id = e.source_id
     GROUP BY ALL ORDER BY 1, 2`,
  );
  const out: string[] = [];
  const family = (name: string, type: string, help: string, lines: string[]) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  const perSource = (k: string) =>
    sources.map((s) => `{source="${label(String(s.path))}",kind="${label(String(s.kind))}"} ${Number(s[k])}`);
  family(
    'kcloud_log_events_stored_total',
    'counter',
    'Events stored, by event type and source.',
    byType.map(
      (r) =>
        `kcloud_log_events_stored_total{type="${label(String(r.event_type))}",source="${label(String(r.path ?? ''))}"} ${Number(r.n)}`,
    ),
  );
  for (const [k, help] of [
    ['lines', 'Lines read from the source (lines = stored + rejected + duplicates + skipped).'],
    ['stored', 'Events of the source stored.'],
    ['rejected', 'Lines of the source rejected (kept in rejects).'],
    ['duplicates', 'Events of the source already stored (not stored again).'],
    ['skipped', 'Lines of the source skipped (not events).'],
  ] as const)
    family(
      `kcloud_log_source_${k}_total`,
      'counter',
      help,
      perSource(k).map((l) => `kcloud_log_source_${k}_total${l}`),
    );
  family(
    'kcloud_log_commit_duration_seconds',
    'histogram',
    "Time of each write through the service's one writer (a follower's commit, a POST, a rules change), since start.",
    m.commits.lines('kcloud_log_commit_duration_seconds'),
  );
  family(
    'kcloud_log_follow_lag_bytes',
    'gauge',
    'Bytes of a followed file not yet read, at the last follow cycle.',
    (m.follow?.files ?? []).map(
      (f) => `kcloud_log_follow_lag_bytes{source="${label(f.path)}"} ${f.lag_bytes}`,
    ),
  );
  family('kcloud_log_sse_clients', 'gauge', 'Clients connected to GET /stream/events.', [
    `kcloud_log_sse_clients ${m.sseClients}`,
  ]);
  return out.join('\n') + '\n';
}
