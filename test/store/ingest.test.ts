import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { listRejects } from '../../src/lib/query/sources.js';
import { FIXTURES, tmpDir, withTmpStore } from '../helpers.js';
import { openStore } from '../../src/lib/store/open.js';
import type { Store } from '../../src/lib/store/open.js';

const spec = fs.readFileSync(path.join(FIXTURES, 'spec-events.jsonl'), 'utf8').trim().split('\n');
const flat = fs.readFileSync(path.join(FIXTURES, 'spec-events-flat.jsonl'), 'utf8').trim().split('\n');
const modlog = fs.readFileSync(path.join(FIXTURES, 'module-log-lines.jsonl'), 'utf8').trim().split('\n');

const ev = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event_type: 'scheduling_decision',
    timestamp: new Date(Date.UTC(2025, 0, 15, 0, 0, i)).toISOString(),
    scheduler: 'kcloud-meta-scheduler',
    workload: {
      id: `job-${i}`,
      type: 'batch',
      requirements: { cpu: 2, memory: '4Gi', gpu: 0, power_budget: 500 },
    },
    decision: {
      selected_cluster: 'gpu-cluster-01',
      reason: 'lowest cost',
      cost_calculation: {
        estimated_power_watts: 800,
        estimated_cost_per_hour: 10 + i,
        alternatives: [{ cluster: 'gpu-cluster-02', cost: 12 }],
      },
    },
    execution_time_ms: 100 + i,
    ...extra,
  });

async function count(store: Store, sql = 'SELECT count(*) FROM events'): Promise<number> {
  return Number((await store.conn.runAndReadAll(sql)).getRows()[0]![0]);
}

describe('ingest accounting', () => {
  it('counts every line: stored + rejected + duplicates + skipped', async () => {
    await withTmpStore(async (store, dir) => {
      const lines = [
        ...spec, // 5 stored
        ...flat, // 3 stored
        ...modlog, // 2 skipped (lines 9-10)
        '', // 1 skipped (blank)
        '{"event_type": "scheduling_decision", "timestamp": ', // rejected: broken JSON
        ev(1, { timestamp: 'not-a-time' }), // rejected: bad timestamp
        JSON.stringify({
          event_type: 'workload_relocation',
          timestamp: '2025-01-15T00:00:00Z',
          workload: 'w',
        }), // rejected: missing fields
        JSON.stringify({ event_type: 'node_heartbeat', timestamp: 1736937000, node: 'n1' }), // stored (generic)
        spec[0]!, // duplicate (same content)
        ev(2, { event_id: 'e-2' }), // stored
        ev(3, { event_id: 'e-2' }), // duplicate (same id)
        'plain text is not an event', // skipped: an ordinary log line
      ];
      const file = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const r = await ingestPaths(store, [file]);
      expect(r).toMatchObject({ files: 1, lines: 19, stored: 10, rejected: 3, duplicates: 2, skipped: 4 });
      expect(r.lines).toBe(r.stored + r.rejected + r.duplicates + r.skipped);
      const rej = await listRejects(store);
      expect(rej.rejects.map((x) => x.line)).toEqual([12, 13, 14]);
      expect(rej.rejects[1]!.reason).toMatch(/timestamp "not-a-time"/);
      expect(rej.rejects[2]!.reason).toMatch(
        /^workload_relocation \(nested form\): trigger is missing; migration is missing/,
      );
      expect(await count(store, 'SELECT count(*) FROM events WHERE NOT known')).toBe(1);

      // a second ingest of the same file reads nothing
      const again = await ingestPaths(store, [file]);
      expect(again).toMatchObject({ lines: 0, stored: 0, rejected: 0, duplicates: 0 });

      // appended lines are read from the committed offset; a copy of an existing event is a duplicate
      fs.appendFileSync(file, ev(4) + '\n' + ev(4) + '\n' + ev(5));
      const more = await ingestPaths(store, [file]);
      expect(more).toMatchObject({ lines: 2, stored: 1, duplicates: 1 });
      expect(more.sources[0]!.partial_bytes).toBe(Buffer.byteLength(ev(5)));
      fs.appendFileSync(file, '\n');
      expect(await ingestPaths(store, [file])).toMatchObject({ lines: 1, stored: 1 });
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });

  it('ingests every event of the real Fluent Bit outputs, once across formats', async () => {
    await withTmpStore(async (store) => {
      const r = await ingestPaths(store, [path.join(FIXTURES, 'fluent-bit')]);
      expect(r.files).toBe(7);
      expect(r.rejected).toBe(0);
      expect(r.stored).toBe(68); // every distinct event of input-events.jsonl, whatever the wrapper
      expect(r.lines).toBe(r.stored + r.rejected + r.duplicates + r.skipped);
      const byFile = Object.fromEntries(r.sources.map((s) => [path.basename(s.path), s]));
      expect(byFile['out-file-default-format.log']).toMatchObject({ lines: 68, rejected: 0, skipped: 0 });
      expect(byFile['input-cri.log']).toMatchObject({ lines: 21, skipped: 1 }); // the P part
      const tags = (
        await store.conn.runAndReadAll(
          "SELECT DISTINCT tags->>'fluentbit_tag' FROM events WHERE tags->>'format' = 'fluentbit'",
        )
      ).getRows();
      expect(tags).toEqual([]); // all stored first from input-events/cri (ingested first)
    });
  });

  it('stores the Fluent Bit tag and host in tags', async () => {
    await withTmpStore(async (store) => {
      await ingestPaths(store, [path.join(FIXTURES, 'fluent-bit', 'out-file-default-format.log')]);
      const rows = (
        await store.conn.runAndReadAll(
          "SELECT DISTINCT tags->>'fluentbit_tag', tags->>'format', tags->>'host' IS NOT NULL FROM events",
        )
      ).getRows();
      expect(rows).toEqual([['kcloud.events', 'fluentbit', true]]);
    });
  });

  it('reads .gz archives whole and recognises a rotated archive of a file already read', async () => {
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'app.jsonl');
      const body = [ev(1), ev(2), ev(3)].join('\n') + '\n';
      fs.writeFileSync(log, body);
      expect(await ingestPaths(store, [log])).toMatchObject({ stored: 3 });
      // rotation: the file grew by one line, then was renamed and gzipped
      fs.appendFileSync(log, ev(4) + '\n');
      fs.writeFileSync(log + '.1.gz', zlib.gzipSync(fs.readFileSync(log)));
      fs.rmSync(log);
      const r = await ingestPaths(store, [log + '.1.gz']);
      expect(r).toMatchObject({ lines: 1, stored: 1, duplicates: 0 });
      expect(r.sources[0]!.how).toBe('copy');
      // an unrelated archive is read whole, its last line needs no newline
      const other = path.join(dir, 'other.jsonl.gz');
      fs.writeFileSync(other, zlib.gzipSync([ev(10), ev(11)].join('\n')));
      expect(await ingestPaths(store, [other])).toMatchObject({ lines: 2, stored: 2 });
    });
  });

  it('detects truncation by fingerprint and reads the new content from 0', async () => {
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'app.jsonl');
      fs.writeFileSync(log, [ev(1), ev(2)].join('\n') + '\n');
      await ingestPaths(store, [log]);
      fs.writeFileSync(log, [ev(7), ev(8), ev(9)].join('\n') + '\n'); // same inode, new content, grown past the old offset
      const r = await ingestPaths(store, [log]);
      expect(r).toMatchObject({ lines: 3, stored: 3 });
      expect(r.sources[0]!.how).toBe('truncated');
    });
  });

  it('reads standard input', async () => {
    await withTmpStore(async (store) => {
      const r = await ingestPaths(store, ['-'], {
        stdin: Readable.from([Buffer.from(ev(1) + '\n' + ev(2))]),
      });
      expect(r).toMatchObject({ files: 1, lines: 2, stored: 2 });
    });
  });

  it('rejects over-long lines with file and offset, and goes on', async () => {
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'long.jsonl');
      const long = ev(1, { pad: 'x'.repeat(5000) });
      fs.writeFileSync(log, ev(0) + '\n' + long + '\n' + ev(2) + '\n');
      const r = await ingestPaths(store, [log], { maxLineBytes: 1024 });
      expect(r).toMatchObject({ lines: 3, stored: 2, rejected: 1 });
      const rej = (await listRejects(store)).rejects[0]!;
      expect(rej).toMatchObject({
        line: 2,
        byte_offset: Buffer.byteLength(ev(0)) + 1,
        raw_length: Buffer.byteLength(long),
      });
      expect(rej.reason).toMatch(/longer than --max-line-bytes 1024/);
    });
  });

  it('reports unreadable paths and ingests the rest', async () => {
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'ok.jsonl');
      fs.writeFileSync(log, ev(1) + '\n');
      const r = await ingestPaths(store, [path.join(dir, 'missing.jsonl'), log]);
      expect(r.stored).toBe(1);
      expect(r.errors).toEqual([
        { path: path.join(dir, 'missing.jsonl'), reason: 'no such file or directory' },
      ]);
    });
  });

  it('commits in batches with the same result as one batch', async () => {
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'many.jsonl');
      fs.writeFileSync(log, Array.from({ length: 1000 }, (_, i) => ev(i)).join('\n') + '\n' + ev(5) + '\n');
      const r = await ingestPaths(store, [log], { batchSize: 64 });
      expect(r).toMatchObject({ lines: 1001, stored: 1000, duplicates: 1 });
      expect(await count(store, 'SELECT max(seq) - min(seq) + 1 FROM events')).toBe(1000);
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });
});

describe('transactions of several appends', () => {
  it('finds duplicates within a transaction, across transactions and against the store', async () => {
    await withTmpStore(async (store, dir) => {
      const first = path.join(dir, 'first.jsonl');
      fs.writeFileSync(first, [ev(0, { event_id: 'stored-before' })].join('\n') + '\n');
      await ingestPaths(store, [first]);
      const lines = Array.from({ length: 1000 }, (_, i) => ev(i + 1));
      lines[200] = ev(11); // same content as line 11: same transaction (batch 300), a later append (64)
      lines[700] = ev(12); // a later transaction
      lines[900] = ev(0, { event_id: 'stored-before' }); // committed by the earlier ingest
      const log = path.join(dir, 'many.jsonl');
      fs.writeFileSync(log, lines.join('\n') + '\n');
      const r = await ingestPaths(store, [log], { batchSize: 300, appendSize: 64 });
      expect(r).toMatchObject({ lines: 1000, stored: 997, duplicates: 3 });
      expect(await count(store)).toBe(998);
      expect(await count(store, 'SELECT max(seq) - min(seq) + 1 FROM events')).toBe(998);
      expect(await count(store, 'SELECT count(*) FROM events WHERE id_hash = hash(event_id)')).toBe(998);
      expect((await verifyStore(store)).ok).toBe(true);
      const src = await store.conn.runAndReadAll(
        'SELECT lines, stored, duplicates, "offset" FROM sources WHERE path LIKE \'%many.jsonl\'',
      );
      expect(src.getRows()[0]!.map(Number)).toEqual([1000, 997, 3, fs.statSync(log).size]);
    });
  });
});

describe('storage order', () => {
  it('writes a commit grouped by event type, decisions last, each group in sequence order', async () => {
    await withTmpStore(async (store, dir) => {
      const lines = [...spec, ...flat, ...Array.from({ length: 40 }, (_, i) => ev(i)), ...spec.slice(1)];
      const log = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(log, lines.join('\n') + '\n');
      await ingestPaths(store, [log], { groupMinRows: 1 }); // as a commit of two row groups is
      await store.conn.run('SET threads = 1');
      const r = await store.conn.runAndReadAll('SELECT event_type, seq FROM events'); // storage order
      const rows = r.getRows().map(([t, q]) => ({ t: String(t), q: Number(q) }));
      const runs = rows.map((x) => x.t).filter((t, i, a) => i === 0 || a[i - 1] !== t);
      expect(new Set(runs).size).toBe(runs.length); // each type in one run
      expect(runs.at(-1)).toBe('scheduling_decision');
      for (const t of runs) {
        const seqs = rows.filter((x) => x.t === t).map((x) => x.q);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });

  it('writes a commit smaller than a row group in one statement, each type in read order, without sorting it', async () => {
    // Sorting the commit by seq held all of it, event text included, in memory (a 60,000-event
    // file ran out of the default 128MB: test/e2e/ingest-flags.test.ts): it goes in stage order.
    await withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'mixed.jsonl');
      fs.writeFileSync(
        log,
        [...spec, ...flat, ...Array.from({ length: 40 }, (_, i) => ev(i))].join('\n') + '\n',
      );
      await ingestPaths(store, [log]);
      await store.conn.run('SET threads = 1');
      const rows = (await store.conn.runAndReadAll('SELECT event_type, seq FROM events')) // storage order
        .getRows()
        .map(([t, q]) => ({ t: String(t), q: Number(q) }));
      expect(rows.map((x) => x.q).sort((a, b) => a - b)).toEqual(rows.map((_, i) => i + 1));
      const runs = rows.map((x) => x.t).filter((t, i, a) => i === 0 || a[i - 1] !== t);
      expect(new Set(runs).size).toBe(runs.length); // each type in one run
      for (const t of runs) {
        const seqs = rows.filter((x) => x.t === t).map((x) => x.q);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expect((await verifyStore(store)).ok).toBe(true);
    });
  });
});

describe('id_hash migration', () => {
  it('fills id_hash in a store from before it, and rebuilds it when the hash function changes', async () => {
    const dir = tmpDir();
    const db = path.join(dir, 'old.duckdb');
    try {
      let store = await openStore(db);
      const log = path.join(dir, 'a.jsonl');
      fs.writeFileSync(log, Array.from({ length: 50 }, (_, i) => ev(i)).join('\n') + '\n');
      await ingestPaths(store, [log]);
      // make it a version 2 store
      await store.conn.run('ALTER TABLE events DROP COLUMN id_hash');
      await store.conn.run('DELETE FROM schema_version WHERE version >= 3');
      await store.conn.run("DELETE FROM meta WHERE key = 'id_hash_probe'");
      store.close();
      store = await openStore(db);
      expect(await count(store, 'SELECT count(*) FROM events WHERE id_hash = hash(event_id)')).toBe(50);
      // as if DuckDB's hash() had changed since the column was filled
      await store.conn.run("UPDATE meta SET value = '0' WHERE key = 'id_hash_probe'");
      await store.conn.run('UPDATE events SET id_hash = 0');
      store.close();
      store = await openStore(db);
      expect(await count(store, 'SELECT count(*) FROM events WHERE id_hash = hash(event_id)')).toBe(50);
      const again = await ingestPaths(store, [path.join(dir, 'a.jsonl')]);
      expect(again.stored).toBe(0);
      fs.writeFileSync(path.join(dir, 'b.jsonl'), ev(3) + '\n' + ev(77) + '\n');
      expect(await ingestPaths(store, [path.join(dir, 'b.jsonl')])).toMatchObject({
        stored: 1,
        duplicates: 1,
      });
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verify', () => {
  async function tampered(sql: string) {
    return withTmpStore(async (store, dir) => {
      const log = path.join(dir, 'a.jsonl');
      fs.writeFileSync(log, Array.from({ length: 20 }, (_, i) => ev(i)).join('\n') + '\n');
      await ingestPaths(store, [log]);
      expect((await verifyStore(store)).ok).toBe(true);
      await store.conn.run(sql);
      return verifyStore(store);
    });
  }
  it('names a row whose raw event was edited', async () => {
    const r = await tampered("UPDATE events SET raw = replace(raw, 'lowest', 'highest') WHERE seq = 7");
    expect(r.ok).toBe(false);
    expect(r.first_bad).toMatchObject({ seq: 7 });
  });
  it('names a row whose typed column was edited', async () => {
    const r = await tampered('UPDATE events SET exec_ms = 1 WHERE seq = 12');
    expect(r.first_bad).toMatchObject({ seq: 12, reason: expect.stringContaining('exec_ms') });
  });
  it('names a row whose id_hash was edited (the duplicate check would miss its event)', async () => {
    const r = await tampered('UPDATE events SET id_hash = 1 WHERE seq = 4');
    expect(r.first_bad).toMatchObject({ seq: 4 });
    expect(r.first_bad?.reason).toMatch(/id_hash/);
  });

  it('detects a deleted row', async () => {
    const r = await tampered('DELETE FROM events WHERE seq = 5');
    expect(r.first_bad).toMatchObject({ seq: 6, reason: expect.stringContaining('row 5 missing') });
  });
  it('detects reordered rows', async () => {
    const r = await tampered(
      'UPDATE events SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END, chain = CASE seq WHEN 3 THEN (SELECT chain FROM events WHERE seq = 4) ELSE (SELECT chain FROM events WHERE seq = 3) END WHERE seq IN (3, 4)',
    );
    expect(r.first_bad).toMatchObject({ seq: 3 });
  });
  it('detects a changed timestamp', async () => {
    const r = await tampered('UPDATE events SET ts = ts + INTERVAL 1 SECOND WHERE seq = 15');
    expect(r.first_bad).toMatchObject({ seq: 15 });
  });
});
