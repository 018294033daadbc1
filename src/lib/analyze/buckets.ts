/**
 * Trend buckets: the one rule by which `analyze scheduling`, `analyze cost`
 * (and `report audit`) cut a window into the points of a trend.
 *
 * Bucket k covers [k x len, (k + 1) x len) in epoch microseconds, so buckets
 * are aligned to UTC (epoch multiples) whatever the window. The trend of a
 * half-open window [start, end) has every bucket that holds part of it: from
 * floor(start / len) to floor((end - 1) / len). A window ending exactly on a
 * boundary does not open the bucket starting there; an empty window
 * (end <= start) has no bucket.
 *
 * The same module chooses the bucket length: `--interval` when given (at
 * least 1s, at most MAX_BUCKETS buckets over the window), else the smallest
 * standard interval giving at most AUTO_BUCKETS buckets.
 */
import { UsageError } from '../errors.js';
import { flagName, type OptionName } from '../option-name.js';
import { formatDuration } from '../time.js';

/** The rule, in words (for the basis of every trend). */
export const BUCKET_RULE = 'aligned to UTC (epoch multiples)';

/** The most buckets a trend may have. */
export const MAX_BUCKETS = 100_000;
/** Without --interval, at most this many buckets. */
export const AUTO_BUCKETS = 60;

const INTERVALS_MS = [
  60_000, // 1m
  300_000, // 5m
  900_000, // 15m
  1_800_000, // 30m
  3_600_000, // 1h
  10_800_000, // 3h
  21_600_000, // 6h
  43_200_000, // 12h
  86_400_000, // 1d
  604_800_000, // 7d
  2_592_000_000, // 30d
];

/** The smallest standard interval (ms) giving at most AUTO_BUCKETS buckets over `spanUs`. */
export function autoInterval(spanUs: number): number {
  for (const ms of INTERVALS_MS) if (spanUs / (ms * 1000) <= AUTO_BUCKETS) return ms;
  return INTERVALS_MS[INTERVALS_MS.length - 1]!;
}

/** `--interval` (ms) is at least 1s, or a usage error (naming the option by `name`). */
export function checkIntervalFlag(requestedMs: number | undefined, name: OptionName = flagName): void {
  if (requestedMs !== undefined && !(requestedMs >= 1000))
    throw new UsageError(`${name('interval')} must be at least 1s`);
}

/**
 * The trend's bucket length for `--interval` (ms, absent: chosen from the span) over a window
 * of `spanUs`; a usage error when it is under 1s or gives more than MAX_BUCKETS buckets.
 */
export function trendInterval(
  requestedMs: number | undefined,
  spanUs: number,
  name: OptionName = flagName,
): { intervalMs: number; bucketUs: number } {
  checkIntervalFlag(requestedMs, name);
  const intervalMs = requestedMs ?? autoInterval(spanUs);
  const bucketUs = intervalMs * 1000;
  if (spanUs / bucketUs > MAX_BUCKETS)
    throw new UsageError(
      `${name('interval')} ${formatDuration(intervalMs)} gives ${Math.ceil(spanUs / bucketUs).toLocaleString('en-US')} buckets over the window; choose a longer interval (at most ${MAX_BUCKETS.toLocaleString('en-US')} buckets)`,
    );
  return { intervalMs, bucketUs };
}

/** The buckets (indexes k, start k x lenUs) of the half-open window [startUs, endUs), oldest first. */
export function trendBuckets(startUs: number, endUs: number, lenUs: number): number[] {
  const out: number[] = [];
  if (endUs <= startUs) return out;
  for (let b = Math.floor(startUs / lenUs); b <= Math.floor((endUs - 1) / lenUs); b++) out.push(b);
  return out;
}
