/**
 * Stage files (parse workers -> DuckDB) go to /dev/shm only with room to spare, and a full file
 * system falls back to the temporary directory: a small /dev/shm (64 MB in a container) must not
 * fail an ingest, nor be reported as the database's disk being full.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHM_MIN_FREE, stageRoots } from '../../src/lib/ingest/blocks.js';
import { NoStageSpace, writeStage } from '../../src/lib/ingest/parse-worker.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-space-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('stageRoots', () => {
  it('prefers memory when it has room, with the temporary directory behind it', () => {
    const shm = tmp();
    expect(stageRoots(shm, () => SHM_MIN_FREE)).toEqual([shm, os.tmpdir()]);
  });

  it('skips a /dev/shm with less room than SHM_MIN_FREE, or none at all', () => {
    const shm = tmp();
    expect(stageRoots(shm, () => SHM_MIN_FREE - 1)).toEqual([os.tmpdir()]);
    expect(stageRoots(shm, () => undefined)).toEqual([os.tmpdir()]);
    expect(stageRoots(path.join(shm, 'absent'), () => SHM_MIN_FREE)).toEqual([os.tmpdir()]);
  });
});

describe('writeStage', () => {
  it('writes to the first place with room and removes what a full one left', () => {
    const [a, b] = [tmp(), tmp()];
    const fa = path.join(a, '1.tsv.0');
    const fb = path.join(b, '1.tsv.0');
    const file = writeStage([fa, fb], 'rows\n', (f, d) => {
      if (f === fa) {
        fs.writeFileSync(f, d.slice(0, 2)); // a partial write, then the device is full
        throw enospc();
      }
      fs.writeFileSync(f, d);
    });
    expect(file).toBe(fb);
    expect(fs.readFileSync(fb, 'utf8')).toBe('rows\n');
    expect(fs.existsSync(fa)).toBe(false);
  });

  it('names every place tried when none has room', () => {
    const files = [path.join(tmp(), 'x'), path.join(tmp(), 'y')];
    const run = () =>
      writeStage(files, 'rows\n', () => {
        throw enospc();
      });
    expect(run).toThrow(NoStageSpace);
    expect(run).toThrow(`ENOSPC writing ${files[0]}; ENOSPC writing ${files[1]}`);
  });

  it('does not retry other errors', () => {
    const [a, b] = [tmp(), tmp()];
    const fb = path.join(b, 'y');
    expect(() =>
      writeStage([path.join(a, 'x'), fb], 'rows\n', (f, d) => {
        if (f !== fb) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        fs.writeFileSync(f, d);
      }),
    ).toThrow('EACCES');
    expect(fs.existsSync(fb)).toBe(false);
  });
});
