/** The one trend-bucket rule of the analyses (analyze/buckets.ts). */
import { describe, expect, it } from 'vitest';
import { autoInterval, trendBuckets, trendInterval } from '../../src/lib/analyze/buckets.js';
import { UsageError } from '../../src/lib/errors.js';

const H = 3600e6;
const T = Date.UTC(2025, 0, 15) * 1000; // a whole hour (and day)

describe('trendBuckets: every bucket [k x len, (k+1) x len) holding part of [start, end)', () => {
  it('a window on bucket boundaries has exactly its buckets: the end bucket is not opened', () => {
    expect(trendBuckets(T, T + 3 * H, H)).toEqual([T / H, T / H + 1, T / H + 2]);
  });

  it('a window off the boundaries includes the partial first and last buckets', () => {
    expect(trendBuckets(T + 1, T + 2 * H + 1, H)).toEqual([T / H, T / H + 1, T / H + 2]);
    expect(trendBuckets(T - 1, T + 1, H)).toEqual([T / H - 1, T / H]);
  });

  it('one microsecond past a boundary opens the next bucket', () => {
    expect(trendBuckets(T, T + H, H)).toEqual([T / H]);
    expect(trendBuckets(T, T + H + 1, H)).toEqual([T / H, T / H + 1]);
  });

  it('an empty window (end at or before start) has no bucket', () => {
    expect(trendBuckets(T, T, H)).toEqual([]);
    expect(trendBuckets(T + 5, T + 5, H)).toEqual([]);
    expect(trendBuckets(T + H, T, H)).toEqual([]);
  });
});

describe('trendInterval', () => {
  it('takes --interval when given, else the smallest standard one giving at most 60 buckets', () => {
    expect(trendInterval(900_000, 10 * H)).toEqual({ intervalMs: 900_000, bucketUs: 900e6 });
    expect(trendInterval(undefined, 60 * H).intervalMs).toBe(3_600_000);
    expect(trendInterval(undefined, 60 * H + 1).intervalMs).toBe(10_800_000);
    expect(autoInterval(0)).toBe(60_000);
    expect(autoInterval(1e15)).toBe(2_592_000_000);
  });

  it('refuses an interval under 1s, and one giving more than 100,000 buckets, by name', () => {
    expect(() => trendInterval(999, H)).toThrow(new UsageError('--interval must be at least 1s'));
    expect(() => trendInterval(1000, 100_000 * 1e6)).not.toThrow();
    expect(() => trendInterval(1000, 100_000 * 1e6 + 1)).toThrow(
      new UsageError(
        '--interval 1s gives 100,001 buckets over the window; choose a longer interval (at most 100,000 buckets)',
      ),
    );
  });
});
