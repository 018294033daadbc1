/**
 * No poison input: whatever is wrong with one line becomes a reject with its
 * file, line, offset and reason, the rest of the batch is stored, and what is
 * stored can be read back (issue 10, items 1-3).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { listRejects } from '../../src/lib/query/sources.js';
import { Transaction, type PendingEvent } from '../../src/lib/store/writer.js';
import { normalised, type EventRow } from '../../src/lib/query/events.js';
import type { Store } from '../../src/lib/store/open.js';
import { decisionLine, withTmpStore } from '../helpers.js';

async function one<T = unknown>(store: Store, sql: string): Promise<T> {
  return (await store.conn.runAndReadAll(sql)).getRowsJS()[0]![0] as T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test data patched by path
type Loose = Record<string, any>;
const decision = (i: number, patch: (o: Loose) => void) => {
  const o = JSON.parse(decisionLine(i)) as Loose;
  patch(o);
  return JSON.stringify(o);
};

/** Each bad line, the reason it must be rejected with. */
const BAD: [string, string | RegExp][] = [
  [decision(1, (o) => (o.timestamp = 1e17)), /timestamp 100000000000000000 is outside the supported range/],
  [decision(2, (o) => (o.timestamp = 9.3e18)), /outside the supported range/],
  [decision(3, (o) => (o.timestamp = 1.7e15)), /outside the supported range/], // microseconds, read as ms
  [decision(4, (o) => (o.timestamp = '0050-12-31T23:00:00Z')), /outside the supported range/],
  [decision(5, (o) => (o.timestamp = '1700-01-01T00:30:00+01:00')), /outside the supported range/],
  [decision(6, (o) => (o.timestamp = -1)), /negative epoch number/],
  [decision(7, (o) => (o.decision.cost_calculation.estimated_cost_per_hour = 1e308)), /at most 1e12/],
  [decision(8, (o) => (o.execution_time_ms = 2e12)), /execution_time_ms must be at most 1e12/],
  [decision(9, (o) => (o.decision.cost_calculation.alternatives = [{ cluster: 'c', cost: -1 }])), />= 0/],
  [decision(10, (o) => (o.workload.requirements.memory = '9'.repeat(400) + 'Gi')), /at most 2\^70/],
  [
    JSON.stringify({
      event_type: 'workload_relocation',
      timestamp: '2025-01-15T00:00:00Z',
      workload: 'w1',
      trigger: 't',
      migration: {
        from_cluster: 'a',
        to_cluster: 'b',
        reason: 'r',
        power_saving_watts: 1,
        cost_saving_per_hour: -2e12,
      },
      migration_time_seconds: 1,
      downtime_seconds: 1,
    }),
    /between -1e12 and 1e12/,
  ],
  [
    JSON.stringify({
      event_type: 'inefficiency_detected',
      timestamp: '2025-01-15T00:00:00Z',
      severity: 'high',
      inefficiency: {
        type: 'idle',
        cluster: 'c',
        utilization: '1' + '0'.repeat(400) + '%',
        idle_duration_hours: 1,
        wasted_cost_estimate: 1,
      },
      recommended_action: 'x',
      auto_action_taken: false,
    }),
    /utilization must be between/,
  ],
  // one event, two stories
  [
    decisionLine(11).replace('"scheduler":"kcloud-meta-scheduler"', '"scheduler":"a","scheduler":"b"'),
    /key "scheduler" appears twice in the event/,
  ],
  [
    decisionLine(12).replace('"type":"batch"', '"type":"batch","t\\u0079pe":"x"'),
    /key "type" appears twice in workload/,
  ],
  [decision(13, (o) => (o.note = '\ud800')), /unpaired UTF-16 surrogate/],
  [decision(14, (o) => (o.deep = JSON.parse('['.repeat(70) + ']'.repeat(70)))), /nesting deeper than 64/],
];

describe('poison input', () => {
  it('each bad value is a reject naming the line and the reason; every other line is stored', async () => {
    await withTmpStore(async (store, dir) => {
      const good = Array.from({ length: 30 }, (_, i) => decisionLine(100 + i));
      const lines: string[] = [];
      BAD.forEach(([bad], i) => lines.push(good[i]!, bad));
      lines.push(...good.slice(BAD.length));
      const file = path.join(dir, 'poison.jsonl');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const res = await ingestPaths(store, [file]);
      expect(res).toMatchObject({ lines: lines.length, stored: 30, rejected: BAD.length, duplicates: 0 });
      const { rejects } = await listRejects(store, {});
      expect(rejects).toHaveLength(BAD.length);
      BAD.forEach(([, reason], i) => {
        const r = rejects.find((x) => x.line === 2 * i + 2);
        expect(r, `line ${2 * i + 2}`).toBeDefined();
        expect(r!.reason).toMatch(reason);
      });
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });

  it('times at both ends of the range are kept exactly as written', async () => {
    await withTmpStore(async (store, dir) => {
      const file = path.join(dir, 'years.jsonl');
      const times = [
        '1700-01-01T00:00:00Z',
        '1969-12-31T23:59:59.999999Z',
        '2000-02-29T12:00:00Z',
        '2199-12-31T23:59:59.999999Z',
      ];
      fs.writeFileSync(file, times.map((t, i) => decision(i, (o) => (o.timestamp = t))).join('\n') + '\n');
      expect(await ingestPaths(store, [file])).toMatchObject({ stored: 4, rejected: 0 });
      const r = await store.conn.runAndReadAll(
        "SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') FROM events ORDER BY seq",
      );
      expect(r.getRowsJS().map((x) => x[0])).toEqual([
        '1700-01-01T00:00:00.000000Z',
        '1969-12-31T23:59:59.999999Z',
        '2000-02-29T12:00:00.000000Z',
        '2199-12-31T23:59:59.999999Z',
      ]);
    });
  });

  it('invalid UTF-8 inside an event is a reject; in a plain-text line it is skipped', async () => {
    await withTmpStore(async (store, dir) => {
      const file = path.join(dir, 'bytes.log');
      const bad = Buffer.from(decisionLine(1).replace('최적', '@@'));
      const at = bad.indexOf('@@');
      bad[at] = 0xc3; // a lead byte followed by '@': not UTF-8
      fs.writeFileSync(
        file,
        Buffer.concat([
          bad,
          Buffer.from('\n{"level":"info","msg":"\xff\xfe"}\n', 'latin1'),
          Buffer.from(decisionLine(2) + '\n'),
        ]),
      );
      const res = await ingestPaths(store, [file]);
      expect(res).toMatchObject({ lines: 3, stored: 1, rejected: 1 });
      const [r] = (await listRejects(store, {})).rejects;
      expect(r).toMatchObject({ line: 1, byte_offset: 0 });
      expect(r!.reason).toMatch(/not valid UTF-8/);
    });
  });

  it('a row DuckDB refuses at commit becomes a reject; the rest is renumbered, chained and stored', async () => {
    await withTmpStore(async (store, dir) => {
      const src = path.join(dir, 'x.jsonl');
      fs.writeFileSync(src, '');
      const [row] = (await ingestPaths(store, [src])).sources;
      const mk = (i: number, over: Partial<PendingEvent> = {}): PendingEvent => ({
        eventId: `e${i}`,
        tsMicros: Date.UTC(2025, 0, 15, 0, 0, i) * 1000,
        eventType: 'scheduling_decision',
        known: true,
        sourceId: row!.source_id,
        line: i,
        tags: '{}',
        raw: decisionLine(i),
        byteOffset: i * 100,
        bytes: 90,
        ...over,
      });
      // What validation would refuse, handed to the writer directly: DuckDB refuses them.
      const events = [
        mk(1),
        mk(2, { raw: '{"event_type":"scheduling_decision","x":"\\ud800"}' }),
        mk(3),
        mk(4, { tsMicros: 9.3e21 }),
        mk(5),
      ];
      const t = await Transaction.begin(store, { groupMinRows: 1 });
      await t.append(events, []);
      const res = await t.commit([{ id: row!.source_id, offset: 500, lines: 5, rejected: 0, skipped: 0 }]);
      expect(res.stored).toBe(3);
      expect(res.perSource.get(row!.source_id)).toMatchObject({ stored: 3, rejected: 2, duplicates: 0 });
      const seqs = await store.conn.runAndReadAll('SELECT seq, event_id FROM events ORDER BY seq');
      expect(seqs.getRowsJS().map((r) => [Number(r[0]), r[1]])).toEqual([
        [1, 'e1'],
        [2, 'e3'],
        [3, 'e5'],
      ]);
      const { rejects } = await listRejects(store, {});
      expect(rejects.map((r) => [r.line, r.byte_offset])).toEqual([
        [2, 200],
        [4, 400],
      ]);
      expect(rejects[0]!.reason).toMatch(/the store cannot hold this event: .*surrogate/i);
      expect(await one(store, 'SELECT rejected FROM sources')).toBe(2n);
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });
});

describe('one event, one meaning', () => {
  it("typed columns hold the value of the event's own shape, the one exported (normalised) too", async () => {
    await withTmpStore(async (store, dir) => {
      const t = '2025-01-15T00:00:00Z';
      const mixed = [
        // nested decision carrying flat fields too
        decision(1, (o) =>
          Object.assign(o, { selected_cluster: 'flat-x', workload_id: 'flat-w', reason: 'flat-r' }),
        ),
        // flat decision carrying a nested-looking object without selected_cluster
        JSON.stringify({
          event_type: 'scheduling_decision',
          timestamp: t,
          workload_id: 'w-flat',
          selected_cluster: 'c-flat',
          alternatives: [{ cluster: 'alt', cost: 3 }],
          cost_calculation: { power_watts: 10, cost_per_hour: 2, efficiency_score: 0.5 },
          execution_time_ms: 5,
          decision: { reason: 'nested-looking', cost_calculation: { estimated_cost_per_hour: 99 } },
          workload: 'not-an-object',
        }),
        // flat relocation with a migration object that has no to_cluster
        JSON.stringify({
          event_type: 'workload_relocation',
          timestamp: t,
          workload_id: 'w2',
          from_cluster: 'a',
          to_cluster: 'b',
          trigger: 'cost',
          metrics: {
            power_saving_watts: 1,
            cost_saving_per_hour: 2,
            migration_time_seconds: 3,
            downtime_seconds: 4,
          },
          migration: { from_cluster: 'zzz', cost_saving_per_hour: 1000 },
        }),
        // flat inefficiency with an inefficiency object that has no cluster
        JSON.stringify({
          event_type: 'inefficiency_detected',
          timestamp: t,
          severity: 'HIGH',
          inefficiency_type: 'idle',
          resource_id: 'c9',
          metrics: { utilization_percentage: '12%', idle_duration_hours: 2, wasted_cost_estimate: 7 },
          recommended_action: 'scale down',
          inefficiency: { type: 'other', wasted_cost_estimate: 5000 },
        }),
      ];
      const file = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(file, mixed.join('\n') + '\n');
      expect(await ingestPaths(store, [file])).toMatchObject({ stored: 4, rejected: 0 });
      const rows = (
        await store.conn.runAndReadAll(
          `SELECT event_type, workload_id, cluster_id, reason, est_cost_per_hour, alt_min_cost, from_cluster,
                  cost_saving_per_hour, inefficiency_type, wasted_cost, utilization_pct, severity, raw, event_id,
                  strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts
           FROM events ORDER BY seq`,
        )
      ).getRowObjectsJS();
      const norm = rows.map((r) =>
        normalised({
          ...(r as unknown as EventRow),
          raw: String(r.raw),
          event_id: String(r.event_id),
          ts: String(r.ts),
        }),
      ) as Loose[];
      expect(rows[0]).toMatchObject({
        workload_id: 'job-1',
        cluster_id: 'gpu-cluster-01',
        reason: '최적 전력 효율성',
      });
      expect(norm[0]!.decision.selected_cluster).toBe('gpu-cluster-01');
      expect(rows[1]).toMatchObject({
        workload_id: 'w-flat',
        cluster_id: 'c-flat',
        est_cost_per_hour: 2,
        alt_min_cost: 3,
      });
      expect(norm[1]!.decision.cost_calculation.estimated_cost_per_hour).toBe(2);
      expect(norm[1]!.workload.id).toBe('w-flat');
      expect(rows[2]).toMatchObject({
        workload_id: 'w2',
        cluster_id: 'b',
        from_cluster: 'a',
        cost_saving_per_hour: 2,
      });
      expect(norm[2]!.migration).toMatchObject({
        from_cluster: 'a',
        to_cluster: 'b',
        cost_saving_per_hour: 2,
      });
      expect(rows[3]).toMatchObject({
        cluster_id: 'c9',
        inefficiency_type: 'idle',
        wasted_cost: 7,
        utilization_pct: 12,
        severity: 'high',
      });
      expect(norm[3]!.inefficiency).toMatchObject({ type: 'idle', cluster: 'c9', wasted_cost_estimate: 7 });
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });
});

describe('memory bounded by bytes', () => {
  it('events of 10 KB and 1 MB ingest at the default settings, with small ones between', async () => {
    await withTmpStore(async (store, dir) => {
      const file = path.join(dir, 'big.jsonl');
      const fd = fs.openSync(file, 'w');
      let n = 0;
      for (let i = 0; i < 24; i++) {
        fs.writeSync(fd, decision(n++, (o) => (o.blob = 'b'.repeat(1_000_000))) + '\n');
        for (let k = 0; k < 200; k++)
          fs.writeSync(fd, decision(n++, (o) => (o.blob = 'k'.repeat(10_000))) + '\n');
        fs.writeSync(fd, decisionLine(n++) + '\n');
      }
      fs.closeSync(fd);
      const res = await ingestPaths(store, [file]);
      expect(res).toMatchObject({ lines: n, stored: n, rejected: 0 });
      expect(await one(store, 'SELECT max(length(raw)) FROM events')).toBeGreaterThan(1_000_000);
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });
});
