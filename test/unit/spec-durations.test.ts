/** The duration keys of spec files (SLOs, alert rules): one parser, one schema, one zero rule. */
import { describe, expect, it } from 'vitest';
import { DurationText, durationMs, ZeroOrDurationText, zeroOrDurationMs } from '../../src/lib/specfile.js';

describe('spec-file durations', () => {
  it('durationMs reads 1ms to 3650d, anything else is undefined', () => {
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs(' 1.5h ')).toBe(5_400_000);
    expect(durationMs('3650d')).toBe(3650 * 86_400_000);
    expect(durationMs('3651d')).toBeUndefined();
    expect(durationMs('0s')).toBeUndefined();
    expect(durationMs('5')).toBeUndefined();
  });

  it('zeroOrDurationMs: absent is undefined, "0" is 0, else the duration', () => {
    expect(zeroOrDurationMs(undefined)).toBeUndefined();
    expect(zeroOrDurationMs('0')).toBe(0);
    expect(zeroOrDurationMs(' 0 ')).toBe(0);
    expect(zeroOrDurationMs('2h')).toBe(7_200_000);
  });

  it('the schemas accept what the parsers read and name the expected form', () => {
    expect(DurationText.safeParse('30s').success).toBe(true);
    expect(DurationText.safeParse('0').success).toBe(false);
    expect(ZeroOrDurationText.safeParse('0').success).toBe(true);
    expect(ZeroOrDurationText.safeParse('0s').success).toBe(false);
    const r = ZeroOrDurationText.safeParse('soon');
    expect(r.success ? '' : r.error.issues[0]!.message).toBe(
      'expected 0 or a duration up to 3650d (10 years), like 30s, 5m, 1h, 3d',
    );
  });
});
