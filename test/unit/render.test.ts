import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import chalk from 'chalk';
import stringWidth from 'string-width';
import { fmtAbout, fmtNum } from '../../src/cli/render.js';
import { fmtFixed, loadDisplayWidths, table, terminalWidth, truncateWidth } from '../../src/cli/table.js';

beforeAll(loadDisplayWidths); // as every command does before it prints (BaseCommand.init)

const widths = (t: string) => t.split('\n').map((l) => stringWidth(l));

describe('tables', () => {
  let level: typeof chalk.level;
  beforeEach(() => {
    level = chalk.level;
    chalk.level = 0;
  });
  afterEach(() => {
    chalk.level = level;
  });

  it('right-aligns numbers with the same decimals in a column', () => {
    const t = table(
      ['cluster', 'USD/h', 'events'],
      [
        ['a', 1.5, 3],
        ['b', 12.25, 1200],
        ['c', 3, 7],
      ],
      { box: false, width: Infinity },
    );
    expect(t.split('\n')).toEqual([
      'cluster  USD/h  events',
      'a         1.50       3',
      'b        12.25   1,200',
      'c         3.00       7',
    ]);
    // a column's digits win over what the values need
    const d = table([{ header: 'x', digits: 4 }], [[2], [0.5]], { box: false });
    expect(d.split('\n')).toEqual(['     x', '2.0000', '0.5000']);
    // text the caller formatted is right-aligned when the column says so
    const s = table(
      ['k', { header: 'share', align: 'right' }],
      [
        ['a', '5.0%'],
        ['b', '100.0%'],
      ],
      {
        box: false,
      },
    );
    expect(s.split('\n')).toEqual(['k   share', 'a    5.0%', 'b  100.0%']);
  });

  it('measures Korean text and emoji by display width (string-width), so columns line up', () => {
    const rows = [
      ['최적 전력 효율성', 1],
      ['cost', 22],
      ['🚀 launch', 333],
    ];
    for (const box of [false, true]) {
      const t = table(['reason', 'n'], rows, { box, width: Infinity });
      const lines = t.split('\n').filter((l) => !box || l.startsWith('│'));
      // every cell of the number column ends in the same terminal column
      const ends = lines.map((l) => stringWidth(l.trimEnd().replace(/ ?│$/, '')));
      expect(new Set(ends).size).toBe(1);
      if (box) expect(new Set(widths(t)).size).toBe(1);
    }
  });

  it('fits the width by cutting the widest text columns with …, numbers whole', () => {
    const long = 'a'.repeat(80);
    const rows = [
      ['job-1', long, '짧은 설명 '.repeat(10), 1234567.5],
      ['job-2', 'short', 'x', 2],
    ];
    for (const box of [true, false]) {
      const t = table(['id', 'message', 'reason', 'USD'], rows, { box, width: 60 });
      for (const w of widths(t)) expect(w).toBeLessThanOrEqual(60);
      expect(t).toContain('…');
      expect(t).toMatch(/1,234,567\.5( |$)/m); // numbers are never cut
      expect(t).toContain('job-1'); // narrow columns keep their text
    }
    // without a limit nothing is cut
    expect(table(['m'], [[long]], { box: false, width: Infinity })).toContain(long);
  });

  it('cuts by display cells, never inside a character, and keeps colours closed', () => {
    expect(truncateWidth('최적 전력 효율성', 6)).toBe('최적…');
    expect(stringWidth(truncateWidth('최적 전력 효율성', 6))).toBeLessThanOrEqual(6);
    expect(truncateWidth('abcdef', 6)).toBe('abcdef');
    expect(truncateWidth('abcdefg', 6)).toBe('abcde…');
    const red = '\x1b[31mabcdefghij\x1b[39m';
    expect(truncateWidth(red, 5)).toBe('\x1b[31mabcd…\x1b[0m');
  });

  it('draws boxes on a terminal and plain aligned columns otherwise', () => {
    const rows = [['a', 1]];
    const boxed = table(['k', 'v'], rows, { box: true });
    expect(boxed).toMatch(/^┌/);
    expect(boxed).toContain('│ a │ 1 │');
    const plain = table(['k', 'v'], rows, { box: false });
    expect(plain).not.toMatch(/[┌│─└]/);
    expect(plain).toBe('k  v\na  1');
  });

  it('escapes control characters of the data at render time', () => {
    const t = table(['h\x1b[2J'], [['job\x1b]0;x\x07'], [null]], { box: false });
    // eslint-disable-next-line no-control-regex -- the test is that no control character is left
    expect(t).not.toMatch(/[\x07\x1b]/);
    expect(t).toContain('job\\x1b]0;x\\x07');
  });

  it('stays linear in the rows: 20k rows in one pass', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => [`cluster-${i}`, i * 1.25, '설명']);
    const t0 = performance.now();
    const t = table(['cluster', 'USD', 'note'], many, { box: true });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(t.split('\n')).toHaveLength(20_000 + 4);
    expect(new Set(widths(t)).size).toBe(1);
  });

  it('takes the terminal width on a terminal, $COLUMNS otherwise, else no limit', () => {
    const tty = { isTTY: true, columns: 100 } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    const env = process.env.COLUMNS;
    try {
      delete process.env.COLUMNS;
      expect(terminalWidth(tty)).toBe(100);
      expect(terminalWidth(pipe)).toBe(Infinity);
      process.env.COLUMNS = '72';
      expect(terminalWidth(pipe)).toBe(72);
      expect(terminalWidth(tty)).toBe(100);
    } finally {
      if (env === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = env;
    }
  });

  it('formats numbers with en-US grouping and exactly `digits` decimals (one column, one precision)', () => {
    expect(fmtNum(1234567.891)).toBe('1,234,567.89');
    expect(fmtNum(-3.14159, 3)).toBe('-3.142');
    expect(fmtNum(2, 4)).toBe('2.0000');
    expect(fmtNum(149, 1)).toBe('149.0');
    expect(fmtNum(null)).toBe('-');
    expect(fmtNum(Number.NaN)).toBe('-');
    expect(fmtFixed(2, 2)).toBe('2.00');
    // in a sentence, a quantity as logged: no trailing zeros
    expect(fmtAbout(4)).toBe('4');
    expect(fmtAbout(0.5)).toBe('0.5');
    expect(fmtAbout(29703.84, 4)).toBe('29,703.84');
    expect(fmtAbout(null)).toBe('-');
    expect(fmtFixed(1234.5, 1)).toBe('1,234.5');
  });
});
