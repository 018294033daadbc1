import { describe, expect, it } from 'vitest';
import {
  microsToIso,
  parseDurationMs,
  parseEventTime,
  parseIsoMicros,
  parseTimeBound,
} from '../../src/lib/time.js';
import { UsageError } from '../../src/lib/errors.js';

const us = (iso: string) => Date.parse(iso) * 1000;

describe('parseEventTime', () => {
  it('reads ISO with Z, offsets with and without colon, and none (UTC)', () => {
    expect(parseEventTime('2025-01-15T10:30:00Z')).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime('2025-01-15T10:29:59.812+0900')).toBe(us('2025-01-15T01:29:59.812Z'));
    expect(parseEventTime('2025-01-15T10:30:00-05:30')).toBe(us('2025-01-15T16:00:00Z'));
    expect(parseEventTime('2025-01-15T10:30:00')).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime('2025-01-15 10:30:00.123456Z')).toBe(us('2025-01-15T10:30:00.123Z') + 456);
    expect(parseEventTime('2025-01-15T10:31:00.123456789Z')).toBe(us('2025-01-15T10:31:00.123Z') + 456);
  });
  it('reads epoch seconds and milliseconds', () => {
    expect(parseEventTime(1736937000)).toBe(us('2025-01-15T10:30:00Z'));
    expect(parseEventTime(1736937000123)).toBe(us('2025-01-15T10:30:00.123Z'));
    expect(parseEventTime(1736937000.5)).toBe(us('2025-01-15T10:30:00.500Z'));
  });
  it('refuses impossible dates and junk', () => {
    for (const bad of [
      '2025-02-30T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-15T25:00:00Z',
      'yesterday',
      '',
      '2025-01-15T10:30:00+25:00',
    ])
      expect(parseEventTime(bad), bad).toBeUndefined();
    expect(parseEventTime(-5)).toBeUndefined();
    expect(parseEventTime(Number.NaN)).toBeUndefined();
    expect(parseEventTime(true)).toBeUndefined();
  });
});

describe('microsToIso', () => {
  it('prints UTC, with a fraction only when needed', () => {
    expect(microsToIso(us('2025-01-15T10:30:00Z'))).toBe('2025-01-15T10:30:00Z');
    expect(microsToIso(us('2025-01-15T10:30:00.120Z'))).toBe('2025-01-15T10:30:00.120Z');
    expect(microsToIso(us('2025-01-15T10:30:00.120Z') + 7)).toBe('2025-01-15T10:30:00.120007Z');
  });
  it('round-trips with parseIsoMicros', () => {
    const t = us('2024-02-29T23:59:59.999Z') + 123;
    expect(parseIsoMicros(microsToIso(t))).toBe(t);
  });
});

describe('durations and bounds', () => {
  it('parses relative durations', () => {
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('7d')).toBe(604_800_000);
    expect(parseDurationMs('7 days')).toBeUndefined();
  });
  it('resolves --since values against now', () => {
    const now = Date.parse('2025-01-16T00:00:00Z');
    expect(parseTimeBound('1d', '--since', now)).toBe(us('2025-01-15T00:00:00Z'));
    expect(parseTimeBound('2025-01-15', '--since', now)).toBe(us('2025-01-15T00:00:00Z'));
    expect(() => parseTimeBound('last week', '--since', now)).toThrow(UsageError);
    expect(() => parseTimeBound('last week', '--since', now)).toThrow(/--since/);
  });
});
