import { describe, expect, it } from 'vitest';
import { downsample, sparkline } from '../../src/lib/analyze/sparkline.js';

describe('sparkline', () => {
  it('scales from zero to the maximum', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0, 7])).toBe('▁█');
  });
  it('draws missing values as spaces and handles flat and empty series', () => {
    expect(sparkline([1, null, 1])).toBe('█ █');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([])).toBe('');
    expect(sparkline([null, null])).toBe('  ');
  });
  it('fits a long series into a width by averaging', () => {
    const s = sparkline(
      Array.from({ length: 1000 }, (_, i) => i),
      { width: 40 },
    );
    expect([...s].length).toBe(40);
    expect(s.startsWith('▁')).toBe(true);
    expect(s.endsWith('█')).toBe(true);
    expect(downsample([1, 3, null, null, 5, 7], 3)).toEqual([2, null, 6]);
  });
  it('handles series too long for argument spreading', () => {
    expect([...sparkline(Array.from({ length: 300_000 }, (_, i) => i % 10))].length).toBe(300_000);
  });
});
