import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandTargets, sniffBinary } from '../../src/lib/ingest/paths.js';
import { tmpDir } from '../helpers.js';

let dir: string;
beforeAll(() => {
  dir = tmpDir('kcl-paths-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file with DuckDB's magic bytes (8..11 are "DUCK"). */
const duckdb = (file: string) =>
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(8), Buffer.from('DUCK'), Buffer.alloc(100)]));
const rel = (ts: { path: string }[]) => ts.map((t) => path.relative(dir, t.path)).sort();

describe('expanding ingest arguments', () => {
  it("never reads the store's own files or a DuckDB file as a log, whatever their names", () => {
    const d = path.join(dir, 'store');
    fs.mkdirSync(d);
    const store = path.join(d, 'events.log'); // a store named like a log
    duckdb(store);
    fs.writeFileSync(`${store}.writer-waiting`, '123');
    fs.writeFileSync(`${store}.serve.json`, '{"pid": 1}\n'); // a running service's address
    duckdb(path.join(d, 'backup.jsonl')); // another database in disguise
    fs.writeFileSync(path.join(d, 'app.jsonl'), '{}\n');
    for (const arg of [d, path.join(d, '*')]) {
      const r = expandTargets([arg], { store });
      expect(rel(r.targets)).toEqual(['store/app.jsonl']);
      expect(r.errors).toEqual([]);
    }
    const named = expandTargets(
      [store, `${store}.writer-waiting`, `${store}.serve.json`, path.join(d, 'backup.jsonl')],
      { store },
    );
    expect(named.targets).toEqual([]);
    expect(named.errors.map((e) => e.reason)).toEqual([
      'is the database this ingest writes to, not a log',
      'belongs to the database, not a log',
      'belongs to the database, not a log',
      'is a DuckDB database, not a log',
    ]);
  });

  it('takes an existing path literally before trying it as a glob', () => {
    const d = path.join(dir, 'logs[1]');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'a.jsonl'), '{}\n');
    fs.writeFileSync(path.join(dir, 'x*.jsonl'), '{}\n');
    fs.writeFileSync(path.join(dir, 'xy.jsonl'), '{}\n');
    expect(expandTargets([d])).toEqual({
      targets: [{ kind: 'file', path: path.join(d, 'a.jsonl') }],
      errors: [],
      skipped: [],
    });
    expect(rel(expandTargets([path.join(dir, 'x*.jsonl')]).targets)).toEqual(['x*.jsonl']);
    expect(rel(expandTargets([path.join(dir, 'x[y].jsonl')]).targets)).toEqual(['xy.jsonl']); // no such file: a pattern
  });

  it('a FIFO named is a stream; one in a directory is skipped with a warning; devices are refused', () => {
    const d = path.join(dir, 'fifo');
    fs.mkdirSync(d);
    const fifo = path.join(d, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    fs.writeFileSync(path.join(d, 'b.jsonl'), '{}\n');
    expect(expandTargets([fifo])).toEqual({
      targets: [{ kind: 'fifo', path: fifo }],
      errors: [],
      skipped: [],
    });
    const walked = expandTargets([d]);
    expect(rel(walked.targets)).toEqual(['fifo/b.jsonl']);
    expect(walked.errors).toEqual([{ path: fifo, reason: expect.stringMatching(/^a FIFO .*skipped/) }]);
    expect(expandTargets(['/dev/zero'])).toEqual({
      targets: [],
      errors: [{ path: '/dev/zero', reason: 'a character device, not a log file' }],
      skipped: [],
    });
  });

  it('follows symlinks: a loop ends, each real file is one target', () => {
    const d = path.join(dir, 'loop');
    fs.mkdirSync(path.join(d, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(d, 'a', 'b', 'c.jsonl'), '{}\n');
    fs.symlinkSync(d, path.join(d, 'a', 'b', 'up')); // a loop
    fs.symlinkSync(path.join(d, 'a'), path.join(d, 'again')); // a second way to the same files
    fs.symlinkSync(path.join(d, 'a', 'b', 'c.jsonl'), path.join(d, 'link.jsonl'));
    const r = expandTargets([d, path.join(d, 'link.jsonl')]);
    expect(rel(r.targets)).toEqual(['loop/a/b/c.jsonl']);
    expect(r.errors).toEqual([]);
  });

  it('a binary file, in a directory or named, is skipped whole with one reason; text and .gz text are read', () => {
    const d = path.join(dir, 'binary');
    fs.mkdirSync(d);
    const text = '{"event_type":"x","timestamp":1}\n'.repeat(400);
    const random = Buffer.from(Array.from({ length: 9000 }, (_, i) => 128 + ((i * 7919) % 127))); // no NUL, not UTF-8
    const files: Record<string, string | Buffer> = {
      'a.jsonl': text,
      'b.log': Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(64), Buffer.from(text)]), // NUL bytes
      'c.log': random,
      'd.log.gz': zlib.gzipSync(text),
      'e.log.gz': zlib.gzipSync(Buffer.concat([Buffer.alloc(100), Buffer.from(text)])), // binary inside
      'f.log': zlib.gzipSync(text), // gzip data without the .gz name
      'g.log': Buffer.from(
        'caf\xe9 cr\xe8me: latin-1, a few bytes that are not UTF-8\n'.repeat(50),
        'latin1',
      ),
      'h.log': '', // empty: nothing to tell, read (and followed) as text
      'i.log': text.slice(0, 8191) + '한국어 전력 효율성'.repeat(10), // UTF-8 cut by the sniffed prefix
    };
    for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(d, n), c);
    const r = expandTargets([d]);
    expect(rel(r.targets)).toEqual([
      'binary/a.jsonl',
      'binary/d.log.gz',
      'binary/g.log',
      'binary/h.log',
      'binary/i.log',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([
      {
        path: path.join(d, 'b.log'),
        reason: expect.stringMatching(/^binary \(NUL bytes in its first 8 KiB\)/),
      },
      {
        path: path.join(d, 'c.log'),
        reason: expect.stringMatching(/^binary \(\d+% of its first 8 KiB is not UTF-8\)/),
      },
      { path: path.join(d, 'e.log.gz'), reason: expect.stringMatching(/^binary \(NUL bytes/) },
      { path: path.join(d, 'f.log'), reason: expect.stringMatching(/gzip data .*name it .*\.gz/) },
    ]);
    const named = expandTargets([path.join(d, 'b.log'), path.join(d, 'a.jsonl')]);
    expect(rel(named.targets)).toEqual(['binary/a.jsonl']);
    expect(named.skipped.map((x) => x.path)).toEqual([path.join(d, 'b.log')]);
    expect(named.errors).toEqual([]);
    // files already being read (follow mode) are not sniffed again
    expect(rel(expandTargets([d], { known: (p) => p.endsWith('b.log') }).targets)).toContain('binary/b.log');
  });

  it('sniffBinary: NUL bytes, or more than 30% of the bytes not UTF-8', () => {
    expect(sniffBinary(Buffer.from('plain text\n'))).toBeUndefined();
    expect(sniffBinary(Buffer.from('a\0b'))).toMatch(/NUL/);
    expect(
      sniffBinary(Buffer.from([0x61, 0xff, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69])),
    ).toBeUndefined();
    expect(sniffBinary(Buffer.from([0x61, 0xff, 0xfe, 0xfd, 0x62]))).toMatch(
      /60% of its first 8 KiB is not UTF-8/,
    );
    expect(sniffBinary(Buffer.from('전력', 'utf8').subarray(0, 5))).toBeUndefined(); // a character cut at the end
    expect(sniffBinary(Buffer.alloc(0))).toBeUndefined();
  });

  it('--exclude: a pattern without a slash matches names (a directory is not walked), one with a slash the path', () => {
    const d = path.join(dir, 'excl');
    for (const f of [
      'app.jsonl',
      'app.jsonl.1',
      'debug.log',
      'archive/old.jsonl.gz',
      'keep/archive.jsonl',
      'keep/x.log',
    ]) {
      fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
      fs.writeFileSync(path.join(d, f), '{}\n');
    }
    const exp = (exclude: string[], args = [d]) => rel(expandTargets(args, { exclude }).targets);
    expect(exp([])).toHaveLength(6);
    expect(exp(['*.1', 'debug.*'])).toEqual([
      'excl/app.jsonl',
      'excl/archive/old.jsonl.gz',
      'excl/keep/archive.jsonl',
      'excl/keep/x.log',
    ]);
    expect(exp(['archive'])).toEqual([
      'excl/app.jsonl',
      'excl/app.jsonl.1',
      'excl/debug.log',
      'excl/keep/archive.jsonl',
      'excl/keep/x.log',
    ]);
    expect(exp([path.join(d, 'keep/**')])).toEqual([
      'excl/app.jsonl',
      'excl/app.jsonl.1',
      'excl/archive/old.jsonl.gz',
      'excl/debug.log',
    ]);
    expect(exp(['**/keep/*.log', '*.gz'])).toEqual([
      'excl/app.jsonl',
      'excl/app.jsonl.1',
      'excl/debug.log',
      'excl/keep/archive.jsonl',
    ]);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(exp(['excl/keep/**', './excl/archive'], ['excl'])).toEqual([
        'excl/app.jsonl',
        'excl/app.jsonl.1',
        'excl/debug.log',
      ]);
      // files named (a shell-expanded glob) and glob arguments are filtered too
      expect(exp(['*.1'], ['excl/app.jsonl', 'excl/app.jsonl.1'])).toEqual(['excl/app.jsonl']);
      expect(exp(['debug*'], ['excl/*.log'])).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });
});
