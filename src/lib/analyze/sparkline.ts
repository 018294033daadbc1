/**
 * Terminal sparklines: a series of numbers as one line of block characters
 * (▁▂▃▄▅▆▇█). Missing values (null) are drawn as a space. Pure: no printing.
 */

export const SPARK_CHARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

export interface SparklineOptions {
  /** At most this many characters; longer series are reduced by averaging neighbours. */
  width?: number;
  /** Lower end of the scale (default: min(0, smallest value), so counts start at the floor). */
  min?: number;
  /** Upper end of the scale (default: the largest value). */
  max?: number;
}

/** Reduce a series to `width` points, each the mean of its slice (nulls ignored; all-null slice stays null). */
export function downsample(values: readonly (number | null)[], width: number): (number | null)[] {
  if (width <= 0) return [];
  if (values.length <= width) return [...values];
  const out: (number | null)[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.max(from + 1, Math.floor(((i + 1) * values.length) / width));
    let sum = 0;
    let n = 0;
    for (let k = from; k < to; k++) {
      const v = values[k];
      if (v !== null && v !== undefined && Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    out.push(n ? sum / n : null);
  }
  return out;
}

/** The sparkline of `values`, e.g. `▁▂▄█▆▃`. An empty series gives an empty string. */
export function sparkline(
  values: readonly (number | null | undefined)[],
  opts: SparklineOptions = {},
): string {
  const clean = values.map((v) => (v === null || v === undefined || !Number.isFinite(v) ? null : v));
  const series = opts.width !== undefined ? downsample(clean, opts.width) : clean;
  const present = series.filter((v): v is number => v !== null);
  if (!present.length) return ' '.repeat(series.length);
  const lo = opts.min ?? present.reduce((a, b) => (b < a ? b : a), 0);
  const hi = opts.max ?? present.reduce((a, b) => (b > a ? b : a), -Infinity);
  const top = SPARK_CHARS.length - 1;
  return series
    .map((v) => {
      if (v === null) return ' ';
      if (hi <= lo) return v > 0 ? SPARK_CHARS[top] : SPARK_CHARS[0];
      const idx = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * top);
      return SPARK_CHARS[idx];
    })
    .join('');
}
