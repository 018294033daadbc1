/**
 * The parts of follow mode on their own: a followed file (FileTail) and
 * standard input as a source (StdinSource). The follower's behaviour with
 * real rotation and a real process is in test/e2e/follow.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingester, SourceState } from '../../src/lib/ingest/ingest.js';
import { fingerprintOf } from '../../src/lib/ingest/source.js';
import { FileTail, keyOf } from '../../src/lib/ingest/tail-file.js';
import { StdinSource } from '../../src/lib/ingest/tail-stdin.js';
import type { SourceRow } from '../../src/lib/store/sources.js';
import { decisionLine, tmpDir } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-tail-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function row(over: Partial<SourceRow>): SourceRow {
  return {
    id: 1,
    path: '-',
    kind: 'file',
    dev: null,
    ino: null,
    fingerprint: null,
    fp_len: null,
    origin: null,
    start_offset: 0,
    start_line: 0,
    offset: 0,
    size: null,
    lines: 0,
    stored: 0,
    rejected: 0,
    duplicates: 0,
    skipped: 0,
    status: 'active',
    host: null,
    first_seen: '2025-01-15T00:00:00.000Z',
    last_read: null,
    window_hash: null,
    window_len: null,
    ...over,
  };
}

const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => decisionLine(from + i) + '\n').join('');

/** A file with `content`, open as a FileTail whose source was fingerprinted on its first bytes and read to `offset`. */
async function tailOf(name: string, content: string, offset = 0) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const first = fs.readFileSync(file).subarray(0, 1024);
  const ing = new Ingester();
  const state = new SourceState(
    row({ path: file, fingerprint: fingerprintOf(first), fp_len: first.length, offset }),
    'new',
    ing.maxLineBytes,
  );
  const tail = await FileTail.open(file, keyOf(fs.statSync(file)), async () => state);
  return { file, ing, tail };
}

const noCommit = async () => undefined;

describe('FileTail: one followed file', () => {
  it('reads only what was written since its source offset, and again only the growth', async () => {
    const first = lines(0, 3);
    const { file, ing, tail } = await tailOf('growth.log', first + lines(3, 2), Buffer.byteLength(first));
    await tail.readGrowth(ing, noCommit);
    expect(ing.pending).toBe(2);
    await tail.readGrowth(ing, noCommit);
    expect(ing.pending).toBe(2); // nothing new
    fs.appendFileSync(file, lines(5, 4));
    await tail.readGrowth(ing, noCommit);
    expect(ing.pending).toBe(6);
    expect(tail.lag()).toMatchObject({ path: file, source_id: 1, size: fs.statSync(file).size });
    await tail.close();
  });

  it('sees truncation: shorter than what was read, or other first bytes at the same length', async () => {
    const { file, ing, tail } = await tailOf('trunc.log', lines(0, 5));
    await tail.readGrowth(ing, noCommit);
    expect(await tail.truncated()).toBe(false);
    fs.appendFileSync(file, lines(5, 1));
    expect(await tail.truncated()).toBe(false); // growth is not truncation
    const size = fs.statSync(file).size;
    fs.truncateSync(file, 10); // copytruncate
    expect(await tail.truncated()).toBe(true);
    fs.writeFileSync(file, 'x'.repeat(size)); // rewritten in place, as long as before
    expect(await tail.truncated()).toBe(true);
    await tail.close();
  });

  it('is drained only when detached and quiet for the grace; found again it is attached, a new name is a rename', async () => {
    const { file, ing, tail } = await tailOf('rot.log', lines(0, 1));
    await tail.readGrowth(ing, noCommit); // grew just now
    const now = Date.now();
    expect(tail.drained(0, now + 10_000)).toBe(false); // in place: never drained
    tail.detach(now);
    expect(tail.drained(1000, now + 500)).toBe(false);
    expect(tail.drained(1000, now + 2000)).toBe(true);
    expect(tail.foundAt(file)).toBe(false); // same name: no rename
    expect(tail.drained(1000, now + 2000)).toBe(false);
    const moved = `${file}.1`;
    fs.renameSync(file, moved);
    expect(tail.foundAt(moved)).toBe(true);
    expect(tail.path).toBe(moved);
    expect(tail.pathGone()).toBe(false);
    fs.rmSync(moved);
    expect(tail.pathGone()).toBe(true);
    await tail.close();
  });

  it('does not keep the file open when its source cannot be found', async () => {
    const file = path.join(dir, 'nosource.log');
    fs.writeFileSync(file, lines(0, 1));
    const before = fs.readdirSync('/proc/self/fd').length;
    await expect(
      FileTail.open(file, keyOf(fs.statSync(file)), () => Promise.reject(new Error('no source'))),
    ).rejects.toThrow('no source');
    expect(fs.readdirSync('/proc/self/fd').length).toBe(before);
  });
});

describe('StdinSource: standard input followed', () => {
  it('feeds what arrives, its last line without a newline once the stream ends, then says so', async () => {
    const ing = new Ingester();
    const state = new SourceState(row({ kind: 'stdin' }), 'new', ing.maxLineBytes);
    const input = new PassThrough();
    let endedCalls = 0;
    const src = new StdinSource(state, ing, input, () => endedCalls++);
    input.write(lines(0, 2));
    input.write(decisionLine(2)); // no newline yet
    await new Promise((r) => setImmediate(r));
    expect(await src.ended()).toBe(false);
    expect(ing.pending).toBe(2);
    input.end();
    for (const t0 = Date.now(); !(await src.ended());)
      if (Date.now() - t0 > 5000) throw new Error('stdin never ended');
    expect(ing.pending).toBe(3);
    expect(endedCalls).toBe(1);
    expect(src.state).toBe(state);
  });

  it('a read error of the stream surfaces from ended()', async () => {
    const ing = new Ingester();
    const state = new SourceState(row({ kind: 'stdin' }), 'new', ing.maxLineBytes);
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from(lines(0, 1));
        throw new Error('EIO: stdin broke');
      })(),
    );
    const src = new StdinSource(state, ing, failing, () => undefined);
    await expect(
      (async () => {
        for (const t0 = Date.now(); !(await src.ended());)
          if (Date.now() - t0 > 5000) throw new Error('no error surfaced');
      })(),
    ).rejects.toThrow('EIO: stdin broke');
  });
});
