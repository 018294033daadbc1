/**
 * A store written by the engine before schema 7 (row-by-row chain, one stage,
 * no parse workers) migrates forward on open, verifies, takes new events
 * chained per commit, and verify still names a tampered row under either rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/lib/store/open.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { verifyStore } from '../../src/lib/integrity/verify.js';
import { FIXTURES, decisionLine, tmpDir } from '../helpers.js';

const OLD = path.join(FIXTURES, 'stores', 'schema6-8-events.duckdb');

async function withOldStore<T>(fn: (s: Store, dir: string) => Promise<T>): Promise<T> {
  const dir = tmpDir();
  const db = path.join(dir, 'old.duckdb');
  fs.copyFileSync(OLD, db);
  const s = await openStore(db);
  try {
    return await fn(s, dir);
  } finally {
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const one = async (s: Store, sql: string) => (await s.conn.runAndReadAll(sql)).getRows()[0]![0];

describe('a store of the engine before schema 7', () => {
  it('migrates on open, verifies, and takes new events chained per commit', async () => {
    await withOldStore(async (s, dir) => {
      expect(Number(await one(s, 'SELECT max(version) FROM schema_version'))).toBeGreaterThanOrEqual(7);
      expect(await one(s, "SELECT value FROM meta WHERE key = 'commit_chain_from'")).toBe('9');
      expect((await verifyStore(s)).ok).toBe(true);
      const log = path.join(dir, 'new.jsonl');
      fs.writeFileSync(log, Array.from({ length: 30 }, (_, i) => decisionLine(1000 + i)).join('\n') + '\n');
      const r = await ingestPaths(s, [log], { batchSize: 10 });
      expect(r).toMatchObject({ lines: 30, stored: 30 });
      const v = await verifyStore(s);
      expect(v.ok, JSON.stringify(v.first_bad)).toBe(true);
      expect(v.rows).toBe(38);
    });
  });

  it.each([
    [3, 'a row of the row-by-row chain'],
    [12, 'a row chained per commit'],
  ])('verify names a tampered row at seq %i (%s)', async (seq) => {
    await withOldStore(async (s, dir) => {
      const log = path.join(dir, 'new.jsonl');
      fs.writeFileSync(log, Array.from({ length: 30 }, (_, i) => decisionLine(1000 + i)).join('\n') + '\n');
      await ingestPaths(s, [log], { batchSize: 10 });
      await s.conn.run(`UPDATE events SET raw = replace(raw, '}', ', "x": 1}') WHERE seq = ${seq}`);
      const v = await verifyStore(s);
      expect(v.ok).toBe(false);
      expect(v.first_bad).toMatchObject({ check: 'chain', seq });
    });
  });
});
