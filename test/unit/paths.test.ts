import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandTargets } from '../../src/lib/ingest/paths.js';
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
    duckdb(path.join(d, 'backup.jsonl')); // another database in disguise
    fs.writeFileSync(path.join(d, 'app.jsonl'), '{}\n');
    for (const arg of [d, path.join(d, '*')]) {
      const r = expandTargets([arg], { store });
      expect(rel(r.targets)).toEqual(['store/app.jsonl']);
      expect(r.errors).toEqual([]);
    }
    const named = expandTargets([store, `${store}.writer-waiting`, path.join(d, 'backup.jsonl')], { store });
    expect(named.targets).toEqual([]);
    expect(named.errors.map((e) => e.reason)).toEqual([
      'is the database this ingest writes to, not a log',
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
    expect(expandTargets([fifo])).toEqual({ targets: [{ kind: 'fifo', path: fifo }], errors: [] });
    const walked = expandTargets([d]);
    expect(rel(walked.targets)).toEqual(['fifo/b.jsonl']);
    expect(walked.errors).toEqual([{ path: fifo, reason: expect.stringMatching(/^a FIFO .*skipped/) }]);
    expect(expandTargets(['/dev/zero'])).toEqual({
      targets: [],
      errors: [{ path: '/dev/zero', reason: 'a character device, not a log file' }],
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
});
