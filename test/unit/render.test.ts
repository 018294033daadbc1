import { describe, expect, it } from 'vitest';
import { fmtNum, longTable, table } from '../../src/cli/render.js';

describe('tables', () => {
  it('draws long tables in one pass with the same look as cli-table3', () => {
    const rows = Array.from({ length: 120 }, (_, i) => [
      `cluster-${i}`,
      fmtNum(i * 1234.5678),
      i % 3 ? 'x' : '',
    ]);
    expect(longTable(['cluster', 'USD', 'flag'], rows)).toBe(table(['cluster', 'USD', 'flag'], rows));
    // past 200 rows table() draws with longTable (cli-table3's layout is quadratic in the rows)
    const many = Array.from({ length: 5000 }, (_, i) => [String(i), 'y']);
    expect(table(['n', 'v'], many)).toBe(longTable(['n', 'v'], many));
  });

  it('formats numbers as before (en-US grouping, at most `digits` decimals)', () => {
    expect(fmtNum(1234567.891)).toBe('1,234,567.89');
    expect(fmtNum(-3.14159, 3)).toBe('-3.142');
    expect(fmtNum(2, 4)).toBe('2');
    expect(fmtNum(null)).toBe('-');
    expect(fmtNum(Number.NaN)).toBe('-');
  });
});
