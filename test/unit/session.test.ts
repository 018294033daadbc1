/** Sessions (src/lib/session): the registry of calls a service runs, and the wire format. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/lib/session/ops.js';
import {
  decodeError,
  encodeError,
  frame,
  readFrames,
  streamOf,
  withoutFunctions,
  type Frame,
} from '../../src/lib/session/wire.js';
import { QueryTimeoutError, UsageError } from '../../src/lib/errors.js';
import { DiskFullError } from '../../src/lib/store/failure.js';
import { isLoopbackPeer } from '../../src/lib/serve/routes/cli.js';
import { ROOT } from '../helpers.js';

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the calls a service runs', () => {
  it('has every library call the commands make through a session, by its own name', () => {
    const called = new Set<string>();
    for (const f of sources(path.join(ROOT, 'src', 'commands')))
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/\.call\(\s*(\w+)/g)) called.add(m[1]!);
    expect(called.size).toBeGreaterThan(15);
    for (const name of called) expect(OPS.has(name), name).toBe(true);
    for (const [name, op] of OPS) expect(op.fn.name).toBe(name);
  });

  it('writes through the writer what writes, and only that', () => {
    const writes = [...OPS].filter(([, op]) => op.kind === 'write').map(([n]) => n);
    expect(writes.sort()).toEqual(['addRules', 'ingestPaths', 'recordVerification', 'removeRules']);
  });
});

describe('the wire', () => {
  it('reads frames however the bytes are cut', async () => {
    const frames: Frame[] = [
      { t: 'head', v: { n: 10n, at: new Date(5), tags: new Map([['a', 1]]) }, stream: 'rows' },
      { t: 'item', v: [{ seq: 1, text: 'x'.repeat(70_000) }] },
      { t: 'tick' },
      { t: 'end' },
    ];
    const bytes = Buffer.concat(frames.map(frame));
    for (const cut of [1, 3, 7, 1000, bytes.length]) {
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += cut) yield bytes.subarray(i, i + cut);
      }
      const got: Frame[] = [];
      for await (const f of readFrames(chunks())) got.push(f);
      expect(got).toEqual(frames);
    }
  });

  it('refuses an answer cut in the middle of a frame', async () => {
    async function* chunks() {
      yield frame({ t: 'end' }).subarray(0, 5);
    }
    await expect(async () => {
      for await (const _ of readFrames(chunks())) void _;
    }).rejects.toThrow(/in the middle of an answer/);
  });

  it('brings a typed error back as its class, with its exit code', () => {
    for (const e of [new UsageError('bad'), new QueryTimeoutError('slow'), new DiskFullError('full')]) {
      const back = decodeError(encodeError(e));
      expect(back).toBeInstanceOf(e.constructor);
      expect(back.message).toBe(e.message);
      expect((back as UsageError).exitCode).toBe(e.exitCode);
    }
    const plain = decodeError(encodeError(new TypeError('oops')));
    expect(plain).not.toBeInstanceOf(UsageError);
    expect(plain.message).toBe('oops');
  });

  it('leaves callbacks out of the arguments, and finds the stream of a result', async () => {
    expect(
      withoutFunctions([{ a: 1, onProgress: () => 1, nested: { f: () => 2, b: [1, () => 3] } }]),
    ).toEqual([{ a: 1, nested: { b: [1, undefined] } }]);
    async function* gen() {
      yield 1;
    }
    expect(streamOf(gen())).toMatchObject({ at: '' });
    expect(streamOf({ columns: ['a'], chunks: gen() })).toMatchObject({
      at: 'chunks',
      head: { columns: ['a'], chunks: null },
    });
    expect(streamOf({ rows: [1] })).toEqual({ at: null, head: { rows: [1] } });
  });

  it('takes CLI calls from loopback peers only', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackPeer(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', '', undefined, '::'])
      expect(isLoopbackPeer(a), String(a)).toBe(false);
  });
});
