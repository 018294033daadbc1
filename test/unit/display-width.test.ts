/**
 * Display widths: the texts of our own output (arrows in the events summary, sparklines, box
 * drawing, dashes, the ellipsis) are measured without string-width, whose first measure of a
 * non-ASCII text compiles its emoji pattern (~30 ms), and exactly as string-width measures them.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('string-width', async (original) => {
  const real = (await original<typeof import('string-width')>()).default;
  return { default: (s: string) => (calls.n++, real(s)) };
});

const { default: stringWidth } = await import('string-width');
const { displayWidth, loadDisplayWidths, truncateWidth } = await import('../../src/cli/table.js');

beforeAll(loadDisplayWidths);

/** Every character of these blocks takes one cell and is a grapheme of its own. */
const ONE_CELL_BLOCKS: [number, number][] = [
  [0x2010, 0x2027], // dashes, quotes, bullets, the ellipsis
  [0x2190, 0x21ff], // arrows
  [0x2500, 0x259f], // box drawing, block elements (sparklines, progress bars)
];
const chars = ONE_CELL_BLOCKS.flatMap(([a, b]) =>
  Array.from({ length: b - a + 1 }, (_, i) => String.fromCodePoint(a + i)),
);

describe('display widths of our own symbols', () => {
  it('are what string-width says, alone and in any text of them', () => {
    for (const c of chars) expect(displayWidth(c), c).toBe(stringWidth(c));
    const text = `ok ${chars.join('')} × é`;
    expect(displayWidth(text)).toBe(stringWidth(text));
    expect([...new Intl.Segmenter().segment(text)]).toHaveLength(text.length);
  });

  it('are measured without string-width', () => {
    calls.n = 0;
    expect(displayWidth('→ gpu-cluster-01 $27.73/h in 119 ms')).toBe(35);
    expect(displayWidth('▁▂▃▅▇█ — 12 … ±3')).toBe(16);
    expect(truncateWidth('a → b → c → d', 8)).toBe('a → b →…');
    expect(calls.n).toBe(0);
    expect(displayWidth('한국 →')).toBe(6); // wide text still goes through string-width
    expect(calls.n).toBe(1);
  });
});
