/**
 * Copies proven, not guessed (issue 10, item 5): a file is taken as a copy of
 * a known source, continuing at its offset, only when its first KiB and the
 * KiB before that source's offset both match; lines read through the origin
 * are counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { decisionLine, withTmpStore } from '../helpers.js';
import type { Store } from '../../src/lib/store/open.js';

const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => decisionLine(from + i) + '\n').join('');

async function events(store: Store): Promise<number> {
  return Number((await store.conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]![0]);
}

describe('copies of known sources', () => {
  it('a re-emitted file with the same first KiB but other bytes before the offset is read whole', async () => {
    await withTmpStore(async (store, dir) => {
      const a = path.join(dir, 'a.log');
      fs.writeFileSync(a, lines(0, 40));
      expect(await ingestPaths(store, [a])).toMatchObject({ lines: 40, stored: 40 });
      // same first 20 lines (well over 1 KiB), then other events where a.log had lines 20-39
      const b = path.join(dir, 'b.log');
      fs.writeFileSync(b, lines(0, 20) + lines(1000, 20) + lines(2000, 5));
      fs.rmSync(a);
      const res = await ingestPaths(store, [b]);
      expect(res.sources[0]).toMatchObject({ how: 'new', start_offset: 0, via_origin: 0 });
      expect(res).toMatchObject({ lines: 45, stored: 25, duplicates: 20 });
      expect(await events(store)).toBe(65);
    });
  });

  it('an exact copy continues at the offset, and counts the lines it read through its origin', async () => {
    await withTmpStore(async (store, dir) => {
      const a = path.join(dir, 'a.log');
      fs.writeFileSync(a, lines(0, 40));
      await ingestPaths(store, [a]);
      const size = fs.statSync(a).size;
      const b = path.join(dir, 'b.log');
      fs.writeFileSync(b, lines(0, 40) + lines(40, 7)); // before a.log goes: another inode
      fs.rmSync(a);
      const res = await ingestPaths(store, [b]);
      expect(res.sources[0]).toMatchObject({ how: 'copy', start_offset: size, via_origin: 40, lines: 7 });
      expect(res).toMatchObject({ lines: 7, stored: 7, duplicates: 0, via_origin: 40 });
    });
  });

  it('a compressed copy is checked the same way', async () => {
    await withTmpStore(async (store, dir) => {
      const a = path.join(dir, 'a.log');
      fs.writeFileSync(a, lines(0, 30));
      await ingestPaths(store, [a]);
      const good = path.join(dir, 'a.log.1.gz');
      fs.writeFileSync(good, zlib.gzipSync(lines(0, 30) + lines(30, 3)));
      fs.rmSync(a);
      expect((await ingestPaths(store, [good])).sources[0]).toMatchObject({
        how: 'copy',
        lines: 3,
        via_origin: 30,
      });
      const forged = path.join(dir, 'b.log.1.gz');
      fs.writeFileSync(forged, zlib.gzipSync(lines(0, 20) + lines(500, 10) + lines(30, 3)));
      const res = await ingestPaths(store, [forged]);
      expect(res.sources[0]).toMatchObject({ how: 'new', lines: 33 });
      expect(res).toMatchObject({ stored: 10, duplicates: 23 });
    });
  });

  it('a file rewritten in place with the same first KiB is read again from the start', async () => {
    await withTmpStore(async (store, dir) => {
      const a = path.join(dir, 'a.log');
      fs.writeFileSync(a, lines(0, 30));
      await ingestPaths(store, [a]);
      // same inode, same first lines, other lines before the old offset, and more after it
      const fd = fs.openSync(a, 'r+');
      fs.writeSync(fd, lines(0, 15) + lines(700, 15) + lines(800, 4), 0);
      fs.closeSync(fd);
      const res = await ingestPaths(store, [a]);
      expect(res.sources[0]).toMatchObject({ how: 'truncated', start_offset: 0 });
      expect(res).toMatchObject({ lines: 34, stored: 19, duplicates: 15 });
    });
  });
});
