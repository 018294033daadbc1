/**
 * The parse workers (ingest/blocks.ts) must account for every line exactly as
 * reading the file line by line on the main thread does: the same events with
 * the same numbers, ids and typed columns, the same rejects with the same
 * reasons, the same counts and offsets. Tiny blocks put lines, split CRI and
 * Docker lines and lines too long to hold across block boundaries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestPaths, type IngestOptions } from '../../src/lib/ingest/ingest.js';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { FIXTURES, decisionLine, tmpDir } from '../helpers.js';

const fixture = (...p: string[]) => fs.readFileSync(path.join(FIXTURES, ...p), 'utf8');

/** A file with every kind of line, some of them many times. */
function mixedLog(): string {
  const parts: string[] = [
    fixture('spec-events.jsonl'),
    fixture('spec-events-flat.jsonl'),
    fixture('module-log-lines.jsonl'),
    fixture('fluent-bit', 'input-cri.log'),
    fixture('fluent-bit', 'input-docker-json-file.log'),
    fixture('fluent-bit', 'out-file-default-format.log'),
    fixture('fluent-bit', 'out-file-plain.jsonl'),
  ];
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) lines.push(decisionLine(i));
  lines.push(decisionLine(7), decisionLine(250)); // duplicates, across blocks
  lines.push('x'.repeat(5000)); // too long at --max-line-bytes 2048
  lines.push(`{"event_type":"quota_warning",\r"timestamp":"2025-01-15T00:00:00Z","id":"cr-inside"}`); // a CR in the event
  lines.push(
    '{"event_type":"quota_warning","timestamp":"2025-01-15T00:00:01Z","id":"bad-utf8","x":"\uFFFD"}',
  );
  lines.push('', '   ', 'not json at all', '{"event_type":"scheduling_decision","timestamp":"nope"}');
  // CRI parts split over several lines, then joined
  const big = decisionLine(900);
  lines.push(
    `2025-01-15T00:00:00.1Z stdout P ${big.slice(0, 100)}`,
    `2025-01-15T00:00:00.2Z stdout P ${big.slice(100, 200)}`,
    `2025-01-15T00:00:00.3Z stdout F ${big.slice(200)}`,
  );
  // Docker's 16 KiB records without a newline, then the last part
  const long = decisionLine(901).replace('}', `, "pad": "${'p'.repeat(20_000)}"}`);
  lines.push(JSON.stringify({ log: long.slice(0, 16_384), stream: 'stdout', time: '2025-01-15T00:00:00Z' }));
  lines.push(
    JSON.stringify({ log: long.slice(16_384) + '\n', stream: 'stdout', time: '2025-01-15T00:00:00Z' }),
  );
  for (let i = 300; i < 400; i++) lines.push(decisionLine(i));
  return parts.join('') + lines.join('\n') + '\n' + decisionLine(999).slice(0, 40); // an unfinished last line
}

/** Everything the store holds about the ingest, minus what differs between two runs (ingest time, hashes over it). */
async function snapshot(store: Store) {
  const q = async (sql: string) => (await store.conn.runAndReadAll(sql)).getRowObjectsJson();
  const events = await q(
    `SELECT * EXCLUDE (tags, chain), json(tags)::JSON->>'format' AS format FROM events ORDER BY seq`,
  );
  const rejects = await q('SELECT * EXCLUDE (rejected_at) FROM rejects ORDER BY source_id, line');
  const sources = await q(
    'SELECT id, path, "offset", lines, stored, rejected, duplicates, skipped, window_hash, window_len FROM sources ORDER BY id',
  );
  return { events, rejects, sources };
}

async function ingestInto(dir: string, name: string, files: string[], opts: IngestOptions) {
  const store = await openStore(path.join(dir, `${name}.duckdb`));
  try {
    const result = await ingestPaths(store, files, opts);
    const v = await verifyStore(store);
    expect(v.ok, JSON.stringify(v.first_bad)).toBe(true);
    return { result: { ...result, seconds: 0, events_per_second: 0, db: '' }, ...(await snapshot(store)) };
  } finally {
    store.close();
  }
}

const PARALLEL: IngestOptions = { workers: 2, parallelMinBytes: 0, blockBytes: 700, maxLineBytes: 2048 };
const SEQUENTIAL: IngestOptions = { workers: 0, maxLineBytes: 2048 };

describe('parse workers', () => {
  it('store exactly what reading line by line stores, with tiny blocks', async () => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'mixed.log');
      fs.writeFileSync(file, mixedLog());
      const seq = await ingestInto(dir, 'seq', [file], SEQUENTIAL);
      const par = await ingestInto(dir, 'par', [file], PARALLEL);
      expect(seq.events.length).toBeGreaterThan(350);
      expect(seq.rejects.length).toBeGreaterThan(3);
      expect(seq.result.duplicates).toBeGreaterThan(1);
      expect(seq.result.sources[0]!.partial_bytes).toBe(40);
      expect(par.events).toEqual(seq.events);
      expect(par.rejects).toEqual(seq.rejects);
      expect(par.sources).toEqual(seq.sources);
      expect(par.result).toEqual(seq.result);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resume where the last commit ended, and see duplicates across files', async () => {
    const dir = tmpDir();
    try {
      const a = path.join(dir, 'a.jsonl');
      const b = path.join(dir, 'b.jsonl');
      const all = Array.from({ length: 600 }, (_, i) => decisionLine(i));
      fs.writeFileSync(a, all.slice(0, 250).join('\n') + '\n');
      fs.writeFileSync(b, all.slice(200, 400).join('\n') + '\n');
      const run = async (name: string, opts: IngestOptions) => {
        const db = path.join(dir, `${name}.duckdb`);
        const s1 = await openStore(db);
        await ingestPaths(s1, [a], opts);
        s1.close();
        fs.appendFileSync(a, all.slice(250, 600).join('\n') + '\n');
        const s2 = await openStore(db);
        try {
          const r = await ingestPaths(s2, [a, b], { ...opts, batchSize: 100 });
          expect((await verifyStore(s2)).ok).toBe(true);
          return { r: { ...r, seconds: 0, events_per_second: 0, db: '' }, ...(await snapshot(s2)) };
        } finally {
          s2.close();
          fs.writeFileSync(a, all.slice(0, 250).join('\n') + '\n');
        }
      };
      const seq = await run('seq', SEQUENTIAL);
      const par = await run('par', PARALLEL);
      expect(seq.r.duplicates).toBe(200);
      expect(seq.r.sources.map((s) => s.how)).toEqual(['resume', 'new']);
      expect(JSON.parse(JSON.stringify(par))).toEqual(JSON.parse(JSON.stringify(seq)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
