/**
 * The store a long-running service keeps open: DuckDB's automatic checkpoints (which ran inside
 * commits, holding them up for seconds) are held back, and the service checkpoints when its
 * writes pause instead, so the WAL does not grow without bound and a restart replays little.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSharedStore, SharedStore } from '../../src/lib/store/shared.js';
import { openStore } from '../../src/lib/store/open.js';
import { queryValue } from '../../src/lib/store/sql.js';
import { tmpDir, waitFor } from '../helpers.js';

const walBytes = (db: string) => (fs.existsSync(`${db}.wal`) ? fs.statSync(`${db}.wal`).size : 0);

describe('SharedStore', () => {
  let dir = '';
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("opens the store with DuckDB's checkpoint threshold raised, other settings as given", async () => {
    dir = tmpDir('kcl-shared-');
    const shared = await openSharedStore(path.join(dir, 's.duckdb'), { config: { threads: '1' } });
    try {
      const setting = (name: string) =>
        shared.read(async (s) => String(await queryValue(s, `SELECT current_setting('${name}')`)));
      // DuckDB reports the threshold in its own units (4GB = 3.7 GiB; its default 16MB = 15.2 MiB)
      expect(await setting('checkpoint_threshold')).toMatch(/^3\.7 GiB$/);
      expect(await setting('threads')).toBe('1');
    } finally {
      await shared.close();
    }
  });

  it('checkpoints once its writes have paused for idleCheckpointMs, unseen by subscribers', async () => {
    dir = tmpDir('kcl-shared-');
    const db = path.join(dir, 's.duckdb');
    const shared = new SharedStore(await openStore(db, { config: { checkpoint_threshold: '1GB' } }), {
      idleCheckpointMs: 100,
    });
    const seen: boolean[] = [];
    shared.subscribe((w) => seen.push(w.ok));
    try {
      await shared.write((s) => s.conn.run('CREATE TABLE t AS SELECT range AS i FROM range(50000)'));
      await shared.write((s) => s.conn.run('INSERT INTO t SELECT range FROM range(50000)'));
      expect(walBytes(db)).toBeGreaterThan(0); // committed to the WAL, not checkpointed
      await waitFor(() => walBytes(db) === 0, { what: 'the idle checkpoint', timeoutMs: 5000 });
      expect(seen).toEqual([true, true]); // the two writes; the checkpoint is no commit
      expect(await shared.read(async (s) => Number(await queryValue(s, 'SELECT count(*) FROM t')))).toBe(
        100000,
      );
    } finally {
      await shared.close();
    }
  });

  it('does not checkpoint while writes keep coming within idleCheckpointMs', async () => {
    dir = tmpDir('kcl-shared-');
    const db = path.join(dir, 's.duckdb');
    const shared = new SharedStore(await openStore(db, { config: { checkpoint_threshold: '1GB' } }), {
      idleCheckpointMs: 400,
    });
    try {
      await shared.write((s) => s.conn.run('CREATE TABLE t (i INTEGER)'));
      for (let i = 0; i < 8; i++) {
        await shared.write((s) => s.conn.run(`INSERT INTO t VALUES (${i})`));
        await new Promise((r) => setTimeout(r, 100));
        expect(walBytes(db)).toBeGreaterThan(0);
      }
    } finally {
      await shared.close();
    }
  });
});
