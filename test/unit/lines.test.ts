import { describe, expect, it } from 'vitest';
import { LineSplitter, type Line } from '../../src/lib/ingest/lines.js';

function split(chunks: string[], start = 0, max = 1024, final = false) {
  const s = new LineSplitter(start, max);
  const out: Line[] = [];
  for (const c of chunks) s.push(Buffer.from(c), (l) => out.push(l));
  if (final) s.flushFinal((l) => out.push(l));
  return { out, pending: s.pendingBytes, offset: s.offset };
}

describe('LineSplitter', () => {
  it('keeps byte offsets across chunks and multi-byte characters', () => {
    const { out, pending, offset } = split(['a\n전', '력\nbc', 'd\nxyz']);
    expect(out.map((l) => l.text)).toEqual(['a', '전력', 'bcd']);
    expect(out.map((l) => [l.start, l.end])).toEqual([
      [0, 2],
      [2, 9],
      [9, 13],
    ]);
    expect(pending).toBe(3);
    expect(offset).toBe(13);
  });
  it('drops CR of CRLF and starts at a given offset', () => {
    const { out } = split(['x\r\ny\n'], 100);
    expect(out.map((l) => [l.text, l.start, l.end])).toEqual([
      ['x', 100, 103],
      ['y', 103, 105],
    ]);
  });
  it('never yields a partial last line unless the stream is complete', () => {
    expect(split(['a\nb']).out).toHaveLength(1);
    const fin = split(['a\nb'], 0, 1024, true);
    expect(fin.out.map((l) => [l.text, l.end])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
    expect(fin.offset).toBe(3);
  });
  it('turns an over-long line into one tooLong line and goes on', () => {
    const long = 'x'.repeat(300);
    const { out } = split(['ok\n' + long.slice(0, 100), long.slice(100) + '\nnext\n'], 0, 200);
    expect(out.map((l) => [l.tooLong ?? false, l.bytes])).toEqual([
      [false, 2],
      [true, 300],
      [false, 4],
    ]);
    expect(out[2]!.start).toBe(3 + 301);
  });
  it("keeps only the over-long line's own bytes as its text, also when it is shorter than the preview", () => {
    // --max-line-bytes below the 4 KiB preview: the text of the line in one chunk took the
    // lines after it as well (a reject showing events that were stored)
    const long = 'x'.repeat(300);
    const { out } = split([`${long}\nnext\nafter\n`], 0, 200);
    expect(out.map((l) => [l.tooLong ?? false, l.text])).toEqual([
      [true, long],
      [false, 'next'],
      [false, 'after'],
    ]);
    const cut = split([long.slice(0, 250), `${long.slice(250)}\nnext\n`], 0, 200).out;
    expect(cut[0]!.text).toBe(long);
  });
});
